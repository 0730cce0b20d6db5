import Foundation
import KubeCore
import KubeModels
import KubeWebhooks
import Testing

@testable import KubeRuntime
@testable import KubeTestServer

/// An operator that also serves webhooks is ready only once the webhook server listens with its
/// serving certificate loaded (`HealthCheck("webhook certificates") { server.isReady }`).
@Suite("Webhook certificates in /readyz", .timeLimit(.minutes(1)))
struct WebhookReadinessTests {
    @Test func readinessWaitsForTheServingCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-ready-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = WebhookServer.Configuration(
            host: "127.0.0.1", port: 0, certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key")
        let allowAll = Webhook.validate(ConfigMap.self, path: "/validate") { _ in .allow }
        let early = WebhookServer(configuration: configuration, webhooks: [allowAll])
        let late = WebhookServer(configuration: configuration, webhooks: [allowAll])
        let endpoint = OperatorEndpoint(
            host: "127.0.0.1", port: 0, readiness: [HealthCheck("webhook certificates") { early.isReady || late.isReady }])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await endpoint.run() }
            defer { group.cancelAll() }
            let port = try await endpoint.listeningPort()
            let before = try await httpRequest(port, "/readyz")
            #expect(before.status == 503 && before.body.contains("[-]webhook certificates failed"))

            // No certificate mounted yet (cert-manager has not written the Secret): the server cannot start.
            let error = await #expect(throws: WebhookServerError.self) { try await early.run() }
            #expect(error?.isCertificateUnreadable == true)
            #expect(!early.isReady)
            #expect(try await httpRequest(port, "/readyz").status == 503)

            let authority = try CertificateAuthority(extraSANs: [], directory: nil)
            try authority.servingCertificatePEM.write(toFile: directory + "/tls.crt", atomically: true, encoding: .utf8)
            try authority.servingKeyPEM.write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)
            group.addTask { try await late.run() }
            _ = try await late.listeningPort()
            #expect(late.isReady)
            let after = try await httpRequest(port, "/readyz?verbose")
            #expect(after.status == 200 && after.body.contains("[+]webhook certificates ok"))
        }
    }
}
