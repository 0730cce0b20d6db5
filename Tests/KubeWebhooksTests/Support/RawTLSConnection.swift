import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// One TLS connection made by hand (HTTP/1.1 over it), so a test can see which serving
/// certificate the handshake presented and keep using the same connection later.
final class RawTLSConnection: Sendable {
    let channel: any Channel
    let collector: ResponseCollector
    /// The common name of the certificate the server presented.
    let servedCommonName: String?

    static func connect(port: Int, caPEM: String) async throws -> RawTLSConnection {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
        configuration.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: configuration)
        let handshake = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let collector = ResponseCollector()
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(promise: handshake))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        } catch {
            handshake.fail(error)
            throw error
        }
        try await handshake.futureResult.get()
        let der = try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes()
        }.get()
        return RawTLSConnection(channel: channel, collector: collector, servedCommonName: der.flatMap(TestPKI.commonName(ofDER:)))
    }

    private init(channel: any Channel, collector: ResponseCollector, servedCommonName: String?) {
        self.channel = channel
        self.collector = collector
        self.servedCommonName = servedCommonName
    }

    /// Sends `GET path` and returns the status line once the whole response (by
    /// Content-Length) arrived.
    func get(_ path: String) async throws -> String {
        let response = collector.expectResponse(on: channel.eventLoop)
        let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n"
        try await channel.writeAndFlush(ByteBuffer(string: request))
        return try await response.get()
    }

    func close() async { try? await channel.close() }
}

final class HandshakeWaiter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Void>
    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }
}

/// Collects bytes until one HTTP/1.1 response (head + Content-Length body) is complete.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private var buffer = ""
    private var pending: EventLoopPromise<String>?

    func expectResponse(on loop: any EventLoop) -> EventLoopFuture<String> {
        let promise = loop.makePromise(of: String.self)
        loop.execute {
            self.buffer = ""
            self.pending = promise
        }
        return promise.futureResult
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer += bytes.readString(length: bytes.readableBytes) ?? ""
        guard let headEnd = buffer.range(of: "\r\n\r\n") else { return }
        let head = buffer[..<headEnd.lowerBound]
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        if buffer.utf8.count - buffer[..<headEnd.upperBound].utf8.count >= length {
            pending?.succeed(String(head.split(separator: "\r\n").first ?? ""))
            pending = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(ChannelError.ioOnClosedChannel)
        pending = nil
        context.fireChannelInactive()
    }
}
