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
        // The HTTP/2 handler joins the pipeline with TLS, before the connection is up: added
        // after `connect`, the server's SETTINGS could come through TLS first and be lost, and
        // the client then took the server's next frame for a broken preface (a GOAWAY, and no
        // answer ever reached the streams; the hang of a loaded CI run).
        let multiplexer = loop.makePromise(of: NIOHTTP2Handler.StreamMultiplexer.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(try NIOSSLClientHandler(context: target.tls, serverHostname: target.host))
                        multiplexer.succeed(try sync.configureHTTP2Pipeline(
                            mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                        ) { pushed in pushed.close() })
                    }
                }
                .connect(host: "127.0.0.1", port: target.port).get()
        } catch {
            multiplexer.fail(error)
            throw error
        }
        defer { channel.close(promise: nil) }
        let streams = try await multiplexer.futureResult.get()
        var futures: [EventLoopFuture<[Double]>] = []
        for worker in 0..<inFlight {
            let share = reviews / inFlight + (worker < reviews % inFlight ? 1 : 0)
            guard share > 0 else { continue }
            let runner = StreamRunner(target: target, multiplexer: streams, remaining: share, done: loop.makePromise())
            loop.execute { runner.begin() }
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

    /// How long one answer may take before the run fails (a review's own timeout is 10 s).
    static let answerTimeout = TimeAmount.seconds(30)

    /// An answer that did not come: names where it was awaited, so a hang is a failure with a place.
    struct MissingAnswer: Error, CustomStringConvertible {
        let place: String
        let review: Int
        let why: String
        var description: String { "review \(review) on \(place): \(why)" }

        /// Names `channel`: an HTTP/2 stream by its id, an HTTP/1.1 connection by its local port.
        init(on channel: (any Channel)?, review: Int, why: String) {
            if let id = try? channel?.syncOptions?.getOption(HTTP2StreamChannelOptions.streamID) {
                place = "HTTP/2 stream \(Int(id))"
            } else {
                place = "the HTTP/1.1 connection from local port " + (channel?.localAddress?.port.map(String.init) ?? "?")
            }
            self.review = review
            self.why = why
        }

        static let overdue = "no answer within \(answerTimeout.nanoseconds / 1_000_000_000) s"
    }
}

/// One exchange's request and answer, shared by both modes: writes the POST, collects the
/// answer and checks it.
private struct ResponseCheck {
    var status: UInt = 0
    var body = ByteBuffer()
    var started = NIODeadline.now()
    /// Between the request written and the answer's end.
    var awaiting = false

    /// Writes the request and starts the clock.
    mutating func send(head: HTTPRequestHead, body: ByteBuffer, on context: ChannelHandlerContext) {
        status = 0
        self.body.clear()
        started = .now()
        awaiting = true
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
            awaiting = false
            guard status == 200, body.readableBytesView.firstRange(of: WebhookLoad.allowed) != nil else {
                return .failure(WebhookLoad.RefusedReview(status: status))
            }
            return .success(Double((NIODeadline.now() - started).nanoseconds) / 1_000_000)
        }
    }
}

/// One timer per connection or HTTP/2 worker, not one per review (scheduling and cancelling a
/// timer for each review is client CPU on the hot path): once a second it calls `expired`,
/// which fails the run and returns true when an answer is overdue. Touched only on `loop`.
private final class Watchdog {
    private let loop: any EventLoop
    private let expired: () -> Bool
    private var tick: Scheduled<Void>?

    init(loop: any EventLoop, expired: @escaping () -> Bool) {
        self.loop = loop
        self.expired = expired
    }

    func start() {
        tick = loop.assumeIsolated().scheduleTask(in: .seconds(1)) { [self] in
            if !expired() { start() }
        }
    }

    /// Must be called when the worker is done: the pending tick holds the watchdog.
    func stop() {
        tick?.cancel()
        tick = nil
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
    var watchdog: Watchdog?

    init(target: WebhookLoad.Target, count: Int, done: EventLoopPromise<[Double]>) {
        self.target = target
        self.head = WebhookLoad.requestHead(target, version: .http1_1)
        self.remaining = count
        self.done = done
        latencies.reserveCapacity(count)
    }

    func channelActive(context: ChannelHandlerContext) {
        let watchdog = Watchdog(loop: context.eventLoop) { [unowned self] in
            guard check.awaiting, NIODeadline.now() - check.started > WebhookLoad.answerTimeout else { return false }
            finish(.failure(missing(context, WebhookLoad.MissingAnswer.overdue)))
            context.close(promise: nil)
            return true
        }
        self.watchdog = watchdog
        watchdog.start()
        check.send(head: head, body: target.body, on: context)
    }

    private func missing(_ context: ChannelHandlerContext, _ why: String) -> WebhookLoad.MissingAnswer {
        WebhookLoad.MissingAnswer(on: context.channel, review: latencies.count + 1, why: why)
    }

    private func finish(_ result: Result<[Double], any Error>) {
        watchdog?.stop()
        watchdog = nil
        done.completeWith(result)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let result = check.read(unwrapInboundIn(data)) else { return }
        switch result {
        case .failure(let error): finish(.failure(error))
        case .success(let milliseconds):
            latencies.append(milliseconds)
            remaining -= 1
            if remaining == 0 {
                finish(.success(latencies))
            } else {
                check.send(head: head, body: target.body, on: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(missing(context, "the connection closed")))
    }
}

/// One of the HTTP/2 workers: opens a stream per review, the next when the previous has ended.
/// Touched only on the connection's event loop.
private final class StreamRunner: @unchecked Sendable {
    let target: WebhookLoad.Target
    let head: HTTPRequestHead
    let multiplexer: NIOHTTP2Handler.StreamMultiplexer
    var remaining: Int
    let done: EventLoopPromise<[Double]>
    var latencies: [Double] = []
    /// The stream of the review under way, and when it was asked for.
    var stream: (any Channel)?
    var asked = NIODeadline.now()
    var watchdog: Watchdog?

    init(target: WebhookLoad.Target, multiplexer: NIOHTTP2Handler.StreamMultiplexer, remaining: Int, done: EventLoopPromise<[Double]>) {
        self.target = target
        self.head = WebhookLoad.requestHead(target, version: .http2)
        self.multiplexer = multiplexer
        self.remaining = remaining
        self.done = done
        latencies.reserveCapacity(remaining)
    }

    /// Starts the watchdog and the first review.
    func begin() {
        let watchdog = Watchdog(loop: done.futureResult.eventLoop) { [unowned self] in
            guard NIODeadline.now() - asked > WebhookLoad.answerTimeout else { return false }
            let stream = self.stream
            finished(.failure(WebhookLoad.MissingAnswer(on: stream, review: latencies.count + 1, why: WebhookLoad.MissingAnswer.overdue)))
            stream?.close(promise: nil)
            return true
        }
        self.watchdog = watchdog
        watchdog.start()
        next()
    }

    private func next() {
        stream = nil
        asked = .now()
        let created = done.futureResult.eventLoop.makePromise(of: (any Channel).self)
        created.futureResult.whenFailure { error in self.finished(.failure(error)) }
        multiplexer.createStreamChannel(promise: created) { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https))
                try stream.pipeline.syncOperations.addHandler(StreamExchange(runner: self))
            }
        }
    }

    /// The end of one review; a failure ends the worker (a promise completes once, so later reports are ignored).
    func finished(_ result: Result<Double, any Error>) {
        switch result {
        case .failure(let error):
            stop()
            done.fail(error)
        case .success(let milliseconds):
            latencies.append(milliseconds)
            remaining -= 1
            if remaining == 0 {
                stop()
                done.succeed(latencies)
            } else {
                next()
            }
        }
    }

    private func stop() {
        watchdog?.stop()
        watchdog = nil
        stream = nil
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
        runner.stream = context.channel
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

    /// A stream reset or closed before its answer ended fails the run instead of leaving it waiting.
    func channelInactive(context: ChannelHandlerContext) {
        report(.failure(WebhookLoad.MissingAnswer(on: context.channel, review: runner.latencies.count + 1, why: "the stream closed before its answer ended")))
        context.fireChannelInactive()
    }

    private func report(_ result: Result<Double, any Error>) {
        guard !reported else { return }
        reported = true
        runner.finished(result)
    }
}
