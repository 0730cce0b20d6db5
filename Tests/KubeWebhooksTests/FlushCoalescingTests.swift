import NIOCore
import NIOEmbedded
import Testing

@testable import KubeWebhooks

@Suite("Flush coalescing on HTTP/2 connections", .timeLimit(.minutes(1)))
struct FlushCoalescingTests {
    @Test func flushesOfOneTickBecomeOneAndACloseFlushesFirst() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: FlushCoalescingHandler(), loop: loop)
        for text in ["a", "b"] {
            channel.write(IOData.byteBuffer(ByteBuffer(string: text)), promise: nil)
            channel.flush()
        }
        // Deferred to the end of the tick: nothing reached the socket yet.
        #expect(try channel.readOutbound(as: IOData.self) == nil)
        loop.run()
        #expect(try channel.readOutbound(as: IOData.self) == .byteBuffer(ByteBuffer(string: "a")))
        #expect(try channel.readOutbound(as: IOData.self) == .byteBuffer(ByteBuffer(string: "b")))

        // Written and flushed, then closed in the same tick: the bytes go out before the close.
        channel.write(IOData.byteBuffer(ByteBuffer(string: "goaway")), promise: nil)
        channel.flush()
        let closed = channel.close()
        loop.run()
        try closed.wait()
        #expect(try channel.readOutbound(as: IOData.self) == .byteBuffer(ByteBuffer(string: "goaway")))
    }
}
