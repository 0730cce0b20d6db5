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
    /// When the body must be complete (``ClientConfig/Timeouts/request`` from this attempt's
    /// send); `nil` for a watch or followed log, whose body streams without a bound.
    let deadline: ContinuousClock.Instant?
}

/// The body did not arrive before the attempt's deadline.
struct BodyDeadlineExceeded: Error {}

extension KubeClient {
    /// The one function where every transport concern is composed. For each attempt, in order:
    ///
    /// 1. **Rate limit**: take a token from the client-side bucket (each attempt counts, as in
    ///    client-go's `tryThrottle`).
    /// 2. **Authentication**: the current bearer token (a token file is re-read when due).
    /// 3. **User agent** and the request's own headers.
    /// 4. **Send** on the current `HTTPClient` (a CA rotation swaps it between attempts), with a
    ///    deadline of ``ClientConfig/Timeouts/request`` for the response head (and, for a
    ///    non-streaming request, for the body: see ``execute(_:logger:)``).
    /// 5. **Retry** as ``RetryStep`` decides from the answer (a status and its `Retry-After`, or a
    ///    transport failure classified by type): re-authenticate once on a 401, wait and resend
    ///    on a 429/5xx with `Retry-After` or on a connection failure, or fail.
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
            // Only gzip, as client-go asks (the pipeline would otherwise offer deflate too).
            if config.compression && !http.headers.contains(name: "Accept-Encoding") {
                http.headers.add(name: "Accept-Encoding", value: "gzip")
            }
            if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
            let step = RetryStep.Request(
                method: request.method, isReplayable: request.isReplayable, attempt: attempt,
                canReauthenticate: authenticator.canRefresh && !reauthenticated)

            // 4. send
            let lease = try transport.lease(logger: logger)
            let started = ContinuousClock.now
            let deadline = started + config.timeouts.request
            let response: HTTPClientResponse
            do {
                response = try await lease.client.execute(http, deadline: .now() + Transport.timeAmount(config.timeouts.request))
            } catch {
                transport.release(lease)
                RequestMetrics.record(verb: request.verb, resource: resource, code: "error", duration: .now - started)
                if let error = error as? KubeError { throw error }
                let failure = TransportFailure(error)
                let decision = RetryStep.decide(.failure(failure.kind), request: step, policy: config.retry)
                if case .retry(let delay) = decision {
                    logger.debug(
                        "connection failed; retrying", metadata: ["attempt": "\(attempt)", "delay": "\(delay)", "error": "\(failure.kind)"])
                    try await Task.sleep(for: delay)
                    continue
                }
                let thrown = failure.error(server: config.server)
                logger.debug(
                    "request failed",
                    metadata: ["path": "\(request.path)", "error": "\(thrown)", "reachedServer": "\(failure.reachedServer)"])
                throw thrown
            }
            let code = Int(response.status.code)
            RequestMetrics.record(verb: request.verb, resource: resource, code: String(code), duration: .now - started)
            for warning in response.headers["Warning"] {
                logger.warning("API server warning: \(Self.warningText(warning))", metadata: ["path": "\(request.path)"])
            }
            logger.debug("response", metadata: ["method": "\(request.method.rawValue)", "path": "\(request.path)", "status": "\(code)"])
            let retryAfterHeader = response.headers.first(name: "Retry-After")
            let decision = RetryStep.decide(.response(code: code, retryAfter: retryAfterHeader), request: step, policy: config.retry)
            if decision == .deliver {
                return Exchange(response: response, lease: lease, request: request, deadline: request.isStreaming ? nil : deadline)
            }

            // 5. error answers: read the (bounded) body, then retry or fail.
            let body: Data
            do { body = Data(buffer: try await Self.collect(response.body, upTo: 4 << 20, deadline: deadline)) } catch { body = Data() }
            transport.release(lease)
            switch decision {
            case .reauthenticate:
                reauthenticated = true
                await authenticator.invalidate()
                logger.info("401 Unauthorized; re-reading credentials and retrying once")
                continue
            case .retry(let delay):
                logger.debug("server asked to retry", metadata: ["status": "\(code)", "delay": "\(delay)", "attempt": "\(attempt)"])
                try await Task.sleep(for: delay)
                continue
            case .deliver, .fail:
                throw KubeError.fromResponse(
                    code: code, body: Self.jsonBody(body, contentType: response.headers.first(name: "Content-Type")), retryAfter: RetryStep.retryAfterSeconds(retryAfterHeader), kind: parts.resource, name: parts.name,
                    verb: request.verb)
            }
        }
    }

    /// Sends a non-streaming request and buffers the whole body, all within the attempt's
    /// ``ClientConfig/Timeouts/request``: a body that stalls fails with ``KubeError/Code/timeout``
    /// and closes the stream (AsyncHTTPClient's own deadline ends with the response head).
    /// With `transcode` a protobuf body is handed over as JSON (``send(_:logger:)``); without it
    /// the body stays protobuf for the typed decoders, which read it directly.
    func execute(_ request: KubeRequest, logger: Logger, transcode: Bool = true) async throws -> KubeResponse {
        let exchange = try await self.exchange(request, logger: logger)
        defer { transport.release(exchange.lease) }
        let body: ByteBuffer
        do {
            body = try await Self.collect(
                exchange.response.body, upTo: config.maxResponseBodyBytes, deadline: exchange.deadline ?? .now + config.timeouts.request)
        } catch is NIOTooManyBytesError {
            throw KubeError(
                .responseTooLarge, "the response to \(request.method.rawValue) \(request.path) is larger than \(config.maxResponseBodyBytes) bytes")
        } catch is BodyDeadlineExceeded {
            logger.debug("response body timed out", metadata: ["path": "\(request.path)", "timeout": "\(config.timeouts.request)"])
            throw KubeError(
                .timeout,
                "the response to \(request.method.rawValue) \(request.path) did not complete within \(config.timeouts.request) (the body stalled)")
        } catch let error as KubeError {
            throw error
        } catch {
            throw TransportFailure(error).error(server: config.server)
        }
        return KubeResponse(
            statusCode: Int(exchange.response.status.code),
            headers: exchange.response.headers.map { (name: $0.name, value: $0.value) },
            body: transcode
                ? try Self.decodedBody(Data(buffer: body), contentType: exchange.response.headers.first(name: "Content-Type"), request: request)
                : Data(buffer: body),
            httpVersion: exchange.response.version.description)
    }

    /// Collects a response body unless `deadline` passes first (then ``BodyDeadlineExceeded``;
    /// the abandoned read is cancelled, which resets the stream or closes the HTTP/1 connection).
    static func collect(_ body: HTTPClientResponse.Body, upTo limit: Int, deadline: ContinuousClock.Instant) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: limit) }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else { throw BodyDeadlineExceeded() }
            return buffer
        }
    }

    /// RFC 7234 `Warning: 299 - "text"` → `text`.
    static func warningText(_ header: String) -> String {
        guard let open = header.firstIndex(of: "\""), let close = header.lastIndex(of: "\""), open < close else { return header }
        return String(header[header.index(after: open)..<close])
    }
}
