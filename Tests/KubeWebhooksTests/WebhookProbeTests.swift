import Foundation
import KubeCore
import KubeModels
import KubeTestServer
import KubeprobeCore
import Logging
import Testing

@testable import KubeWebhooks

/// `kubeprobe webhook check` against KubeTestServer and a KubeWebhooks server over TLS: the
/// configuration, the Service's EndpointSlice, the handshake, the certificate, the caBundle
/// and dry-run reviews, and each way they break.
@Suite("kubeprobe webhook check", .timeLimit(.minutes(5)))
struct WebhookProbeTests {
    static let allowAll = Webhook.validate(Pod.self, path: "/validate", name: "allow-all") { _ in .allow }

    struct Setup {
        var serviceName = "probe-hook"
        var certificateNames = ["probe-hook.webhooks.svc"]
        /// 90 days by default (under 7 days left is a warning).
        var validUntil: Date? = Date() + 90 * 86_400
        /// The CA put in the configuration's caBundle: the signer's, unless another is given.
        var otherCA = false
        /// Point the EndpointSlice at a closed port (the webhook is down).
        var down = false
    }

    /// Runs the check for the ValidatingWebhookConfiguration `probe` set up as `setup` says.
    static func check(_ setup: Setup, name: String = "probe") async throws -> CheckReport {
        let pki = try TestPKI()
        let volume = try SecretVolume(initial: try pki.issueServing(
            commonName: "probe-hook", dnsNames: setup.certificateNames, validUntil: setup.validUntil))
        defer { volume.remove() }
        let server = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile),
            webhooks: [allowAll, widgetConversion], logger: Logger(label: "probe-hook", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = setup.down ? try ConversionThroughTestServerTests.closedPort() : try await server.listeningPort()
        let caPEM = setup.otherCA ? try TestPKI().caPEM : pki.caPEM
        let report = try await TestAPI.with { api in
            try await api.create("/api/v1/namespaces", TestAPI.namespace("webhooks"))
            try await api.create("/api/v1/namespaces/webhooks/services", [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(setup.serviceName), "namespace": "webhooks"],
                "spec": ["ports": [["port": 443, "targetPort": .int(Int64(port))]], "selector": ["app": "probe-hook"]],
            ])
            try await api.create("/apis/discovery.k8s.io/v1/namespaces/webhooks/endpointslices", [
                "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                "metadata": ["name": .string("\(setup.serviceName)-abc"), "namespace": "webhooks",
                             "labels": ["kubernetes.io/service-name": .string(setup.serviceName)]],
                "endpoints": [["addresses": ["127.0.0.1"], "conditions": ["ready": true]]],
                "ports": [["port": .int(Int64(port)), "protocol": "TCP"]],
            ])
            try await api.addValidating("probe", [
                TestAPI.webhook("allow-all.example.com", service: "webhooks/\(setup.serviceName)", path: "/validate", caPEM: caPEM,
                                rules: [TestAPI.rule(operations: ["CREATE"], resources: ["pods"])]),
            ])
            var crd = ConversionThroughTestServerTests.crd(caPEM: caPEM)
            crd["spec"]?["conversion"]?["webhook"]?["clientConfig"]?["service"]?["name"] = .string(setup.serviceName)
            try await api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            let directory = NSTemporaryDirectory() + "probe-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try api.server.writeAdminKubeconfig(to: directory + "/kubeconfig")
            let settings = ProbeSettings(environment: [:], kubeconfig: directory + "/kubeconfig")
            return await WebhookCheckRunner(options: WebhookCheckOptions(settings: settings, name: name, stepTimeout: .seconds(10), reviews: 3)).run()
        }
        running.cancel()
        _ = await running.result
        return report
    }

    static func status(_ report: CheckReport) -> [String: StepStatus] {
        Dictionary(uniqueKeysWithValues: report.steps.map { ($0.id, $0.status) })
    }

    @Test func healthyAdmissionWebhook() async throws {
        let report = try await Self.check(Setup())
        #expect(report.ok, "\(report.steps.map { "\($0.id): \($0.status) \($0.summary)" })")
        #expect(report.steps.count == 6)
        let review = try #require(report.steps.last)
        #expect(review.summary.hasPrefix("3 dry-run review(s) answered: p50 "))
        #expect(review.details.contains { $0.contains("verdict: allowed") })
        #expect(report.steps[1].summary.contains("127.0.0.1"))
        #expect(report.steps[3].summary.hasPrefix("covers probe-hook.webhooks.svc"))
        #expect(report.steps.allSatisfy { $0.status == .ok })
    }

    @Test func healthyConversionWebhook() async throws {
        let report = try await Self.check(Setup(), name: "widgets.example.com")
        #expect(report.ok, "\(report.steps.map { "\($0.id): \($0.status) \($0.summary)" })")
        #expect(report.steps.last?.details.contains { $0.contains("result Success") } == true)
    }

    @Test func wrongCA() async throws {
        let report = try await Self.check(Setup(otherCA: true))
        #expect(Self.status(report)["certificate"] == .ok)
        #expect(Self.status(report)["cabundle"] == .failed)
        #expect(Self.status(report)["review"] == .skipped)
        #expect(report.steps[4].cause?.contains("certificate signed by unknown authority") == true)
        #expect(report.steps[4].fix != nil)
    }

    @Test func wrongSAN() async throws {
        let report = try await Self.check(Setup(serviceName: "other-hook"))
        #expect(Self.status(report)["certificate"] == .failed)
        #expect(report.steps[3].summary == "the certificate does not cover other-hook.webhooks.svc")
        #expect(report.steps[3].fix?.contains("other-hook.webhooks.svc") == true)
    }

    @Test func expiredCertificate() async throws {
        let report = try await Self.check(Setup(validUntil: Date() - 3600))
        #expect(Self.status(report)["tls"] == .ok)
        #expect(Self.status(report)["certificate"] == .failed)
        #expect(report.steps[3].summary.hasPrefix("the serving certificate expired at "))
    }

    @Test func certificateAboutToExpire() async throws {
        let report = try await Self.check(Setup(validUntil: Date() + 86_400))
        #expect(report.ok)
        #expect(Self.status(report)["certificate"] == .warning)
        #expect(report.steps[3].summary.contains("expires in"))
    }

    @Test func webhookDown() async throws {
        let report = try await Self.check(Setup(down: true))
        #expect(Self.status(report)["endpoints"] == .ok)
        #expect(Self.status(report)["tls"] == .failed)
        #expect(report.steps[2].summary.contains("connection refused"))
        #expect(report.steps[2].cause?.contains("down") == true)
    }

    @Test func unknownName() async throws {
        let report = try await Self.check(Setup(), name: "no-such-webhook")
        #expect(Self.status(report)["configuration"] == .failed)
        #expect(report.steps[0].fix?.contains("validatingwebhookconfigurations") == true)
        #expect(report.steps.dropFirst().allSatisfy { $0.status == .skipped })
    }
}
