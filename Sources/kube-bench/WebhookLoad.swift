import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// A lean load generator for `kube-bench webhook`: the same POST over and over on raw NIO
/// channels (TLS, HTTP/1.1 connections or HTTP/2 streams), every step on the channel's event
/// loop, so that the figure is the server's and not the client library's. Each answer must be
/// HTTP 200 with `"allowed":true`; anything else fails the run.
enum WebhookLoad {
    struct Target {
        let host: String
        let port: Int
        let path: String
        let body: ByteBuffer
        let tls: NIOSSLContext
    }

    /// `reviews` POSTs with `inFlight` at a time on `inFlight` HTTP/1.1 connections; returns each one's latency in ms.
    static func http1(_ target: Target, reviews: Int, inFlight: Int) async throws -> [Double] {
        let group = MultiThreadedEventLoopGroup.singleton
        var futures: [EventLoopFuture<[Double]>] = []
        for worker in 0..<inFlight {
            let share = reviews / inFlight + (worker < reviews % inFlight ? 1 : 0)
            guard share > 0 else { continue }
            let loop = group.next()
            let done = loop.makePromise(of: [Double].self)
            let channel = try await ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: target.tls, serverHostname: target.host))
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ConnectionWorker(target: target, count: share, done: done))
                    }
                }
                .connect(host: "127.0.0.1", port: target.port).get()
            futures.append(done.futureResult.always { _ in channel.close(promise: nil) })
        }
        var latencies: [Double] = []
        for future in futures { latencies += try await future.get() }
        return latencies
    }

    /// `reviews` POSTs as HTTP/2 streams on one connection, `inFlight` streams at a time.
    static func http2(_ target: Target, reviews: Int, inFlight: Int) async throws -> [Double] {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: target.tls, serverHostname: target.host))
                }
            }
            .connect(host: "127.0.0.1", port: target.port).get()
        defer { channel.close(promise: nil) }
        let multiplexer = try await channel.configureHTTP2Pipeline(mode: .client, inboundStreamInitializer: nil).map(\.sendableView).get()
        var futures: [EventLoopFuture<[Double]>] = []
        for worker in 0..<inFlight {
            let share = reviews / inFlight + (worker < reviews % inFlight ? 1 : 0)
            guard share > 0 else { continue }
            let runner = StreamRunner(target: target, multiplexer: multiplexer, remaining: share, done: loop.makePromise())
            loop.execute { runner.next() }
            futures.append(runner.done.futureResult)
        }
        var latencies: [Double] = []
        for future in futures { latencies += try await future.get() }
        return latencies
    }

    static func requestHead(_ target: Target, version: HTTPVersion) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(target.host):\(target.port)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Content-Length", value: String(target.body.readableBytes))
        return HTTPRequestHead(version: version, method: .POST, uri: target.path, headers: headers)
    }

    static let allowed = Array(#""allowed":true"#.utf8)

    struct RefusedReview: Error, CustomStringConvertible {
        let status: UInt
        var description: String { "the webhook did not allow the review (HTTP \(status))" }
    }
}

/// One exchange's request and answer, shared by both modes: writes the POST, collects the
/// answer and checks it.
private struct ResponseCheck {
    var status: UInt = 0
    var body = ByteBuffer()
    var started = NIODeadline.now()

    /// Writes the request and starts the clock.
    mutating func send(head: HTTPRequestHead, body: ByteBuffer, on context: ChannelHandlerContext) {
        status = 0
        self.body.clear()
        started = .now()
        context.write(NIOAny(HTTPClientRequestPart.head(head)), promise: nil)
        context.write(NIOAny(HTTPClientRequestPart.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(NIOAny(HTTPClientRequestPart.end(nil)), promise: nil)
    }

    /// Takes one part of the answer; at its end, the latency in ms if it allowed the review, else the error.
    mutating func read(_ part: HTTPClientResponsePart) -> Result<Double, any Error>? {
        switch part {
        case .head(let response):
            status = response.status.code
            return nil
        case .body(var chunk):
            body.writeBuffer(&chunk)
            return nil
        case .end:
            guard status == 200, body.readableBytesView.firstRange(of: WebhookLoad.allowed) != nil else {
                return .failure(WebhookLoad.RefusedReview(status: status))
            }
            return .success(Double((NIODeadline.now() - started).nanoseconds) / 1_000_000)
        }
    }
}

/// One HTTP/1.1 connection: sends the next request when the previous answer has ended.
private final class ConnectionWorker: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let target: WebhookLoad.Target
    let head: HTTPRequestHead
    var remaining: Int
    let done: EventLoopPromise<[Double]>
    var latencies: [Double] = []
    var check = ResponseCheck()

    init(target: WebhookLoad.Target, count: Int, done: EventLoopPromise<[Double]>) {
        self.target = target
        self.head = WebhookLoad.requestHead(target, version: .http1_1)
        self.remaining = count
        self.done = done
        latencies.reserveCapacity(count)
    }

    func channelActive(context: ChannelHandlerContext) {
        check.send(head: head, body: target.body, on: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch check.read(unwrapInboundIn(data)) {
        case nil: break
        case .failure(let error): done.fail(error)
        case .success(let milliseconds):
            latencies.append(milliseconds)
            remaining -= 1
            if remaining == 0 { done.succeed(latencies) } else { check.send(head: head, body: target.body, on: context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done.fail(ChannelError.ioOnClosedChannel)
    }
}

/// One of the HTTP/2 workers: opens a stream per review, the next when the previous has ended.
/// Touched only on the connection's event loop.
private final class StreamRunner: @unchecked Sendable {
    let target: WebhookLoad.Target
    let head: HTTPRequestHead
    let multiplexer: HTTP2StreamMultiplexer.SendableView
    var remaining: Int
    let done: EventLoopPromise<[Double]>
    var latencies: [Double] = []

    init(target: WebhookLoad.Target, multiplexer: HTTP2StreamMultiplexer.SendableView, remaining: Int, done: EventLoopPromise<[Double]>) {
        self.target = target
        self.head = WebhookLoad.requestHead(target, version: .http2)
        self.multiplexer = multiplexer
        self.remaining = remaining
        self.done = done
        latencies.reserveCapacity(remaining)
    }

    func next() {
        multiplexer.createStreamChannel(promise: nil) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
                try stream.pipeline.syncOperations.addHandler(StreamExchange(runner: self))
            }
        }
    }

    func finished(_ result: Result<Double, any Error>) {
        switch result {
        case .failure(let error):
            done.fail(error)
        case .success(let milliseconds):
            latencies.append(milliseconds)
            remaining -= 1
            if remaining == 0 { done.succeed(latencies) } else { next() }
        }
    }
}

/// One review on one HTTP/2 stream.
private final class StreamExchange: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let runner: StreamRunner
    var check = ResponseCheck()
    var reported = false
    var sent = false

    init(runner: StreamRunner) {
        self.runner = runner
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { send(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
        context.fireChannelActive()
    }

    private func send(context: ChannelHandlerContext) {
        guard !sent else { return }
        sent = true
        check.send(head: runner.head, body: runner.target.body, on: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The stream channel closes itself once both ends have ended it.
        if let result = check.read(unwrapInboundIn(data)) { report(result) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        report(.failure(error))
        context.close(promise: nil)
    }

    private func report(_ result: Result<Double, any Error>) {
        guard !reported else { return }
        reported = true
        runner.finished(result)
    }
}
