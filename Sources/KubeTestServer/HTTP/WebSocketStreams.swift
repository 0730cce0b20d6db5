import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// An upgraded WebSocket connection as async code sees it: the payloads of the data
/// messages the client sent, in order, and a way to send binary messages and close.
final class WebSocketConnection: Sendable {
    let channel: any Channel
    /// Binary (and text) payloads; finishes when the client closes or the connection drops.
    let messages: AsyncStream<Data>

    init(channel: any Channel, messages: AsyncStream<Data>) {
        self.channel = channel
        self.messages = messages
    }

    /// Sends one binary message; a closed connection drops it.
    func send(_ data: Data) async {
        guard channel.isActive else { return }
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: ByteBuffer(bytes: data))
        try? await channel.writeAndFlush(frame)
    }

    /// Sends a close frame (normal closure) and closes the connection.
    func close() async {
        guard channel.isActive else { return }
        var payload = ByteBuffer()
        payload.write(webSocketErrorCode: .normalClosure)
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))
        try? await channel.close()
    }
}

/// Turns WebSocket frames into ``WebSocketConnection/messages``: answers pings, echoes a
/// close and closes, finishes the stream when the channel goes inactive.
final class WebSocketMessageHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncStream<Data>.Continuation
    private var closing = false

    init(continuation: AsyncStream<Data>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .text:
            continuation.yield(Data(frame.unmaskedData.readableBytesView))
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            continuation.finish()
            guard !closing else {
                context.close(promise: nil)
                return
            }
            closing = true
            var payload = ByteBuffer()
            payload.write(webSocketErrorCode: .normalClosure)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))).whenComplete { _ in
                channel.close(promise: nil)
            }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish()
        context.close(promise: nil)
    }
}

/// Serves accepted WebSocket upgrades (the kubelet side of exec, attach, port-forward).
protocol StreamResponder: Sendable {
    /// Checks a GET that asks for a WebSocket upgrade: `nil` refuses it (the request then
    /// takes the normal path, which answers with the error).
    func prepareUpgrade(_ request: ServerRequest) async -> PodStreamUpgrade?
    /// Runs the upgraded connection until it is done.
    func serve(_ upgrade: PodStreamUpgrade, connection: WebSocketConnection) async
}

enum WebSocketUpgrade {
    static let httpHandlerName = "kube-test-server-http"
    /// Largest message accepted from a client (stdin or port data arrives in ≤ 32 KiB pieces from kubectl).
    static let maxMessageBytes = 1 << 20

    /// The upgrader for one HTTP/1.1 connection. The decision of `shouldUpgrade` is kept
    /// for the pipeline handler that runs once the 101 is written.
    static func upgrader(
        responder: any StreamResponder, request: @escaping @Sendable (HTTPRequestHead) -> ServerRequest
    ) -> NIOWebSocketServerUpgrader {
        let accepted = NIOLockedValueBox<PodStreamUpgrade?>(nil)
        return NIOWebSocketServerUpgrader(
            maxFrameSize: maxMessageBytes, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let serverRequest = request(head)
                let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                promise.completeWithTask {
                    guard let upgrade = await responder.prepareUpgrade(serverRequest) else { return nil }
                    accepted.withLockedValue { $0 = upgrade }
                    return upgrade.subprotocol.isEmpty ? HTTPHeaders() : HTTPHeaders([("Sec-WebSocket-Protocol", upgrade.subprotocol)])
                }
                return promise.futureResult
            },
            upgradePipelineHandler: { channel, _ in
                guard let upgrade = accepted.withLockedValue({ value -> PodStreamUpgrade? in defer { value = nil }; return value }) else {
                    return channel.close()
                }
                return channel.pipeline.removeHandler(name: httpHandlerName).flatMapError { _ in channel.eventLoop.makeSucceededVoidFuture() }
                    .flatMapThrowing {
                        let (messages, continuation) = AsyncStream.makeStream(of: Data.self)
                        try channel.pipeline.syncOperations.addHandler(
                            NIOWebSocketFrameAggregator(
                                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1024, maxAccumulatedFrameSize: maxMessageBytes))
                        try channel.pipeline.syncOperations.addHandler(WebSocketMessageHandler(continuation: continuation))
                        let connection = WebSocketConnection(channel: channel, messages: messages)
                        Task { await responder.serve(upgrade, connection: connection) }
                    }
            })
    }
}
