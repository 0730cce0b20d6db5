import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// An HTTPS server for admission and conversion webhooks, run as a swift-service-lifecycle
/// `Service`.
///
/// - TLS 1.2 or later; HTTP/2 and HTTP/1.1 negotiated by ALPN (kube-apiserver uses both).
/// - The serving certificate and key are read from files (by default
///   `/tmp/k8s-webhook-server/serving-certs/tls.{crt,key}`, where a cert-manager Secret is
///   conventionally mounted) and re-read every ``Configuration/certificateReloadInterval``:
///   new connections get the new pair, open connections keep theirs and are not dropped.
/// - `GET /healthz` answers 200 while the server runs; `GET /readyz` 200 once it listens
///   and 503 as soon as graceful shutdown begins.
/// - Graceful shutdown stops accepting connections, lets in-flight reviews finish (up to
///   ``Configuration/shutdownTimeout``), then closes every connection. Cancellation closes
///   at once.
///
/// `run()` throws ``WebhookServerError`` when the certificate cannot be loaded or the
/// port cannot be bound; it returns after shutdown.
public final class WebhookServer: Service, Sendable {
    /// The HTTP/2 flow-control window, connection and stream: 1 MiB, Go's HTTP/2 server's.
    static let windowSize = 1 << 20

    public struct Configuration: Sendable {
        public var host: String
        /// 9443, controller-runtime's default. 0 picks a free port (see ``WebhookServer/listeningPort()``).
        public var port: Int
        public var certificateFile: String
        public var keyFile: String
        public var certificateReloadInterval: Duration
        public var maxRequestBodyBytes: Int
        public var shutdownTimeout: Duration
        /// The level of the one log line each review gets.
        public var reviewLogLevel: Logger.Level

        public static let defaultCertificateDirectory = "/tmp/k8s-webhook-server/serving-certs"

        public init(
            host: String = "0.0.0.0", port: Int = 9443,
            certificateFile: String = Self.defaultCertificateDirectory + "/tls.crt",
            keyFile: String = Self.defaultCertificateDirectory + "/tls.key",
            certificateReloadInterval: Duration = .seconds(2),
            maxRequestBodyBytes: Int = WebhookRouter.defaultMaxRequestBodyBytes,
            shutdownTimeout: Duration = .seconds(30), reviewLogLevel: Logger.Level = .info
        ) {
            self.host = host
            self.port = port
            self.certificateFile = certificateFile
            self.keyFile = keyFile
            self.certificateReloadInterval = certificateReloadInterval
            self.maxRequestBodyBytes = maxRequestBodyBytes
            self.shutdownTimeout = shutdownTimeout
            self.reviewLogLevel = reviewLogLevel
        }
    }

    public let configuration: Configuration
    public let router: WebhookRouter
    let certificates: CertificateReloader
    let logger: Logger
    let connections = ConnectionTracker()
    private let phase = Mutex(Phase.idle)
    private let portWaiters = Mutex<[CheckedContinuation<Int, any Error>]>([])

    enum Phase: Equatable {
        case idle
        case listening(port: Int)
        case draining
        case stopped
    }

    public init(
        configuration: Configuration = Configuration(), webhooks: [Webhook], logger: Logger = Logger(label: "kube.webhooks"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.configuration = configuration
        self.router = WebhookRouter(
            webhooks: webhooks, maxRequestBodyBytes: configuration.maxRequestBodyBytes,
            reviewLogLevel: configuration.reviewLogLevel, logger: logger, metricsFactory: metricsFactory)
        self.certificates = CertificateReloader(
            certificateFile: configuration.certificateFile, keyFile: configuration.keyFile, logger: logger)
        self.logger = logger
    }

    /// The bound port, once the server listens (waits for it; throws
    /// ``WebhookServerError`` when the server stopped or failed first).
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let answer: Result<Int, WebhookServerError>? = phase.withLock { phase in
                switch phase {
                case .listening(let port): return .success(port)
                case .draining, .stopped: return .failure(.notRunning)
                case .idle:
                    portWaiters.withLock { $0.append(continuation) }
                    return nil
                }
            }
            if let answer { continuation.resume(with: answer) }
        }
    }

    /// `true` while it listens with its certificates loaded (a readiness check for `/readyz`).
    public var isReady: Bool { phase.withLock { if case .listening = $0 { true } else { false } } }

    public func run() async throws {
        do {
            try certificates.reload()
        } catch {
            finish(failing: true)
            throw error
        }
        let channel: any Channel
        do {
            channel = try await bind()
        } catch {
            finish(failing: true)
            throw WebhookServerError.bindFailed(address: "\(configuration.host):\(configuration.port)", cause: "\(error)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        let waiters = phase.withLock { phase in
            phase = .listening(port: port)
            return portWaiters.withLock { waiters in
                defer { waiters = [] }
                return waiters
            }
        }
        for waiter in waiters { waiter.resume(returning: port) }
        logger.info("webhook server listening", metadata: [
            "port": "\(port)", "webhooks": "\(router.webhooks.keys.sorted().joined(separator: ","))",
        ])

        let reloader = Task { [certificates, configuration] in await certificates.watch(every: configuration.certificateReloadInterval) }
        defer { reloader.cancel() }

        let (signal, trigger) = AsyncStream<Void>.makeStream()
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                for await _ in signal {}
            } onCancel: {
                trigger.finish()
            }
        } onGracefulShutdown: {
            trigger.finish()
        }

        phase.withLock { $0 = .draining }
        logger.info("webhook server shutting down", metadata: ["inFlight": "\(connections.inFlight)"])
        try? await channel.close()
        if !Task.isCancelled {
            await connections.waitUntilIdle(timeout: configuration.shutdownTimeout)
        }
        await connections.closeAll()
        finish(failing: false)
        logger.info("webhook server stopped")
    }

    private func finish(failing: Bool) {
        let waiters = phase.withLock { phase in
            phase = .stopped
            return portWaiters.withLock { waiters in
                defer { waiters = [] }
                return waiters
            }
        }
        for waiter in waiters { waiter.resume(throwing: WebhookServerError.notRunning) }
    }

    private func bind() async throws -> any Channel {
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                // The pair current now serves this connection for its whole life.
                guard let context = certificates.context else {
                    return channel.eventLoop.makeFailedFuture(WebhookServerError.notRunning)
                }
                connections.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }.flatMap {
                    channel.configureHTTP2SecureUpgrade(
                        h2ChannelConfigurator: { connection in
                            // Between TLS and HTTP/2: one TLS write per tick for all answered streams.
                            do {
                                try connection.pipeline.syncOperations.addHandler(FlushCoalescingHandler())
                            } catch {
                                return connection.eventLoop.makeFailedFuture(error)
                            }
                            // Flow-control windows of 1 MiB for the connection and each stream, as
                            // Go's HTTP/2 server has (NIO's default of 64 KiB stalls a client with 64
                            // reviews of over 1 KiB each in flight until a window update).
                            return connection.configureHTTP2Pipeline(
                                mode: .server,
                                initialLocalSettings: nioDefaultSettings + [HTTP2Setting(parameter: .initialWindowSize, value: Self.windowSize)],
                                targetWindowSize: Self.windowSize
                            ) { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                    try stream.pipeline.syncOperations.addHandler(WebhookRequestHandler(server: self))
                                }
                            }.map { _ in }
                        },
                        http1ChannelConfigurator: { connection in
                            connection.eventLoop.makeCompletedFuture {
                                try connection.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                                try connection.pipeline.syncOperations.addHandler(WebhookRequestHandler(server: self))
                            }
                        })
                }
            }
        return try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
    }
}

/// Open connections and in-flight requests, for graceful shutdown.
final class ConnectionTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: any Channel] = [:]
        var inFlight = 0
        var idleWaiters: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    var inFlight: Int { state.withLock { $0.inFlight } }

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.connections[id] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }

    func begin() { state.withLock { $0.inFlight += 1 } }

    func end() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            state.inFlight -= 1
            guard state.inFlight == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter() }
    }

    /// Returns when no request is in flight, or after `timeout`.
    func waitUntilIdle(timeout: Duration) async {
        let gate = ResultGate<Void>()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            gate.install(continuation)
            let idle = state.withLock { state -> Bool in
                if state.inFlight == 0 { return true }
                state.idleWaiters.append { gate.resolve(()) }
                return false
            }
            if idle {
                gate.resolve(())
                return
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                gate.resolve(())
            }
            gate.onResolve { timer.cancel() }
        }
    }

    func closeAll() async {
        let open = state.withLock { Array($0.connections.values) }
        for channel in open { try? await channel.close() }
    }
}
