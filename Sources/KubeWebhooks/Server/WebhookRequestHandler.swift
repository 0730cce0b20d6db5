import Foundation
import NIOCore
import NIOHTTP1

/// Collects one request (head, body up to the limit, end) on an HTTP/1.1 connection or
/// an HTTP/2 stream, answers it (a review's handler on a task) and writes the response back.
final class WebhookRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: WebhookServer
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(server: WebhookServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if tooLarge { return }
            if body.readableBytes + chunk.readableBytes > server.router.maxRequestBodyBytes {
                // Stop buffering; the request is answered (413) when it ends.
                tooLarge = true
                body = ByteBuffer()
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            dispatch(context: context, head: head)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Decides on the event loop, where the body is (no copy of it); only a review's
    /// handler runs on a task, raced against a timer on the loop. The answer is written
    /// on the loop by whichever finishes first.
    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let server = self.server
        let route = WebhookRouter.route(head.uri)
        let plan: WebhookRouter.Plan
        if head.method == .GET && route == "/healthz" {
            plan = .answer(WebhookHTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8)))
        } else if head.method == .GET && route == "/readyz" {
            plan = .answer(
                server.isReady
                    ? WebhookHTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8))
                    : WebhookHTTPResponse(status: 503, contentType: "text/plain", body: Data("shutting down".utf8)))
        } else if tooLarge {
            plan = .answer(server.router.tooLarge(path: route))
        } else {
            plan = body.withUnsafeReadableBytes { server.router.plan(method: head.method.rawValue, path: head.uri, body: $0) }
        }
        body.clear()
        server.connections.begin()
        let reply = Reply(context: context, version: head.version, keepAlive: head.isKeepAlive, server: server)
        switch plan {
        case .answer(let response):
            reply.write(response)
        case .review(let review):
            let loop = context.eventLoop
            let race = NIOLoopBound(Race(), eventLoop: loop)
            let bound = NIOLoopBound(reply, eventLoop: loop)
            let work = Task {
                let finish = await review.run()
                loop.execute {
                    guard race.value.answer() else { return }
                    bound.value.write(finish())
                }
            }
            race.value.timer = loop.scheduleTask(in: .nanoseconds(review.timeout.nanoseconds)) {
                guard race.value.answer() else { return }
                work.cancel()
                bound.value.write(review.timedOut())
            }
        }
    }
}

/// Which of a review's handler and its timer answered first (touched only on the loop).
private final class Race {
    var answered = false
    var timer: Scheduled<Void>?

    /// `true` for the first caller, which then owns the answer.
    func answer() -> Bool {
        guard !answered else { return false }
        answered = true
        timer?.cancel()
        timer = nil
        return true
    }
}

/// Writes one response on the loop: head, body and end in one flush.
private struct Reply {
    let context: ChannelHandlerContext
    let version: HTTPVersion
    let keepAlive: Bool
    let server: WebhookServer

    func write(_ response: WebhookHTTPResponse) {
        let http1 = version.major == 1
        // While draining, HTTP/1.1 clients are told to reconnect elsewhere.
        let close = http1 && (!keepAlive || !server.isReady)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if !response.body.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: response.body)
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        let server = self.server
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in
            if close { channel.close(promise: nil) }
            server.connections.end()
        }
    }
}
