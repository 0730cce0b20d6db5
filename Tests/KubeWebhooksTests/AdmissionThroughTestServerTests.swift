import Foundation
import KubeCore
import KubeModels
import KubeTestServer
import KubeWebhooks
import Logging
import Testing

/// KubeTestServer calling admission webhooks over TLS, as kube-apiserver (envtest) does:
/// a `KubeWebhooks` server and a hand-written raw-JSON webhook behind it.
@Suite("Admission webhooks called by KubeTestServer", .timeLimit(.minutes(5)))
struct AdmissionThroughTestServerTests {
    static let teamLabel = Webhook.mutate(Pod.self, path: "/mutate-pods", name: "pod-defaults") { _, pod in
        pod.metadata.labels = (pod.metadata.labels ?? [:]).merging(["team": "payments"]) { old, _ in old }
        guard var spec = pod.spec else { return }
        for index in spec.containers.indices where spec.containers[index].resources?.requests == nil {
            var resources = spec.containers[index].resources ?? .init()
            resources.requests = ["cpu": try! Quantity("100m"), "memory": try! Quantity("64Mi")]
            spec.containers[index].resources = resources
        }
        pod.spec = spec
    }

    static let denyLatest = Webhook.validate(Pod.self, path: "/validate-pods", name: "deny-latest") { request in
        // Mutating webhooks run first: the label must be there already.
        guard request.object?.metadata.labels?["team"] != nil else { return .deny("the team label is missing") }
        let images = request.object?.spec?.containers.compactMap(\.image) ?? []
        if let latest = images.first(where: { $0.hasSuffix(":latest") }) { return .deny("image \(latest) uses :latest") }
        return .allow
    }

    /// Runs a KubeWebhooks server whose certificate covers `pod-policy.webhooks.svc`.
    static func withPolicyServer<T>(_ body: (_ pki: TestPKI, _ port: Int) async throws -> T) async throws -> T {
        let pki = try TestPKI()
        let volume = try SecretVolume(initial: try pki.issueServing(commonName: "pod-policy", dnsNames: ["pod-policy.webhooks.svc"]))
        defer { volume.remove() }
        let server = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile),
            webhooks: [teamLabel, denyLatest], logger: Logger(label: "pod-policy"))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        let result = try await body(pki, port)
        running.cancel()
        _ = await running.result
        return result
    }

    @Test func kubeWebhooksServerThroughAServiceReference() async throws {
        try await Self.withPolicyServer { pki, port in
            try await TestAPI.with(serviceAddresses: ["webhooks/pod-policy": "127.0.0.1:\(port)"]) { api in
                try await api.create("/api/v1/namespaces", TestAPI.namespace("webhooks"))
                try await api.create("/api/v1/namespaces/webhooks/services", TestAPI.service("pod-policy", namespace: "webhooks"))
                let podRule = TestAPI.rule(operations: ["CREATE", "UPDATE"], resources: ["pods"])
                try await api.addMutating("pod-defaults", [
                    TestAPI.webhook("pod-defaults.example.com", service: "webhooks/pod-policy", path: "/mutate-pods", caPEM: pki.caPEM, rules: [podRule]),
                ])
                try await api.addValidating("deny-latest", [
                    TestAPI.webhook("deny-latest.example.com", service: "webhooks/pod-policy", path: "/validate-pods", caPEM: pki.caPEM, rules: [podRule]),
                ])
                let created = try await api.create("/api/v1/namespaces/default/pods", TestAPI.pod("web", image: "nginx:1.27"))
                #expect(created["metadata"]?["labels"]?["team"] == "payments")
                #expect(created["spec"]?["containers"]?[0]?["resources"]?["requests"]?["cpu"] == "100m")
                // Stored as admitted, and the server's own defaults survive the patch.
                let stored = try await api.send(.GET, "/api/v1/namespaces/default/pods/web")
                #expect(stored.body["metadata"]?["labels"]?["team"] == "payments")
                #expect(stored.body["spec"]?["containers"]?[0]?["resources"]?["requests"]?["memory"] == "64Mi")
                #expect(stored.body["spec"]?["containers"]?[0]?["terminationMessagePath"] == "/dev/termination-log")
                #expect(stored.body["metadata"]?["uid"] == created["metadata"]?["uid"])

                let denied = try await api.send(.POST, "/api/v1/namespaces/default/pods", TestAPI.pod("bad", image: "nginx:latest"))
                #expect(denied.status == 403)
                #expect(denied.message == "admission webhook \"deny-latest.example.com\" denied the request: image nginx:latest uses :latest")
                #expect(denied.body["reason"] == "Forbidden")
                #expect(try await api.send(.GET, "/api/v1/namespaces/default/pods/bad").status == 404)

                // UPDATE goes through both too: a PUT that switches to :latest is denied.
                var next = stored.body
                next["spec"]?["containers"]?[0]?["image"] = "nginx:latest"
                let update = try await api.send(.PUT, "/api/v1/namespaces/default/pods/web", next)
                #expect(update.status == 403)
                #expect(update.message.hasSuffix("image nginx:latest uses :latest"))
            }
        }
    }

    @Test func certificateMustCoverTheServiceName() async throws {
        try await Self.withPolicyServer { pki, port in
            // The Service is named differently from the certificate's SAN.
            try await TestAPI.with(serviceAddresses: ["webhooks/other": "127.0.0.1:\(port)"]) { api in
                try await api.create("/api/v1/namespaces", TestAPI.namespace("webhooks"))
                try await api.create("/api/v1/namespaces/webhooks/services", TestAPI.service("other", namespace: "webhooks"))
                try await api.addValidating("deny-latest", [
                    TestAPI.webhook("deny-latest.example.com", service: "webhooks/other", path: "/validate-pods", caPEM: pki.caPEM,
                                    rules: [TestAPI.rule(resources: ["pods"])]),
                ])
                let reply = try await api.send(.POST, "/api/v1/namespaces/default/pods", TestAPI.pod("web", image: "nginx:1.27"))
                #expect(reply.status == 500)
                #expect(reply.message == "Internal error occurred: failed calling webhook \"deny-latest.example.com\": failed to call webhook: Post \"https://other.webhooks.svc:443/validate-pods?timeout=10s\": tls: failed to verify certificate: x509: certificate is valid for localhost, pod-policy.webhooks.svc, not other.webhooks.svc")
                // Another CA in caBundle: unknown authority.
                let other = try TestPKI()
                try await api.send(.DELETE, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/deny-latest")
                try await api.addValidating("wrong-ca", [
                    TestAPI.webhook("wrong-ca.example.com", url: "https://127.0.0.1:\(port)", path: "/validate-pods", caPEM: other.caPEM,
                                    rules: [TestAPI.rule(resources: ["pods"])]),
                ])
                let untrusted = try await api.send(.POST, "/api/v1/namespaces/default/pods", TestAPI.pod("web", image: "nginx:1.27"))
                #expect(untrusted.status == 500)
                #expect(untrusted.message.hasSuffix("tls: failed to verify certificate: x509: certificate signed by unknown authority"))
            }
        }
    }

    @Test func serviceResolution() async throws {
        try await Self.withPolicyServer { pki, port in
            try await TestAPI.with(serviceAddresses: ["webhooks/pod-policy:8443": "127.0.0.1:\(port)"]) { api in
                try await api.create("/api/v1/namespaces", TestAPI.namespace("webhooks"))
                var hook = TestAPI.webhook("deny-latest.example.com", service: "webhooks/pod-policy", path: "/validate-pods", caPEM: pki.caPEM,
                                           rules: [TestAPI.rule(resources: ["pods"])])
                hook["clientConfig"]?["service"]?["port"] = 8443
                try await api.addValidating("deny-latest", [hook])
                // No Service object yet.
                let missing = try await api.send(.POST, "/api/v1/namespaces/default/pods", TestAPI.pod("web", image: "nginx:1.27"))
                #expect(missing.status == 500)
                #expect(missing.message.hasSuffix("Post \"https://pod-policy.webhooks.svc:8443/validate-pods?timeout=10s\": service \"pod-policy\" not found"))
                try await api.create("/api/v1/namespaces/webhooks/services", TestAPI.service("pod-policy", namespace: "webhooks"))
                let denied = try await api.send(.POST, "/api/v1/namespaces/default/pods", TestAPI.pod("web", image: "nginx:1.27"))
                // No mutating webhook here: the validating one sees no team label.
                #expect(denied.message == "admission webhook \"deny-latest.example.com\" denied the request: the team label is missing")
            }
        }
    }
}
