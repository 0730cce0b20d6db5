import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// The HTTP endpoint a Deployment points its probes and Prometheus at, on one plain HTTP/1.1 port
/// (kubelet probes and scrapers speak plain HTTP inside the Pod network):
///
/// - `GET /metrics`: every metric in the Prometheus text format (see ``OperatorMetrics``);
/// - `GET /healthz` (and `/livez`): 200 `ok` while the process serves and every liveness check passes;
/// - `GET /readyz`: 200 `ok` when every readiness check passes (informers synced, leader election
///   state known, webhook certificates loaded, your own), else 503 naming the failing checks;
///   `?verbose` lists every check as kube-apiserver does (`[+]name ok`, `[-]name failed`).
///
/// ```swift
/// let endpoint = OperatorEndpoint(port: 8080, readiness: [.synced(informer), .leaderElection(elector)])
/// ```
///
/// It is a `Service`: it listens in ``run()`` until cancelled or shut down gracefully. Creating it
/// bootstraps the Prometheus backend once per process (``OperatorMetrics/bootstrap(logger:)``)
/// unless you pass a registry.
public final class OperatorEndpoint: Service, Sendable {
    public let host: String
    public let port: Int
    let readiness: [HealthCheck]
    let liveness: [HealthCheck]
    let registry: PrometheusCollectorRegistry?
    let logger: Logger
    private let boundPort = Mutex<Result<Int, OperatorEndpointError>?>(nil)
    private let portWaiters = Mutex<[CheckedContinuation<Int, any Error>]>([])

    /// - Parameters:
    ///   - port: `0` picks a free port (``listeningPort()`` tells which).
    ///   - registry: the registry to serve; the one ``OperatorMetrics/bootstrap(logger:)`` installs when `nil`.
    public init(
        host: String = "0.0.0.0", port: Int = 8080, readiness: [HealthCheck] = [], liveness: [HealthCheck] = [],
        registry: PrometheusCollectorRegistry? = nil, logger: Logger = Logger(label: "kubernetes.endpoint")
    ) {
        self.host = host
        self.port = port
        self.readiness = readiness
        self.liveness = liveness
        self.registry = registry ?? OperatorMetrics.bootstrap(logger: logger)
        self.logger = logger
    }

    /// The port it listens on, once it does (waits for ``run()`` to bind).
    /// - Throws: ``OperatorEndpointError`` when binding failed.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let known: Result<Int, OperatorEndpointError>? = boundPort.withLock { known in
                if known == nil { portWaiters.withLock { $0.append(continuation) } }
                return known
            }
            if let known { continuation.resume(with: known.mapError { $0 as any Error }) }
        }
    }

    private func setBound(_ result: Result<Int, OperatorEndpointError>) {
        let waiters = boundPort.withLock { known in
            known = result
            return portWaiters.withLock { waiters in
                defer { waiters.removeAll() }
                return waiters
            }
        }
        for waiter in waiters { waiter.resume(with: result.mapError { $0 as any Error }) }
    }

    /// Listens until cancelled or shut down gracefully.
    /// - Throws: ``OperatorEndpointError`` when the address cannot be bound.
    public func run() async throws {
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [self] channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(EndpointRequestHandler(endpoint: self))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            let failure = OperatorEndpointError(address: "\(host):\(port)", cause: "\(error)")
            setBound(.failure(failure))
            throw failure
        }
        let port = channel.localAddress?.port ?? port
        setBound(.success(port))
        logger.info("operator endpoint listening", metadata: ["address": "\(host):\(port)"])
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                try? await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        }
        try? await channel.close()
    }

    /// The answer to one request: status, content type, body.
    func respond(method: String, uri: String) async -> (status: Int, contentType: String, body: String) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? uri
        let verbose = parts.count > 1 && parts[1].split(separator: "&").contains { $0 == "verbose" || $0.hasPrefix("verbose=") }
        guard method == "GET" || method == "HEAD" else { return (405, "text/plain; charset=utf-8", "method not allowed\n") }
        switch path {
        case "/metrics":
            guard let registry else { return (200, "text/plain; version=0.0.4; charset=utf-8", "") }
            return (200, "text/plain; version=0.0.4; charset=utf-8", await OperatorMetrics.render(registry))
        case "/healthz", "/livez":
            return await Self.probe(liveness, verbose: verbose)
        case "/readyz":
            return await Self.probe(readiness, verbose: verbose)
        default:
            return (404, "text/plain; charset=utf-8", "not found\n")
        }
    }

    /// kube-apiserver's health format: `ok`, or the failing checks and 503.
    static func probe(_ checks: [HealthCheck], verbose: Bool) async -> (status: Int, contentType: String, body: String) {
        var lines: [String] = []
        var failed = false
        for check in checks {
            let passed = await check.check()
            failed = failed || !passed
            lines.append(passed ? "[+]\(check.name) ok" : "[-]\(check.name) failed")
        }
        let type = "text/plain; charset=utf-8"
        if failed {
            return (503, type, lines.joined(separator: "\n") + "\nhealthz check failed\n")
        }
        return (200, type, verbose ? lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n") + "healthz check passed\n" : "ok")
    }
}

/// Why the endpoint cannot serve.
public struct OperatorEndpointError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, for comparisons (`error.code == .bindFailed`). New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable { case bindFailed }
        fileprivate let base: Base
        /// The address could not be bound (in use, not local, no permission).
        public static let bindFailed = Code(base: .bindFailed)
        public var description: String {
            switch base {
            case .bindFailed: "bindFailed"
            }
        }
    }

    public let code: Code
    /// The address it tried (`0.0.0.0:8080`).
    public let address: String
    let cause: String

    init(address: String, cause: String) {
        self.code = .bindFailed
        self.address = address
        self.cause = cause
    }

    public var description: String { "the operator endpoint cannot listen on \(address): \(cause)" }
}

/// Collects one request and answers it on a task.
final class EndpointRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoint: OperatorEndpoint
    private var head: HTTPRequestHead?

    init(endpoint: OperatorEndpoint) { self.endpoint = endpoint }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break  // probes and scrapes carry no body
        case .end:
            guard let head else { return }
            self.head = nil
            let channel = context.channel
            let endpoint = self.endpoint
            Task {
                let answer = await endpoint.respond(method: head.method.rawValue, uri: head.uri)
                var headers = HTTPHeaders()
                let body = Array(answer.body.utf8)
                headers.add(name: "Content-Type", value: answer.contentType)
                headers.add(name: "Content-Length", value: "\(body.count)")
                if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
                let response = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
                channel.write(HTTPServerResponsePart.head(response), promise: nil)
                if head.method != .HEAD, !body.isEmpty {
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
                }
                try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
                if !head.isKeepAlive { try? await channel.close() }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
