import Foundation
import NIOCore
import NIOHTTP1

/// Collects one request (head, body up to the limit, end) on an HTTP/1.1 connection or
/// an HTTP/2 stream, answers it on a task and writes the response back.
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

    private func dispatch(context: ChannelHandlerContext, head: HTTPRequestHead) {
        let channel = context.channel
        let server = self.server
        let method = head.method.rawValue
        let path = head.uri
        let version = head.version
        let keepAlive = head.isKeepAlive
        let data = Data(body.readableBytesView)
        let tooLarge = self.tooLarge
        body = ByteBuffer()
        server.connections.begin()
        Task {
            await WebhookExchange.answer(
                server: server, method: method, path: path, version: version, keepAlive: keepAlive, body: data,
                tooLarge: tooLarge, channel: channel)
        }
    }
}

/// Answers one collected request and writes the response.
enum WebhookExchange {
    static func answer(
        server: WebhookServer, method: String, path: String, version: HTTPVersion, keepAlive: Bool, body: Data,
        tooLarge: Bool, channel: any Channel
    ) async {
        let response: WebhookHTTPResponse
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        if method == "GET" && route == "/healthz" {
            response = WebhookHTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8))
        } else if method == "GET" && route == "/readyz" {
            response =
                server.isReady
                ? WebhookHTTPResponse(status: 200, contentType: "text/plain", body: Data("ok".utf8))
                : WebhookHTTPResponse(status: 503, contentType: "text/plain", body: Data("shutting down".utf8))
        } else if tooLarge {
            response = server.router.tooLarge(path: route)
        } else {
            response = await server.router.respond(method: method, path: path, body: body)
        }
        // While draining, HTTP/1.1 clients are told to reconnect elsewhere.
        let close = !keepAlive || (version.major == 1 && !server.isReady)
        await write(response, to: channel, version: version, close: close)
        server.connections.end()
    }

    static func write(_ response: WebhookHTTPResponse, to channel: any Channel, version: HTTPVersion, close: Bool) async {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        let http1 = version.major == 1
        if close && http1 { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        if !response.body.isEmpty {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        }
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        } catch {
            return
        }
        if close && http1 { try? await channel.close() }
    }
}
