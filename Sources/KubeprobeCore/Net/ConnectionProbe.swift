import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// Raw TCP and TLS probes of one `host:port`, below the HTTP client, so each layer's
/// failure is seen on its own: a refused or filtered port, a handshake that fails, a
/// certificate that does not name the address used.
enum ConnectionProbe {
    struct Failure: Error, Sendable {
        enum Kind: Sendable { case refused, timeout, unreachable, certificateUntrusted, handshake, other }
        let kind: Kind
        let message: String
    }

    struct TLSResult: Sendable {
        var negotiatedProtocol: String?
        var tlsVersion: String?
        var leaf: CertificateInfo?
    }

    /// Opens and closes a TCP connection within `timeout`.
    static func tcp(host: String, port: Int, timeout: Duration) async -> Result<Void, Failure> {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        do {
            let channel = try await bootstrap.connect(host: host, port: port).get()
            try? await channel.close()
            return .success(())
        } catch {
            return .failure(classify(error, host: host, port: port, timeout: timeout))
        }
    }

    /// A TLS handshake trusting only `caPEM` (the system roots when `nil`), with ALPN `h2`, `http/1.1`. Host name
    /// verification is off here on purpose: the chain is verified, and the caller checks
    /// which names the leaf covers so it can say exactly what is wrong.
    /// `verify: false` accepts any certificate (to read a leaf that would not verify: expired, another CA).
    static func tls(
        host: String, port: Int, caPEM: String?, serverName: String?, timeout: Duration, verify: Bool = true
    ) async -> Result<TLSResult, Failure> {
        let context: NIOSSLContext
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caPEM { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8))) }
            configuration.certificateVerification = verify ? .noHostnameVerification : .none
            configuration.applicationProtocols = ["h2", "http/1.1"]
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            return .failure(Failure(kind: .other, message: "the CA bundle cannot be used for TLS: \(error)"))
        }
        let sniName: String? = serverName ?? (CertificateInfo.normalizeIP(host) == nil ? host : nil)
        let completion = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: String?.self)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = try NIOSSLClientHandler(context: context, serverHostname: sniName)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: completion))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            completion.fail(error)
            return .failure(classify(error, host: host, port: port, timeout: timeout))
        }
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)) {
            completion.fail(Failure(kind: .timeout, message: "the TLS handshake with \(host):\(port) did not finish within \(timeout)"))
        }
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            let alpn = try await completion.futureResult.get()
            var result = TLSResult(negotiatedProtocol: alpn)
            if let certificate = try await channel.nioSSL_peerCertificate().get() {
                result.leaf = try? CertificateInfo.parseDER(try certificate.toDERBytes())
            }
            if let version = try await channel.nioSSL_tlsVersion().get() { result.tlsVersion = "\(version)" }
            return .success(result)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(classify(error, host: host, port: port, timeout: timeout))
        }
    }

    static func classify(_ error: any Error, host: String, port: Int, timeout: Duration) -> Failure {
        let text = String(describing: error)
        if let failure = error as? Failure { return failure }
        if case ChannelError.connectTimeout = error {
            return Failure(kind: .timeout, message: "no answer from \(host):\(port) within \(timeout) (packets dropped: a firewall, a NetworkPolicy, or no route)")
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate verify failed") {
            return Failure(kind: .certificateUntrusted, message: "the server's certificate is not signed by the CA in ca.crt (\(text.prefix(160)))")
        }
        if error is NIOSSLError || text.contains("SSL") {
            return Failure(kind: .handshake, message: "the TLS handshake failed: \(text.prefix(200))")
        }
        if text.contains("refused") || text.contains("ECONNREFUSED") {
            return Failure(kind: .refused, message: "connection refused by \(host):\(port) (nothing listens there)")
        }
        if text.contains("unreachable") || text.contains("EHOSTUNREACH") || text.contains("ENETUNREACH") {
            return Failure(kind: .unreachable, message: "\(host):\(port) is unreachable (no route)")
        }
        return Failure(kind: .other, message: "\(host):\(port): \(text.prefix(200))")
    }
}

/// Completes the promise with the negotiated ALPN protocol when the handshake finishes,
/// or with the error that ended it.
private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<String?>
    init(promise: EventLoopPromise<String?>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
            promise.succeed(negotiated)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ConnectionProbe.Failure(kind: .handshake, message: "the server closed the connection during the TLS handshake"))
        context.fireChannelInactive()
    }
}
