import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import X509

/// Go's hostname check for webhook serving certificates: the certificate's DNS SANs must cover
/// the name (`<service>.<namespace>.svc`), whatever IP SANs it has. NIOSSL also accepts an IP
/// SAN matching the socket's address, which a loopback test would always pass, so the name is
/// checked here on a handshake of its own before the review is posted.
enum ServingCertificateCheck {
    /// Handshakes with `host:port` trusting `caBundle` and checks the leaf's DNS names cover
    /// `serverName`. Throws a message in Go's words.
    static func verify(host: String, port: Int, serverName: String, caBundle: String?, timeout: Duration) async throws(AdmissionReviewWire.CallFailure) -> Void {
        let der: [UInt8]
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .noHostnameVerification
            if let caBundle { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caBundle.utf8))) }
            let context = try NIOSSLContext(configuration: tls)
            let handshake = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(timeout.components.seconds * 1000)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try channel.pipeline.syncOperations.addHandler(HandshakeSignal(promise: handshake))
                    }
                }
                .connect(host: host, port: port).get()
            defer { channel.close(promise: nil) }
            do {
                try await handshake.futureResult.get()
            } catch {
                throw error
            }
            der = try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate?.toDERBytes() ?? []
            }.get()
        } catch {
            let destination = WebhookClients.Destination(
                displayURL: "", requestURL: "", serverName: serverName, dnsOverride: [:], connectHost: host, connectPort: port)
            throw .init(reason: WebhookClients.describe(error, destination: destination))
        }
        guard let certificate = try? Certificate(derEncoded: der) else {
            throw .init(reason: "tls: failed to parse certificate from server")
        }
        let names = ((try? certificate.extensions.subjectAlternativeNames) ?? nil).map { sans in
            sans.compactMap { name -> String? in
                if case .dnsName(let dns) = name { return dns }
                return nil
            }
        } ?? []
        guard !names.contains(where: { covers($0, serverName) }) else { return }
        if names.isEmpty {
            throw .init(reason: "tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match \(serverName)")
        }
        throw .init(reason: "tls: failed to verify certificate: x509: certificate is valid for \(names.joined(separator: ", ")), not \(serverName)")
    }

    /// A DNS SAN covers a name exactly or by a leftmost `*.` wildcard label.
    static func covers(_ pattern: String, _ name: String) -> Bool {
        let pattern = pattern.lowercased(), name = name.lowercased()
        if pattern == name { return true }
        guard pattern.hasPrefix("*."), let dot = name.firstIndex(of: ".") else { return false }
        return name[dot...] == pattern.dropFirst()
    }
}

/// Completes a promise when the TLS handshake finishes (or fails).
private final class HandshakeSignal: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { promise.succeed(()) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }
}
