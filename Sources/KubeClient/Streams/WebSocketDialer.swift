import Foundation
import KubeCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Receives the messages of an upgraded connection, on its event loop.
protocol WebSocketSink: Sendable {
    func received(_ message: Data)
    /// The connection ended, once: `clean` after a close frame, else it was cut (reset, error, EOF).
    func closed(clean: Bool)
}

/// An upgraded connection: binary messages out (masked, as a client must), close.
final class ClientWebSocket: Sendable {
    let channel: any Channel
    /// The `Sec-WebSocket-Protocol` the server chose.
    let subprotocol: String

    init(channel: any Channel, subprotocol: String) {
        self.channel = channel
        self.subprotocol = subprotocol
    }

    func send(_ data: Data) async throws(KubeError) {
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: ByteBuffer(bytes: data))
        do {
            try await channel.writeAndFlush(frame)
        } catch {
            throw KubeError(.streamClosed, "the connection is closed", underlying: error)
        }
    }

    /// Sends a close frame and closes the connection.
    func close() async {
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: .normalClosure)
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload))
        try? await channel.close()
    }
}

extension KubeClient {
    /// Opens a WebSocket for an exec, attach or port-forward request, with the same
    /// composition as ``exchange(_:logger:)`` where it applies: rate limit, the current bearer
    /// token (a 401 re-reads it and tries once more), user agent, the client's TLS trust and
    /// certificate. A refused upgrade throws the server's `Status` as a ``KubeError``.
    func openWebSocket(_ request: KubeRequest, protocols: [String], sink: any WebSocketSink, logger: Logger) async throws -> ClientWebSocket {
        let parts = PathParts(path: request.path)
        var reauthenticated = false
        while true {
            try Task.checkCancellation()
            if let rateLimiter { try await rateLimiter.acquire() }
            let authorization = try await authenticator.authorization(logger: logger)
            let started = ContinuousClock.now
            let outcome: WebSocketOutcome
            do {
                outcome = try await dialWebSocket(request, protocols: protocols, authorization: authorization, sink: sink, logger: logger)
            } catch let error as KubeError {
                RequestMetrics.record(verb: request.verb, resource: parts.metricLabel, code: "error", duration: .now - started)
                throw error
            } catch {
                RequestMetrics.record(verb: request.verb, resource: parts.metricLabel, code: "error", duration: .now - started)
                throw TransportFailure(error).error(server: config.server)
            }
            switch outcome {
            case .upgraded(let socket):
                RequestMetrics.record(verb: request.verb, resource: parts.metricLabel, code: "101", duration: .now - started)
                logger.debug("upgraded", metadata: ["path": "\(request.path)", "protocol": "\(socket.subprotocol)"])
                return socket
            case .refused(let code, let body):
                RequestMetrics.record(verb: request.verb, resource: parts.metricLabel, code: String(code), duration: .now - started)
                if code == 401, authenticator.canRefresh, !reauthenticated {
                    reauthenticated = true
                    await authenticator.invalidate()
                    logger.info("401 Unauthorized; re-reading credentials and retrying once")
                    continue
                }
                if (200..<300).contains(code) {
                    throw KubeError(.transport, "the server answered \(code) instead of switching to WebSocket for \(request.path)")
                }
                throw KubeError.fromResponse(code: code, body: body, retryAfter: nil, kind: parts.resource, name: parts.name, verb: request.verb)
            }
        }
    }

    private func dialWebSocket(
        _ request: KubeRequest, protocols: [String], authorization: String?, sink: any WebSocketSink, logger: Logger
    ) async throws -> WebSocketOutcome {
        let tls = try transport.webSocketTLS(logger: logger)
        let sslContext: NIOSSLContext?
        do { sslContext = try tls.map { try NIOSSLContext(configuration: $0) } } catch {
            throw KubeError(.credentials, "the TLS configuration cannot be used: \(error)")
        }
        let host = transport.webSocketHost
        let port = transport.webSocketPort
        // SNI takes names only; for an IP the certificate is checked against the address.
        let serverName = transport.webSocketServerName.flatMap { Self.isIPAddress($0) ? nil : $0 }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: transport.pathPrefix + request.pathAndQuery)
        head.headers.add(name: "Host", value: host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)")
        if let authorization { head.headers.add(name: "Authorization", value: authorization) }
        head.headers.add(name: "User-Agent", value: config.userAgent)
        head.headers.add(name: "Sec-WebSocket-Protocol", value: protocols.joined(separator: ", "))
        let upgradeHead = head
        let outcome = OutcomeBox(promise: MultiThreadedEventLoopGroup.singleton.any().makePromise(of: WebSocketOutcome.self))
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(Transport.timeAmount(config.timeouts.connect))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(SwitchGuard(outcome: outcome))
                    let webSocket = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20, automaticErrorHandling: true) { channel, response in
                        let subprotocol = response.headers.first(name: "Sec-WebSocket-Protocol") ?? ""
                        return channel.pipeline.removeHandler(name: UpgradeRequestHandler.name)
                            .flatMapError { _ in channel.eventLoop.makeSucceededVoidFuture() }
                            .flatMapThrowing {
                                try channel.pipeline.syncOperations.addHandler(
                                    NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: 1 << 24))
                                try channel.pipeline.syncOperations.addHandler(ClientMessageHandler(sink: sink))
                                outcome.complete(.success(.upgraded(ClientWebSocket(channel: channel, subprotocol: subprotocol))))
                            }
                    }
                    let upgrader = ObservedUpgrader(webSocket, outcome: outcome)
                    // `.forwardBytes`: frames that arrive in the same read as the 101 must reach the WebSocket decoder.
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes, withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try channel.pipeline.syncOperations.addHandler(UpgradeRequestHandler(head: upgradeHead, outcome: outcome), name: UpgradeRequestHandler.name)
                }
            }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        let deadline = config.timeouts.request
        let timeout = channel.eventLoop.scheduleTask(in: Transport.timeAmount(deadline)) {
            outcome.complete(.failure(KubeError(.timeout, "the upgrade of \(request.path) was not answered within \(deadline)")))
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        return try await withTaskCancellationHandler {
            try await outcome.promise.futureResult.get()
        } onCancel: {
            outcome.complete(.failure(CancellationError()))
            channel.close(promise: nil)
        }
    }

    static func isIPAddress(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

enum WebSocketOutcome: Sendable {
    case upgraded(ClientWebSocket)
    /// Not upgraded: the HTTP status and (bounded) body, usually a `Status`.
    case refused(code: Int, body: Data)
}

/// Completes the dial's promise once (upgrade, refusal, error, timeout and cancellation race).
final class OutcomeBox: Sendable {
    let promise: EventLoopPromise<WebSocketOutcome>
    private let done = NIOLockedValueBox(false)
    private let switchingState = NIOLockedValueBox(false)

    init(promise: EventLoopPromise<WebSocketOutcome>) { self.promise = promise }

    /// The server answered 101: NIO is switching the pipeline to WebSocket, which takes a loop
    /// tick (the HTTP decoder leaves the pipeline, handing over the bytes after the 101, on the next one).
    func switching() {
        switchingState.withLockedValue { $0 = true }
    }

    /// Switching and not yet completed.
    var isSwitching: Bool {
        switchingState.withLockedValue { $0 } && !done.withLockedValue { $0 }
    }

    func complete(_ result: Result<WebSocketOutcome, any Error>) {
        let first = done.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else {
            if case .success(.upgraded(let socket)) = result { socket.channel.close(promise: nil) }
            return
        }
        promise.completeWith(result)
    }
}

/// Sends the upgrade request once the connection is up and reads a refusal (any status but 101).
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    static let name = "kube-websocket-upgrade"
    static let maxErrorBody = 1 << 20

    private let head: HTTPRequestHead
    private let outcome: OutcomeBox
    private var sent = false
    private var code = 0
    private var body = Data()

    init(head: HTTPRequestHead, outcome: OutcomeBox) {
        self.head = head
        self.outcome = outcome
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context)
        context.fireChannelActive()
    }

    private func send(_ context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            code = Int(response.status.code)
        case .body(let chunk):
            if body.count < Self.maxErrorBody { body.append(contentsOf: chunk.readableBytesView.prefix(Self.maxErrorBody - body.count)) }
        case .end:
            outcome.complete(.success(.refused(code: code, body: body)))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.complete(.failure(KubeError(.transport, "the connection closed before the server answered the upgrade")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.complete(.failure(error))
        context.close(promise: nil)
    }
}

/// Holds back the end of the connection while NIO switches it to WebSocket. A server that
/// answers and closes at once (101, the frames and the close in one read, as for
/// `exec -- false`) ends the connection before the switch has finished; NIO's HTTP decoder,
/// still in the pipeline then, drops the bytes after the 101 once it has seen the end. Held
/// back one loop tick, the end comes after the switch (queued before it) has handed those
/// bytes to the WebSocket handlers, and reaches them instead.
final class SwitchGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let outcome: OutcomeBox

    init(outcome: OutcomeBox) { self.outcome = outcome }

    func channelInactive(context: ChannelHandlerContext) {
        guard outcome.isSwitching else {
            context.fireChannelInactive()
            return
        }
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.value.eventLoop.execute { context.value.fireChannelInactive() }
    }
}

/// NIO's WebSocket upgrader, telling the dial when the switch begins and when it fails.
struct ObservedUpgrader: NIOHTTPClientProtocolUpgrader {
    let upgrader: NIOWebSocketClientUpgrader
    let outcome: OutcomeBox

    init(_ upgrader: NIOWebSocketClientUpgrader, outcome: OutcomeBox) {
        self.upgrader = upgrader
        self.outcome = outcome
    }

    var supportedProtocol: String { upgrader.supportedProtocol }
    var requiredUpgradeHeaders: [String] { upgrader.requiredUpgradeHeaders }

    func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
        upgrader.addCustom(upgradeRequestHeaders: &upgradeRequestHeaders)
    }

    func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
        let allowed = upgrader.shouldAllowUpgrade(upgradeResponse: upgradeResponse)
        if allowed { outcome.switching() }
        return allowed
    }

    func upgrade(context: ChannelHandlerContext, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Void> {
        let outcome = outcome
        return upgrader.upgrade(context: context, upgradeResponse: upgradeResponse).flatMapErrorThrowing { error in
            outcome.complete(.failure(KubeError(.transport, "the switch to WebSocket failed", underlying: error)))
            throw error
        }
    }
}

/// Hands data messages to the sink, answers pings, echoes a close; tells the sink once when the connection ends.
final class ClientMessageHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let sink: any WebSocketSink
    private var ended = false

    init(sink: any WebSocketSink) { self.sink = sink }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text:
            sink.received(Data(frame.unmaskedData.readableBytesView))
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            end(clean: true)
            var payload = ByteBuffer()
            payload.write(webSocketErrorCode: .normalClosure)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)))
                .whenComplete { _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        end(clean: false)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        end(clean: false)
        context.close(promise: nil)
    }

    private func end(clean: Bool) {
        guard !ended else { return }
        ended = true
        sink.closed(clean: clean)
    }
}
