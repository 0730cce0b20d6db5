import NIOCore

/// Turns the flushes of one event-loop tick into one on an HTTP/2 connection.
///
/// Every answered stream flushes, and answers come back from their handlers one by one,
/// so without this each answer is a TLS record and a `write(2)` of its own. A flush is
/// deferred to the end of the current tick (a task on the loop); a close flushes first,
/// so nothing written before it is lost.
final class FlushCoalescingHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private var scheduled = false

    func flush(context: ChannelHandlerContext) {
        guard !scheduled else { return }
        scheduled = true
        context.eventLoop.assumeIsolated().execute {
            guard self.scheduled else { return }
            self.scheduled = false
            context.flush()
        }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if scheduled {
            scheduled = false
            context.flush()
        }
        context.close(mode: mode, promise: promise)
    }
}
