import AsyncHTTPClient
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// The HTTP clients behind a ``KubeClient``: one current `HTTPClient` built for the
/// configured TLS material, replaced when the CA file changes.
///
/// A replaced client is drained, not killed: requests and watches already running on
/// it keep their connection, and it is shut down when its last lease is returned.
final class Transport: Sendable {
    struct Lease: Sendable {
        let client: HTTPClient
        fileprivate let generation: Int
    }

    private struct Generation {
        let client: HTTPClient
        var inFlight: Int
    }

    private struct State {
        var current: Int
        var generations: [Int: Generation]
        var isShutDown: Bool
    }

    /// The URL prefix requests are sent to (the host replaced by `tls-server-name` when set).
    let baseURL: String
    private let tls: ClientConfig.TLS
    private let timeouts: ClientConfig.Timeouts
    /// `nil`: compression off; else the decompressed-size limit per response.
    private let decompressionLimit: Int?
    private let dnsOverride: [String: String]
    private let isHTTPS: Bool
    private let trustStore: TrustStore?
    private let state: NIOLockedValueBox<State>
    /// The trust roots in use (replaced with the client on a CA rotation), for WebSocket connections.
    private let currentRoots: NIOLockedValueBox<[NIOSSLCertificate]?>
    /// Where WebSocket connections (exec, attach, port-forward) go: AsyncHTTPClient cannot upgrade.
    let webSocketHost: String
    let webSocketPort: Int
    /// SNI and the name the certificate must cover (`tls-server-name`, else the URL's host).
    let webSocketServerName: String?
    /// The server URL's path (a proxy prefix), prepended to request paths.
    let pathPrefix: String

    init(config: ClientConfig, logger: Logger) throws(ConfigError) {
        guard let url = URL(string: config.server), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            let host = url.host, !host.isEmpty
        else {
            throw ConfigError(.invalidServerURL, "server \"\(config.server)\" is not an http(s) URL")
        }
        isHTTPS = scheme == "https"
        tls = config.tls
        timeouts = config.timeouts
        let decompressionLimit = config.compression ? config.maxResponseBodyBytes : nil
        self.decompressionLimit = decompressionLimit
        var base = config.server.hasSuffix("/") ? String(config.server.dropLast()) : config.server
        var overrides: [String: String] = [:]
        if isHTTPS, let serverName = config.tls.serverName, serverName != host {
            // tls-server-name: address the server by that name (SNI and verification use it)
            // and let the DNS override connect to the real host.
            let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            overrides[serverName] = bareHost
            let port = url.port ?? 443
            base = "https://\(serverName):\(port)" + url.path
        }
        baseURL = base
        dnsOverride = overrides
        let bareHost = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        webSocketHost = bareHost
        webSocketPort = url.port ?? (scheme == "https" ? 443 : 80)
        webSocketServerName = scheme == "https" ? (config.tls.serverName ?? bareHost) : nil
        pathPrefix = url.path.hasSuffix("/") ? String(url.path.dropLast()) : url.path
        trustStore = isHTTPS ? TrustStore(source: config.tls.certificateAuthority, refreshInterval: config.credentialRefreshInterval) : nil
        if isHTTPS && config.tls.insecureSkipTLSVerify {
            logger.warning("insecure-skip-tls-verify is set: the API server's certificate is NOT verified", metadata: ["server": "\(config.server)"])
        }
        let roots = try config.tls.certificateAuthority.map { source throws(ConfigError) in try TrustStore.loadCertificates(from: source) }
        let client = try Self.makeClient(
            isHTTPS: isHTTPS, tls: config.tls, roots: roots, timeouts: config.timeouts, decompressionLimit: decompressionLimit, dnsOverride: overrides,
            logger: logger)
        state = NIOLockedValueBox(State(current: 0, generations: [0: Generation(client: client, inFlight: 0)], isShutDown: false))
        currentRoots = NIOLockedValueBox(roots)
    }

    /// The TLS configuration for a WebSocket connection: the same trust roots (after a CA
    /// rotation, the new ones), client certificate and verification as every other request,
    /// with ALPN `http/1.1` (the upgrade is HTTP/1.1 only). `nil` for an `http://` server.
    func webSocketTLS(logger: Logger) throws(KubeError) -> TLSConfiguration? {
        // A lease checks the CA file for a rotation and fails once the client is shut down.
        release(try lease(logger: logger))
        guard isHTTPS else { return nil }
        do {
            var configuration = try Self.makeTLSConfiguration(tls: tls, roots: currentRoots.withLockedValue { $0 })
            configuration.applicationProtocols = ["http/1.1"]
            return configuration
        } catch {
            throw KubeError(.credentials, error.message)
        }
    }

    /// The client to send one request on; hand it back with ``release(_:)``.
    func lease(logger: Logger) throws(KubeError) -> Lease {
        if let trustStore, let candidate = trustStore.changedRoots(logger: logger) {
            do {
                let client = try Self.makeClient(
                    isHTTPS: isHTTPS, tls: tls, roots: candidate.certificates, timeouts: timeouts, decompressionLimit: decompressionLimit,
                    dnsOverride: dnsOverride, logger: logger)
                currentRoots.withLockedValue { $0 = candidate.certificates }
                let retired: HTTPClient? = state.withLockedValue { state in
                    guard !state.isShutDown else { return client }
                    let old = state.current
                    state.current = old + 1
                    state.generations[old + 1] = Generation(client: client, inFlight: 0)
                    if let generation = state.generations[old], generation.inFlight == 0 {
                        state.generations[old] = nil
                        return generation.client
                    }
                    return nil
                }
                retired.map(Self.shutdownInBackground)
                // Only now is the new CA in use: a failed build leaves it to be tried again.
                trustStore.applied(candidate, logger: logger)
            } catch {
                trustStore.failed(candidate, error: error, logger: logger)
            }
        }
        let lease: Lease? = state.withLockedValue { state in
            guard !state.isShutDown, var generation = state.generations[state.current] else { return nil }
            generation.inFlight += 1
            state.generations[state.current] = generation
            return Lease(client: generation.client, generation: state.current)
        }
        guard let lease else { throw KubeError(.clientShutdown, "the client has been shut down") }
        return lease
    }

    func release(_ lease: Lease) {
        let retired: HTTPClient? = state.withLockedValue { state in
            guard var generation = state.generations[lease.generation] else { return nil }
            generation.inFlight -= 1
            if generation.inFlight == 0 && lease.generation != state.current && !state.isShutDown {
                state.generations[lease.generation] = nil
                return generation.client
            }
            state.generations[lease.generation] = generation
            return nil
        }
        retired.map(Self.shutdownInBackground)
    }

    func shutdown() async throws {
        let clients: [HTTPClient] = state.withLockedValue { state in
            guard !state.isShutDown else { return [] }
            state.isShutDown = true
            defer { state.generations = [:] }
            return state.generations.values.map(\.client)
        }
        for client in clients { try await client.shutdown() }
    }

    /// A client dropped without ``KubeClient/shutdown()`` still closes its connections
    /// (AsyncHTTPClient would otherwise stop the process in its own deinit).
    deinit {
        let clients: [HTTPClient] = state.withLockedValue { state in
            guard !state.isShutDown else { return [] }
            state.isShutDown = true
            return state.generations.values.map(\.client)
        }
        clients.forEach(Self.shutdownInBackground)
    }

    private static func shutdownInBackground(_ client: HTTPClient) {
        client.shutdown { _ in }
    }

    static func makeClient(
        isHTTPS: Bool, tls: ClientConfig.TLS, roots: [NIOSSLCertificate]?, timeouts: ClientConfig.Timeouts, decompressionLimit: Int?,
        dnsOverride: [String: String], logger: Logger
    ) throws(ConfigError) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        if isHTTPS {
            configuration.tlsConfiguration = try makeTLSConfiguration(tls: tls, roots: roots)
        }
        // `read` stays nil: a per-request read timeout would also cut quiet watches. Streams are
        // bounded by the watch idle timeout, non-streaming requests by their deadline, and dead
        // HTTP/2 connections are found by the PING health check.
        configuration.timeout = .init(connect: timeAmount(timeouts.connect), read: nil)
        if let readIdle = timeouts.connectionReadIdle {
            let pingTimeout = timeouts.pingTimeout
            configuration.http2ConnectionDebugInitializer = { channel in
                HTTP2HealthCheckHandler.install(on: channel, readIdle: readIdle, pingTimeout: pingTimeout, logger: logger)
            }
        }
        // Fail fast: a refused connection or a certificate that does not verify must surface at
        // once, not after AHC's connection backoff; the send path decides about retries.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .automatic
        configuration.redirectConfiguration = .disallow
        // Streaming inflation in the connection pipeline (HTTP/1.1 and each HTTP/2 stream), so a
        // body is never held compressed and inflated twice. The size limit counts inflated bytes
        // per response: a bomb fails with `DecompressionError.limit` (→ `responseTooLarge`).
        configuration.decompression = decompressionLimit.map { .enabled(limit: .size($0)) } ?? .disabled
        configuration.dnsOverride = dnsOverride
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// The client TLS configuration for `tls` with `roots` as the only trust anchors.
    static func makeTLSConfiguration(tls: ClientConfig.TLS, roots: [NIOSSLCertificate]?) throws(ConfigError) -> TLSConfiguration {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if tls.insecureSkipTLSVerify {
            tlsConfiguration.certificateVerification = .none
        } else if let roots {
            // The configured CA is the only trust anchor: the system store is never added.
            tlsConfiguration.trustRoots = .certificates(roots)
        }
        if let certificate = tls.clientCertificate, let key = tls.clientKey {
            do {
                let chain = try NIOSSLCertificate.fromPEMBytes(try TrustStore.pemBytes(certificate, what: "client certificate"))
                tlsConfiguration.certificateChain = chain.map { .certificate($0) }
                tlsConfiguration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: try TrustStore.pemBytes(key, what: "client key"), format: .pem))
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError(.invalidData, "the client certificate or key is not valid PEM")
            }
        }
        // Build the TLS context once here, so material BoringSSL refuses (a key that does
        // not match its certificate) fails this build instead of every connection.
        do {
            _ = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw ConfigError(.invalidData, "the TLS configuration cannot be used: \(error)")
        }
        return tlsConfiguration
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
