import Foundation
import KubeCore
import NIOSSL
import Testing

@testable import KubeClient

@Suite("TLS", .timeLimit(.minutes(3)))
struct TLSTests {
    func tlsServer(_ pki: (caPEM: String, certificatePEM: String, keyPEM: String)) async throws -> StubServer {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMBytes(Array(pki.certificatePEM.utf8)).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.keyPEM.utf8), format: .pem)))
        configuration.applicationProtocols = ["http/1.1"]
        return try await StubServer.start(tls: try NIOSSLContext(configuration: configuration)) { _ in
            .json(200, #"{"major":"1","minor":"31","gitVersion":"v1.31.0"}"#)
        }
    }

    @Test func verifiesAgainstTheConfiguredCAOnly() async throws {
        let pki = try Fixtures.servingPKI()
        let server = try await tlsServer(pki)
        let client = try KubeClient(config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(pki.caPEM))))
        #expect(try await client.version().gitVersion == "v1.31.0")
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func aCertificateFromAnotherCAFailsFast() async throws {
        let server = try await tlsServer(try Fixtures.servingPKI(caName: "server-ca"))
        let other = try Fixtures.servingPKI(caName: "other-ca")
        let client = try KubeClient(config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(other.caPEM))))
        let start = ContinuousClock.now
        let error = await #expect(throws: KubeError.self) { _ = try await client.version() }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .tlsVerification)
        #expect(error?.message.contains("not signed by the configured certificate authority") == true)
        // About 30 ms alone on loopback; the bound is loose for a loaded CI machine but far
        // below what a retry loop (10 attempts with backoff) would take.
        #expect(elapsed < .seconds(3), "took \(elapsed)")
        #expect(server.requests.isEmpty)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func aVerificationFailureIsClassifiedByItsTypeAndKeepsItsCause() async throws {
        let server = try await tlsServer(try Fixtures.servingPKI(caName: "server-ca"))
        let other = try Fixtures.servingPKI(caName: "other-ca")
        let client = try KubeClient(config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(other.caPEM))))
        let error = await #expect(throws: KubeError.self) { _ = try await client.version() }
        #expect(error?.code == .tlsVerification)
        guard case .handshakeFailed(.sslError(let stack))? = error?.underlying as? NIOSSLError else {
            Issue.record("the cause is not NIOSSL's handshake failure: \(String(describing: error?.underlying))")
            return
        }
        #expect(stack.contains(where: BoringSSLCode.isCertificateVerifyFailed))
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func tlsServerNameIsUsedForVerification() async throws {
        // No IP SAN: connecting by IP verifies only through tls-server-name.
        let pki = try Fixtures.servingPKI(ipSAN: false)
        let server = try await tlsServer(pki)
        // Addressed by IP, verified as "kubernetes" (a SAN of the certificate).
        let client = try KubeClient(
            config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(pki.caPEM), serverName: "kubernetes")))
        #expect(try await client.version().gitVersion == "v1.31.0")
        try await client.shutdown()
        let byIP = try KubeClient(config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(pki.caPEM))))
        #expect(await #expect(throws: KubeError.self) { _ = try await byIP.version() }?.code == .tlsVerification)
        try await byIP.shutdown()
        // A name the certificate does not cover fails verification.
        let wrongName = try KubeClient(
            config: ClientConfig(server: server.httpsURL, tls: .init(certificateAuthority: .pem(pki.caPEM), serverName: "elsewhere.example")))
        let error = await #expect(throws: KubeError.self) { _ = try await wrongName.version() }
        #expect(error?.code == .tlsVerification)
        try await wrongName.shutdown()
        await server.shutdown()
    }

    @Test func insecureSkipVerifyOnlyWhenAsked() async throws {
        let server = try await tlsServer(try Fixtures.servingPKI())
        let client = try KubeClient(config: ClientConfig(server: server.httpsURL, tls: .init(insecureSkipTLSVerify: true)))
        #expect(try await client.version().major == "1")
        try await client.shutdown()
        await server.shutdown()
    }
}
