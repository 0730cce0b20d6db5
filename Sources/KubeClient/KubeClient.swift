import Foundation
import KubeCore
import Logging

/// A connection to one API server: configuration, credentials, TLS transport, rate limit
/// and a discovery cache, shared by every ``Api`` made from it.
///
/// Lifetime: use ``withKubeClient(_:logger:_:)`` or call ``shutdown()`` when done (it
/// closes the connections; requests after it fail with ``KubeError/Code/clientShutdown``).
/// A client released without `shutdown()` closes its connections in the background.
/// Safe to share between tasks.
public final class KubeClient: Sendable {
    public let config: ClientConfig
    /// The client's logger; each call may pass its own.
    public let logger: Logger
    let transport: Transport
    let authenticator: Authenticator
    let rateLimiter: TokenBucket?
    let discoveryCache: DiscoveryCache

    /// Builds the transport from `config`: reads the CA and client certificate, the token
    /// file (to fail now rather than at the first request), and logs a warning when TLS
    /// verification is disabled. No connection is opened until the first request.
    public init(config: ClientConfig, logger: Logger = Logger(label: "kubernetes.client")) throws(ConfigError) {
        self.config = config
        var logger = logger
        logger[metadataKey: "kube.server"] = "\(config.server)"
        self.logger = logger
        transport = try Transport(config: config, logger: logger)
        authenticator = try Authenticator(config: config)
        rateLimiter = config.rateLimit.map(TokenBucket.init)
        discoveryCache = DiscoveryCache()
    }

    /// The default namespace of this configuration (the pod's, or the kubeconfig context's).
    public var namespace: String { config.namespace }

    /// Closes every connection. Streams still open end with an error.
    public func shutdown() async throws {
        try await transport.shutdown()
    }
}

/// Runs `body` with a client for `config` and shuts the client down afterwards, whether
/// `body` returns or throws.
public func withKubeClient<Result: Sendable>(
    _ config: ClientConfig, logger: Logger = Logger(label: "kubernetes.client"),
    _ body: (KubeClient) async throws -> Result
) async throws -> Result {
    let client = try KubeClient(config: config, logger: logger)
    let result: Result
    do {
        result = try await body(client)
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
    return result
}

/// A buffered response: status, headers and the whole body.
public struct KubeResponse: Sendable {
    public let statusCode: Int
    public let headers: [(name: String, value: String)]
    public let body: Data
    /// The protocol the answer came over: `HTTP/2.0` when the server offered HTTP/2 (ALPN `h2`),
    /// else `HTTP/1.1`.
    public let httpVersion: String

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// `GET /version`.
public struct ServerVersion: Codable, Sendable, Hashable {
    public var major: String
    public var minor: String
    public var gitVersion: String
    public var gitCommit: String?
    public var gitTreeState: String?
    public var buildDate: String?
    public var goVersion: String?
    public var compiler: String?
    public var platform: String?
}

extension KubeClient {
    /// Sends any request (see ``KubeRequest``) through the client's full send path and returns
    /// the whole response. Non-2xx answers throw ``KubeError`` with the API `Status`.
    public func send(_ request: KubeRequest, logger: Logger? = nil) async throws -> KubeResponse {
        try await execute(request, logger: logger ?? self.logger)
    }

    /// Sends a request and decodes its JSON body as `T`.
    public func request<T: Decodable>(_ request: KubeRequest, as type: T.Type = T.self, logger: Logger? = nil) async throws -> T {
        let response = try await execute(request, logger: logger ?? self.logger)
        return try decode(T.self, from: response.body, what: "the response to \(request.method.rawValue) \(request.path)")
    }

    /// The API server's version (`GET /version`).
    public func version(logger: Logger? = nil) async throws -> ServerVersion {
        try await request(KubeRequest(method: .get, path: "/version", headers: ["Accept": "application/json"], verb: "get"), logger: logger)
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: data) } catch { throw KubeError.decoding(error, what: what) }
    }
}
