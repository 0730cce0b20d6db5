import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A response whose head arrived with a 2xx status and whose body is still streaming.
/// The lease must be released when the body is done.
struct Exchange: Sendable {
    let response: HTTPClientResponse
    let lease: Transport.Lease
    let request: KubeRequest
}

extension KubeClient {
    /// Largest buffered body: far above any single object (etcd caps those at 1.5 MiB) and a
    /// 10,000-pod list page, low enough that a runaway response cannot exhaust memory.
    static let maxBufferedBody = 1 << 30

    /// The one function where every transport concern is composed. For each attempt, in order:
    ///
    /// 1. **Rate limit**: take a token from the client-side bucket (each attempt counts, as in
    ///    client-go's `tryThrottle`).
    /// 2. **Authentication**: the current bearer token (a token file is re-read when due).
    /// 3. **User agent** and the request's own headers.
    /// 4. **Send** on the current `HTTPClient` (a CA rotation swaps it between attempts).
    /// 5. **Retry** decisions on the answer: a 401 invalidates the credential and retries once;
    ///    a 429 or 5xx with `Retry-After` waits and retries when the body is replayable (never a
    ///    watch or followed log) and attempts remain; a `GET` whose connection was refused or
    ///    closed waits a second and retries. Everything else, including a TLS verification
    ///    failure, is final at once.
    ///
    /// `Warning` headers are logged; metrics are recorded per attempt. The Authorization header
    /// is never logged.
    func exchange(_ request: KubeRequest, logger: Logger) async throws -> Exchange {
        let parts = PathParts(path: request.path)
        let resource = parts.metricLabel
        var logger = logger
        logger[metadataKey: "kube.verb"] = "\(request.verb)"
        logger[metadataKey: "kube.resource"] = "\(resource)"
        var attempt = 0
        var reauthenticated = false
        while true {
            attempt += 1
            try Task.checkCancellation()
            // 1. rate limit
            if let rateLimiter { try await rateLimiter.acquire() }
            // 2. + 3. headers
            var http = HTTPClientRequest(url: transport.baseURL + request.pathAndQuery)
            http.method = HTTPMethod(rawValue: request.method.rawValue)
            for (name, value) in request.headers { http.headers.replaceOrAdd(name: name, value: value) }
            if let authorization = try await authenticator.authorization(logger: logger) {
                http.headers.replaceOrAdd(name: "Authorization", value: authorization)
            }
            http.headers.replaceOrAdd(name: "User-Agent", value: config.userAgent)
            if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }

            // 4. send
            let lease = try transport.lease(logger: logger)
            let started = ContinuousClock.now
            let response: HTTPClientResponse
            do {
                let deadline: NIODeadline = request.isStreaming ? .distantFuture : .now() + Transport.timeAmount(config.timeouts.request)
                response = try await lease.client.execute(http, deadline: deadline)
            } catch {
                transport.release(lease)
                RequestMetrics.record(verb: request.verb, resource: resource, code: "error", duration: .now - started)
                let failure = Self.transportFailure(error, server: config.server)
                guard let kubeError = failure.error as? KubeError else { throw failure.error }
                if failure.retryable, config.retry.retryConnectionErrors, request.method == .get, request.isReplayable,
                    attempt < config.retry.maxAttempts
                {
                    logger.debug("connection failed; retrying in 1 s", metadata: ["attempt": "\(attempt)", "error": "\(kubeError.message)"])
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                logger.debug("request failed", metadata: ["path": "\(request.path)", "error": "\(kubeError)"])
                throw kubeError
            }
            let code = Int(response.status.code)
            RequestMetrics.record(verb: request.verb, resource: resource, code: String(code), duration: .now - started)
            for warning in response.headers["Warning"] {
                logger.warning("API server warning: \(Self.warningText(warning))", metadata: ["path": "\(request.path)"])
            }
            logger.debug("response", metadata: ["method": "\(request.method.rawValue)", "path": "\(request.path)", "status": "\(code)"])
            if (200..<300).contains(code) { return Exchange(response: response, lease: lease, request: request) }

            // 5. error answers: read the (bounded) body, then retry or fail.
            let body: Data
            do { body = Data(buffer: try await response.body.collect(upTo: 4 << 20)) } catch { body = Data() }
            transport.release(lease)
            if code == 401, authenticator.canRefresh, !reauthenticated {
                reauthenticated = true
                await authenticator.invalidate()
                logger.info("401 Unauthorized; re-reading credentials and retrying once")
                continue
            }
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            if code == 429 || code >= 500, let retryAfter, retryAfter >= 0, request.isReplayable, attempt < config.retry.maxAttempts {
                let delay = min(Duration.seconds(retryAfter), config.retry.maxDelay)
                logger.debug("server asked to retry", metadata: ["status": "\(code)", "retryAfter": "\(retryAfter)", "attempt": "\(attempt)"])
                try await Task.sleep(for: delay)
                continue
            }
            throw KubeError.fromResponse(
                code: code, body: body, retryAfter: retryAfter, kind: parts.resource, name: parts.name, verb: request.verb)
        }
    }

    /// Sends a non-streaming request and buffers the whole body.
    func execute(_ request: KubeRequest, logger: Logger) async throws -> KubeResponse {
        let exchange = try await self.exchange(request, logger: logger)
        defer { transport.release(exchange.lease) }
        let body: ByteBuffer
        do {
            body = try await exchange.response.body.collect(upTo: Self.maxBufferedBody)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw KubeError(.responseTooLarge, "the response to \(request.method.rawValue) \(request.path) is larger than \(Self.maxBufferedBody) bytes")
        } catch {
            throw Self.transportFailure(error, server: config.server).error
        }
        return KubeResponse(
            statusCode: Int(exchange.response.status.code),
            headers: exchange.response.headers.map { (name: $0.name, value: $0.value) }, body: Data(buffer: body),
            httpVersion: exchange.response.version.description)
    }

    /// RFC 7234 `Warning: 299 - "text"` → `text`.
    static func warningText(_ header: String) -> String {
        guard let open = header.firstIndex(of: "\""), let close = header.lastIndex(of: "\""), open < close else { return header }
        return String(header[header.index(after: open)..<close])
    }

    /// Maps a transport failure to a ``KubeError`` (or passes cancellation through) and says
    /// whether nothing reached the server, so a `GET` may be retried.
    static func transportFailure(_ error: any Error, server: String) -> (error: any Error, retryable: Bool) {
        if error is CancellationError { return (error, false) }
        if let error = error as? KubeError { return (error, false) }
        let text = String(describing: error)
        if let error = error as? HTTPClientError {
            switch error {
            case .cancelled:
                // AsyncHTTPClient also reports `cancelled` when a pooled connection is torn down
                // under a request; only a cancelled task is a real cancellation.
                if Task.isCancelled { return (CancellationError(), false) }
                return (KubeError(.transport, "the connection to \(server) was closed under the request"), true)
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return (KubeError(.timeout, "the request to \(server) did not complete in time"), false)
            case .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return (KubeError(.timeout, "could not connect to \(server) in time"), true)
            case .remoteConnectionClosed:
                return (KubeError(.transport, "the connection to \(server) was closed before the response completed"), true)
            case .alreadyShutdown:
                return (KubeError(.clientShutdown, "the client has been shut down"), false)
            default:
                break
            }
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return (
                KubeError(
                    .tlsVerification,
                    "TLS verification failed: the certificate of \(server) is not signed by the configured certificate authority"),
                false
            )
        }
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return (KubeError(.tlsVerification, "TLS verification failed: the certificate of \(server) does not cover its host name or IP"), false)
        }
        if error is NIOSSLError {
            return (KubeError(.transport, "the TLS handshake with \(server) failed: \(text.prefix(300))"), false)
        }
        if error is NIOConnectionError || text.contains("refused") || text.contains("reset by peer") {
            return (KubeError(.transport, "could not connect to \(server): \(text.prefix(300))"), true)
        }
        if error is IOError || error is ChannelError {
            return (KubeError(.transport, "the connection to \(server) failed: \(text.prefix(300))"), true)
        }
        return (KubeError(.transport, "the request to \(server) failed: \(text.prefix(300))"), false)
    }
}
