import Logging
import NIOCore
import NIOHTTP2
import NIOSSL

/// The HTTP/2 connection health check (client-go's `ReadIdleTimeout` / `PingTimeout`):
/// when no frame has arrived on a connection for `readIdle`, send a PING; when its ACK does
/// not come back within `pingTimeout`, the connection is dead (a half-open TCP connection, a
/// peer that stopped reading) and is closed at once. Every request and watch on it then fails
/// with a transport error, and the pool opens a new connection for the next one.
///
/// Without it a dead pooled connection is found only when TCP gives up (about 15 minutes on
/// Linux), and every new request multiplexed onto it waits until its own deadline.
///
/// It sits right after `NIOHTTP2Handler` in the connection pipeline, so it sees every inbound
/// frame of every stream (any frame counts as life) and writes its PING straight into it.
final class HTTP2HealthCheckHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let readIdle: TimeAmount
    private let pingTimeout: TimeAmount
    private let logger: Logger
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var outstanding: (data: HTTP2PingData, sentAt: NIODeadline)?
    private var timer: Scheduled<Void>?
    private var nextPing: UInt64 = 0x6b75_6265_0000_0000  // "kube" in the high bytes, a counter below

    init(readIdle: TimeAmount, pingTimeout: TimeAmount, logger: Logger) {
        self.readIdle = readIdle
        self.pingTimeout = pingTimeout
        self.logger = logger
    }

    /// Installs the handler after the `NIOHTTP2Handler` of an HTTP/2 connection channel
    /// (AsyncHTTPClient's `http2ConnectionDebugInitializer`).
    static func install(on channel: any Channel, readIdle: Duration, pingTimeout: Duration, logger: Logger) -> EventLoopFuture<Void> {
        channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let http2 = try pipeline.handler(type: NIOHTTP2Handler.self)
            let handler = HTTP2HealthCheckHandler(
                readIdle: Transport.timeAmount(readIdle), pingTimeout: Transport.timeAmount(pingTimeout), logger: logger)
            try pipeline.addHandler(handler, position: .after(http2))
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The loop's clock (not `NIODeadline.now()`), so the timers and the comparisons agree.
        lastRead = context.eventLoop.now
        if context.channel.isActive { schedule(context: context, at: lastRead + readIdle) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastRead = context.eventLoop.now
        if case .ping(let ping, ack: true) = frame.payload, let outstanding, ping == outstanding.data {
            self.outstanding = nil
            schedule(context: context, at: lastRead + readIdle)
        }
        context.fireChannelRead(data)
    }

    private func schedule(context: ChannelHandlerContext, at deadline: NIODeadline) {
        timer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.check(context: context)
        }
    }

    private func check(context: ChannelHandlerContext) {
        timer = nil
        guard context.channel.isActive else { return }
        let now = context.eventLoop.now
        if let outstanding {
            if now - outstanding.sentAt >= pingTimeout {
                logger.warning(
                    "HTTP/2 PING not answered; closing the connection as dead",
                    metadata: ["pingTimeout": "\(pingTimeout)", "remote": "\(context.channel.remoteAddress?.description ?? "?")"])
                Self.closeNow(context: context)
            } else {
                schedule(context: context, at: outstanding.sentAt + pingTimeout)
            }
            return
        }
        guard now - lastRead >= readIdle else {
            schedule(context: context, at: lastRead + readIdle)
            return
        }
        nextPing &+= 1
        let data = HTTP2PingData(withInteger: nextPing)
        outstanding = (data, now)
        context.writeAndFlush(wrapOutboundOut(HTTP2Frame(streamID: .rootStream, payload: .ping(data, ack: false))), promise: nil)
        schedule(context: context, at: now + pingTimeout)
    }

    /// Closes the socket without the TLS close handshake: the peer is not answering, and
    /// NIOSSL would otherwise wait its `shutdownTimeout` for a `close_notify` that never comes.
    private static func closeNow(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let tls = try? pipeline.context(handlerType: NIOSSLHandler.self) {
            // A close started from the TLS handler's context goes to the handlers before it
            // (the socket), skipping the TLS shutdown.
            tls.close(promise: nil)
        } else {
            context.close(promise: nil)
        }
    }
}
