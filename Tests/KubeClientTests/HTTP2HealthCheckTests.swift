import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP2
import Testing

@testable import KubeClient

/// The HTTP/2 PING health check on an embedded channel with a virtual clock: when it pings,
/// what an answer or any frame does, and when it closes the connection.
@Suite("HTTP/2 health check", .timeLimit(.minutes(1)))
struct HTTP2HealthCheckTests {
    func channel() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        try channel.pipeline.syncOperations.addHandler(
            HTTP2HealthCheckHandler(readIdle: .seconds(30), pingTimeout: .seconds(15), logger: Logger(label: "test")))
        return (channel, loop)
    }

    func sentPing(_ channel: EmbeddedChannel) throws -> HTTP2PingData? {
        guard let frame = try channel.readOutbound(as: HTTP2Frame.self) else { return nil }
        guard case .ping(let data, ack: false) = frame.payload, frame.streamID == .rootStream else {
            Issue.record("unexpected frame \(frame)")
            return nil
        }
        return data
    }

    @Test func pingsAfterReadIdleAndKeepsTheConnectionWhenAnswered() throws {
        let (channel, loop) = try channel()
        loop.advanceTime(by: .seconds(29))
        #expect(try sentPing(channel) == nil)
        loop.advanceTime(by: .seconds(1))
        let ping = try #require(try sentPing(channel))
        loop.advanceTime(by: .seconds(10))
        try channel.writeInbound(HTTP2Frame(streamID: .rootStream, payload: .ping(ping, ack: true)))
        loop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
        // The next PING comes a full read-idle period after the answer.
        #expect(try sentPing(channel) == nil)
        loop.advanceTime(by: .seconds(20))
        #expect(try sentPing(channel) != nil)
        _ = try? channel.finish()
    }

    @Test func anyInboundFramePostponesThePing() throws {
        let (channel, loop) = try channel()
        for _ in 0..<5 {
            loop.advanceTime(by: .seconds(20))
            try channel.writeInbound(HTTP2Frame(streamID: HTTP2StreamID(1), payload: .data(.init(data: .byteBuffer(ByteBuffer(string: "x"))))))
            _ = try channel.readInbound(as: HTTP2Frame.self)  // passed on unchanged
        }
        #expect(try sentPing(channel) == nil)
        loop.advanceTime(by: .seconds(30))
        #expect(try sentPing(channel) != nil)
        _ = try? channel.finish()
    }

    @Test func anUnansweredPingClosesTheConnectionAfterPingTimeout() throws {
        let (channel, loop) = try channel()
        loop.advanceTime(by: .seconds(30))
        let ping = try #require(try sentPing(channel))
        // A wrong answer is not an answer; an ordinary frame is life, but the PING still needs its ACK.
        var other = ping
        other.integer &+= 1
        try channel.writeInbound(HTTP2Frame(streamID: .rootStream, payload: .ping(other, ack: true)))
        loop.advanceTime(by: .seconds(14))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }
}
