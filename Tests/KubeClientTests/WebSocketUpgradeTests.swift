import Crypto
import Foundation
import KubeCore
import KubeModels
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import KubeClient

/// The client's side of the WebSocket upgrade against a raw TLS server that sends the whole
/// answer (101, the process's frames, maybe a close frame) in one write and closes at once, as a
/// kubelet does for a process that ends immediately (`kubectl exec pod -- false`).
@Suite("WebSocket upgrade", .timeLimit(.minutes(3)))
struct WebSocketUpgradeTests {
    static let failureStatus = #"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 1","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"1"}]}}"#

    /// A server frame (unmasked), binary, one stream-channel byte and the payload.
    static func frame(channel: UInt8, _ payload: String) -> [UInt8] {
        webSocketFrame(opcode: 0x2, [channel] + Array(payload.utf8))
    }

    static func webSocketFrame(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            bytes.append(UInt8(payload.count))
        } else {
            bytes.append(126)
            bytes += [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        }
        return bytes + payload
    }

    static let closeFrame = webSocketFrame(opcode: 0x8, [0x03, 0xe8])

    func client(_ server: OneShotUpgradeServer, _ pki: (caPEM: String, certificatePEM: String, keyPEM: String)) throws -> Api<Core.V1.Pod> {
        let client = try KubeClient(config: ClientConfig(server: server.url, tls: .init(certificateAuthority: .pem(pki.caPEM))))
        return Api<Core.V1.Pod>.namespaced(client, "default")
    }

    @Test("101, output, exit status and close frame in one write, then the connection closes: the exit code arrives",
          arguments: [true, false])
    func anAnswerInOneWriteIsNotLost(withCloseFrame: Bool) async throws {
        let pki = try Fixtures.servingPKI()
        let frames = Self.frame(channel: 1, "out\n") + Self.frame(channel: 2, "err\n") + Self.frame(channel: 3, Self.failureStatus)
            + (withCloseFrame ? Self.closeFrame : [])
        let server = try await OneShotUpgradeServer.start(pki: pki, frames: frames)
        let pods = try client(server, pki)
        // Each round is a fresh connection; the race this guards against was lost in about one
        // run of a few hundred, so a few dozen rounds make a regression show.
        for round in 0..<40 {
            let process = try await pods.exec("web-0", command: ["false"])
            let output = try await process.output()
            #expect(output.stdoutText == "out\n", "round \(round)")
            #expect(output.stderrText == "err\n", "round \(round)")
            #expect(output.status.exitCode == 1, "round \(round)")
        }
        #expect(server.connections == 40)
        try await pods.client.shutdown()
        await server.shutdown()
    }

    @Test func aConnectionCutAfterTheUpgradeWithoutAStatusIsStreamClosed() async throws {
        let pki = try Fixtures.servingPKI()
        let server = try await OneShotUpgradeServer.start(pki: pki, frames: Self.frame(channel: 1, "partial"))
        let pods = try client(server, pki)
        for _ in 0..<10 {
            let process = try await pods.exec("web-0", command: ["sh"])
            let error = await #expect(throws: KubeError.self) { _ = try await process.status() }
            #expect(error?.code == .streamClosed)
        }
        try await pods.client.shutdown()
        await server.shutdown()
    }

    @Test func aConnectionClosedBeforeTheUpgradeIsATransportError() async throws {
        let pki = try Fixtures.servingPKI()
        let server = try await OneShotUpgradeServer.start(pki: pki, frames: [], answer: false)
        let pods = try client(server, pki)
        let error = await #expect(throws: KubeError.self) { _ = try await pods.exec("web-0", command: ["sh"]) }
        #expect(error?.code == .transport)
        #expect(error?.message.contains("closed before the server answered the upgrade") == true)
        try await pods.client.shutdown()
        await server.shutdown()
    }
}

/// Answers each connection's upgrade request with one write of `101` + `frames`, then closes it
/// (or, with `answer: false`, closes it without answering).
final class OneShotUpgradeServer: Sendable {
    private let channel: any Channel
    private let count: NIOLockedValueBox<Int>
    var url: String { "https://127.0.0.1:\(channel.localAddress?.port ?? 0)" }
    var connections: Int { count.withLockedValue { $0 } }

    private init(channel: any Channel, count: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.count = count
    }

    static func start(pki: (caPEM: String, certificatePEM: String, keyPEM: String), frames: [UInt8], answer: Bool = true) async throws -> OneShotUpgradeServer {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.keyPEM.utf8), format: .pem)))
        configuration.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: configuration)
        let count = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                count.withLockedValue { $0 += 1 }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try child.pipeline.syncOperations.addHandler(Answer(frames: frames, answer: answer))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return OneShotUpgradeServer(channel: channel, count: count)
    }

    func shutdown() async {
        try? await channel.close()
    }

    final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let frames: [UInt8]
        let answer: Bool
        var request = ""
        var done = false

        init(frames: [UInt8], answer: Bool) {
            self.frames = frames
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !done else { return }
            var buffer = unwrapInboundIn(data)
            request += buffer.readString(length: buffer.readableBytes) ?? ""
            guard request.contains("\r\n\r\n") else { return }
            done = true
            guard answer else {
                context.close(promise: nil)
                return
            }
            let lines = request.split(separator: "\r\n")
            let key = lines.first { $0.lowercased().hasPrefix("sec-websocket-key:") }
                .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
            let accept = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
            var out = context.channel.allocator.buffer(capacity: 256 + frames.count)
            out.writeString(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: \(accept)\r\nSec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n")
            out.writeBytes(frames)
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            context.close(promise: nil)
        }
    }
}
