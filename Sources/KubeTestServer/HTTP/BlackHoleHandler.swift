import NIOCore

/// The first handler of every accepted connection (before TLS). It passes bytes through
/// until the connection is black-holed; from then on it behaves like a peer that hung or a
/// network path that died without a reset: bytes from the client are dropped unread (the
/// kernel still acknowledges them, so the client's TCP sees nothing wrong), nothing is
/// written back, and the server's own attempts to close are swallowed (no FIN, no RST).
///
/// The connection ends only when the client closes it (its end-of-file still closes the
/// channel) or the listener stops (``closeIfEngaged(_:)``).
final class BlackHoleHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var engaged = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !engaged else { return }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !engaged else { return }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !engaged else {
            // "Sent": into the void.
            promise?.succeed(())
            return
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard !engaged else { return }
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard !engaged else {
            promise?.succeed(())
            return
        }
        context.close(mode: mode, promise: promise)
    }

    /// Black-holes `channel` (an accepted connection). Returns whether it was open and now is.
    static func engage(_ channel: any Channel) async -> Bool {
        let result = channel.eventLoop.submit { () -> Bool in
            guard channel.isActive, let handler = try? channel.pipeline.syncOperations.handler(type: BlackHoleHandler.self) else { return false }
            handler.engaged = true
            return true
        }
        return (try? await result.get()) ?? false
    }

    /// Closes `channel` at the socket when it is black-holed (no TLS close handshake, which
    /// would wait for an answer that never comes) and returns `true`; `false` leaves it alone.
    static func closeIfEngaged(_ channel: any Channel) async -> Bool {
        let result = channel.eventLoop.submit { () -> EventLoopFuture<Void>? in
            let pipeline = channel.pipeline.syncOperations
            guard let handler = try? pipeline.handler(type: BlackHoleHandler.self), handler.engaged,
                let context = try? pipeline.context(handlerType: BlackHoleHandler.self)
            else { return nil }
            // A close started at this context goes to the socket, skipping this handler and TLS.
            let promise = channel.eventLoop.makePromise(of: Void.self)
            context.close(promise: promise)
            return promise.futureResult
        }
        guard let closing = try? await result.get() else { return false }
        try? await closing.get()
        return true
    }
}
