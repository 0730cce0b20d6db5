import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import Testing

@testable import KubeWebhooks

/// The server's HTTP/2 flow-control windows, read off the wire with a raw HTTP/2 client: 1 MiB
/// for each stream (its SETTINGS) and for the connection (its first WINDOW_UPDATE), as Go's
/// HTTP/2 server opens them. With NIO's default of 64 KiB, a client with 64 reviews of 1.8 KB in
/// flight (kube-bench's h2load run) stalled on the connection window: p99 39 ms instead of 5 ms.
@Suite(.timeLimit(.minutes(1))) struct HTTP2FlowControlTests {
    /// The frames of interest, as the server sent them.
    final class Recorder: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame
        let settings: EventLoopPromise<[HTTP2Setting]>
        let connectionWindowUpdate: EventLoopPromise<Int>
        let status: EventLoopPromise<String>

        init(settings: EventLoopPromise<[HTTP2Setting]>, connectionWindowUpdate: EventLoopPromise<Int>, status: EventLoopPromise<String>) {
            self.settings = settings
            self.connectionWindowUpdate = connectionWindowUpdate
            self.status = status
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.payload {
            case .settings(.settings(let values)): settings.succeed(values)
            case .windowUpdate(let increment) where frame.streamID == .rootStream: connectionWindowUpdate.succeed(increment)
            case .headers(let headers) where frame.streamID == 1: status.succeed(headers.headers.first(name: ":status") ?? "")
            default: break
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            settings.fail(error)
            connectionWindowUpdate.fail(error)
            status.fail(error)
            context.close(promise: nil)
        }
    }

    @Test func streamAndConnectionWindowsAreOneMebibyte() async throws {
        try await ServerHarness.with(webhooks: [WebhookServerTests.denyLatest]) { running in
            let loop = MultiThreadedEventLoopGroup.singleton.next()
            let settings = loop.makePromise(of: [HTTP2Setting].self)
            let update = loop.makePromise(of: Int.self)
            let status = loop.makePromise(of: String.self)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(running.pki.caPEM.utf8)))
            tls.applicationProtocols = ["h2"]
            let context = try NIOSSLContext(configuration: tls)
            let channel = try await ClientBootstrap(group: loop).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client))
                    try channel.pipeline.syncOperations.addHandler(Recorder(settings: settings, connectionWindowUpdate: update, status: status))
                }
            }.connect(host: "127.0.0.1", port: running.port).get()
            defer { channel.close(promise: nil) }

            let advertised = try await settings.futureResult.get()
            #expect(advertised.contains(HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20)), "\(advertised)")

            // One review on stream 1: its bytes take the connection window (65,535 by the
            // protocol) below half of the server's target, so the server tops it up to 1 MiB.
            let body = Reviews.admission(object: Reviews.pod())
            let headers = HPACKHeaders([
                (":method", "POST"), (":path", "/validate-pods"), (":scheme", "https"), (":authority", "localhost"),
                ("content-type", "application/json"), ("content-length", String(body.count)),
            ])
            channel.write(HTTP2Frame(streamID: 1, payload: .headers(.init(headers: headers))), promise: nil)
            try await channel.writeAndFlush(HTTP2Frame(streamID: 1, payload: .data(.init(data: .byteBuffer(ByteBuffer(bytes: body)), endStream: true)))).get()
            let increment = try await update.futureResult.get()
            #expect(65_535 - body.count + increment == 1 << 20)
            #expect(try await status.futureResult.get() == "200")
        }
    }
}
