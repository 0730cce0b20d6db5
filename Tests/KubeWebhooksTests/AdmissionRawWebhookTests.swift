import Foundation
import KubeCore
import KubeTestServer
import Synchronization
import Testing

/// Rules, selectors and policies against a hand-written raw-JSON webhook (no `KubeWebhooks`),
/// so the test server's side of the exchange is checked on its own.
@Suite("Admission rules, selectors and failure modes (raw webhook)", .timeLimit(.minutes(5)))
struct AdmissionRawWebhookTests {
    /// A raw webhook server on 127.0.0.1 (its certificate covers the IP) and a test server.
    static func with(
        handler: @escaping RawWebhookServer.Handler = { _, review in RawWebhookServer.answer(review) },
        _ body: (_ api: TestAPI, _ hooks: RawWebhookServer, _ caPEM: String, _ base: String) async throws -> Void
    ) async throws {
        let pki = try TestPKI()
        let pair = try pki.issueServing(commonName: "raw")
        let hooks = try await RawWebhookServer.start(certificate: pair.certificate, key: pair.key, handler: handler)
        do {
            try await TestAPI.with { api in try await body(api, hooks, pki.caPEM, "https://127.0.0.1:\(hooks.port)") }
        } catch {
            await hooks.stop()
            throw error
        }
        await hooks.stop()
    }

    @Test func rulesOperationsScopesAndSubresources() async throws {
        try await Self.with { api, hooks, ca, base in
            try await api.addValidating("rules", [
                TestAPI.webhook("create-only.example.com", url: base, path: "/create-only", caPEM: ca,
                                rules: [TestAPI.rule(operations: ["CREATE"], resources: ["configmaps"])]),
                TestAPI.webhook("all-ops.example.com", url: base, path: "/all-ops", caPEM: ca,
                                rules: [TestAPI.rule(operations: ["*"], groups: ["*"], versions: ["*"], resources: ["configmaps"])]),
                TestAPI.webhook("status.example.com", url: base, path: "/status", caPEM: ca,
                                rules: [TestAPI.rule(operations: ["UPDATE"], resources: ["*/status"])]),
                TestAPI.webhook("cluster.example.com", url: base, path: "/cluster", caPEM: ca,
                                rules: [TestAPI.rule(operations: ["CREATE"], resources: ["*"], scope: "Cluster")]),
                TestAPI.webhook("namespaced.example.com", url: base, path: "/namespaced", caPEM: ca,
                                rules: [TestAPI.rule(operations: ["CREATE"], resources: ["*"], scope: "Namespaced")]),
            ])
            let path = "/api/v1/namespaces/default/configmaps"
            try await api.create(path, TestAPI.configMap("one"))
            var cm = try await api.send(.GET, path + "/one").body
            cm["data"] = ["k": "changed"]
            #expect(try await api.send(.PUT, path + "/one", cm).status == 200)
            let patched = try await api.send(.PATCH, path + "/one", ["data": ["k": "patched"]], contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            #expect(try await api.send(.DELETE, path + "/one").status == 200)
            try await api.create("/api/v1/namespaces", TestAPI.namespace("team-a"))
            try await api.create("/api/v1/namespaces/default/pods", TestAPI.pod("p", image: "nginx:1.27"))
            var pod = try await api.send(.GET, "/api/v1/namespaces/default/pods/p").body
            pod["status"] = ["phase": "Running"]
            #expect(try await api.send(.PUT, "/api/v1/namespaces/default/pods/p/status", pod).status == 200)

            #expect(hooks.reviews(at: "/create-only").map { $0["request"]?["operation"] } == ["CREATE"])
            let all = hooks.reviews(at: "/all-ops")
            #expect(all.map { $0["request"]?["operation"]?.stringValue ?? "" } == ["CREATE", "UPDATE", "UPDATE", "DELETE"])
            // The review as kube-apiserver writes it.
            let create = try #require(all.first?["request"])
            #expect(all.first?["apiVersion"] == "admission.k8s.io/v1")
            #expect(create["kind"] == ["group": "", "version": "v1", "kind": "ConfigMap"])
            #expect(create["resource"] == ["group": "", "version": "v1", "resource": "configmaps"])
            #expect(create["namespace"] == "default" && create["name"] == "one")
            #expect(create["userInfo"]?["username"] == "admin")
            #expect(create["oldObject"] == .null && create["dryRun"] == false)
            #expect(create["object"]?["metadata"]?["uid"] != nil)
            #expect(create["options"]?["kind"] == "CreateOptions")
            let update = all[1]["request"]
            #expect(update?["oldObject"]?["data"]?["k"] == "v" && update?["object"]?["data"]?["k"] == "changed")
            #expect(all[2]["request"]?["options"]?["kind"] == "PatchOptions")
            #expect(all[2]["request"]?["object"]?["data"]?["k"] == "patched")
            #expect(all[3]["request"]?["object"] == .null && all[3]["request"]?["oldObject"]?["metadata"]?["name"] == "one")
            let status = hooks.reviews(at: "/status")
            #expect(status.count == 1)
            #expect(status.first?["request"]?["subResource"] == "status")
            #expect(status.first?["request"]?["kind"]?["kind"] == "Pod")
            // Scope: the namespace create is Cluster-scoped, the configmap and pod creates Namespaced.
            #expect(hooks.reviews(at: "/cluster").map { $0["request"]?["resource"]?["resource"] } == ["namespaces"])
            #expect(hooks.reviews(at: "/namespaced").map { $0["request"]?["resource"]?["resource"] } == ["configmaps", "pods"])
        }
    }

    @Test func namespaceAndObjectSelectors() async throws {
        try await Self.with { api, hooks, ca, base in
            try await api.create("/api/v1/namespaces", TestAPI.namespace("prod", labels: ["env": "prod"]))
            try await api.create("/api/v1/namespaces", TestAPI.namespace("dev", labels: ["env": "dev"]))
            try await api.addValidating("selectors", [
                TestAPI.webhook("prod-only.example.com", url: base, path: "/prod-only", caPEM: ca,
                                extra: ["namespaceSelector": ["matchExpressions": [["key": "env", "operator": "In", "values": ["prod"]]]]]),
                TestAPI.webhook("labelled.example.com", url: base, path: "/labelled", caPEM: ca,
                                extra: ["objectSelector": ["matchLabels": ["audit": "yes"]]]),
            ])
            try await api.create("/api/v1/namespaces/prod/configmaps", TestAPI.configMap("a"))
            try await api.create("/api/v1/namespaces/dev/configmaps", TestAPI.configMap("b", labels: ["audit": "yes"]))
            try await api.create("/api/v1/namespaces/dev/configmaps", TestAPI.configMap("c"))
            // The old object's labels count too: removing the label still calls the webhook.
            var b = try await api.send(.GET, "/api/v1/namespaces/dev/configmaps/b").body
            b["metadata"]?["labels"] = [:]
            #expect(try await api.send(.PUT, "/api/v1/namespaces/dev/configmaps/b", b).status == 200)
            #expect(hooks.reviews(at: "/prod-only").map { $0["request"]?["name"] } == ["a"])
            #expect(hooks.reviews(at: "/labelled").map { $0["request"]?["name"] } == ["b", "b"])
        }
    }

    @Test func mutatingPatchesInOrderWithReinvocation() async throws {
        let calls = Mutex<[String]>([])
        try await Self.with(handler: { path, review in
            calls.withLock { $0.append(path) }
            let labels = review["request"]?["object"]?["metadata"]?["labels"]?.objectValue ?? [:]
            if path.hasPrefix("/first") {
                // Reinvoked after /second changed the object: it sees /second's label.
                let op: JSONValue = labels["second"] == nil ? ["op": "add", "path": "/metadata/labels/first", "value": "1"]
                    : ["op": "add", "path": "/metadata/labels/first-saw-second", "value": "yes"]
                return RawWebhookServer.answer(review, patch: [op])
            }
            if path.hasPrefix("/second") {
                #expect(labels["first"] == "1")
                return RawWebhookServer.answer(review, patch: [["op": "add", "path": "/metadata/labels/second", "value": "2"]], warnings: ["second was here"])
            }
            // The validating webhook sees every mutation.
            #expect(labels["first-saw-second"] == "yes")
            return RawWebhookServer.answer(review)
        }) { api, _, ca, base in
            try await api.addMutating("a-first", [
                TestAPI.webhook("first.example.com", url: base, path: "/first", caPEM: ca, extra: ["reinvocationPolicy": "IfNeeded"]),
            ])
            try await api.addMutating("b-second", [TestAPI.webhook("second.example.com", url: base, path: "/second", caPEM: ca)])
            try await api.addValidating("check", [TestAPI.webhook("check.example.com", url: base, path: "/check", caPEM: ca)])
            let reply = try await api.send(.POST, "/api/v1/namespaces/default/configmaps", TestAPI.configMap("m", labels: ["x": "y"]))
            #expect(reply.status == 201)
            #expect(reply.body["metadata"]?["labels"] == ["x": "y", "first": "1", "second": "2", "first-saw-second": "yes"])
            #expect(reply.headers["Warning"] == ["299 - \"second was here\""])
            #expect(calls.withLock { $0 }.map { String($0.prefix(while: { $0 != "?" })) } == ["/first", "/second", "/first", "/check"])
            // The request URL carries kube's timeout parameter.
            #expect(calls.withLock { $0 }.first == "/first?timeout=10s")
        }
    }

    @Test func dryRunAndSideEffects() async throws {
        try await Self.with { api, hooks, ca, base in
            try await api.addValidating("side-effects", [
                TestAPI.webhook("none-on-dry-run.example.com", url: base, path: "/ok", caPEM: ca, extra: ["sideEffects": "NoneOnDryRun"]),
            ])
            let path = "/api/v1/namespaces/default/configmaps"
            let dry = try await api.send(.POST, path + "?dryRun=All", TestAPI.configMap("d"))
            #expect(dry.status == 201)
            #expect(hooks.reviews(at: "/ok").first?["request"]?["dryRun"] == true)
            #expect(try await api.send(.GET, path + "/d").status == 404)
            try await api.addValidating("some", [
                TestAPI.webhook("some.example.com", url: base, path: "/some", caPEM: ca, extra: ["sideEffects": "Some", "failurePolicy": "Ignore"]),
            ])
            let refused = try await api.send(.POST, path + "?dryRun=All", TestAPI.configMap("d"))
            #expect(refused.status == 400)
            #expect(refused.message == "admission webhook \"some.example.com\" does not support dry run")
            #expect(hooks.reviews(at: "/some").isEmpty)
        }
    }

    @Test func reviewVersions() async throws {
        try await Self.with { api, hooks, ca, base in
            try await api.addValidating("beta", [
                TestAPI.webhook("beta.example.com", url: base, path: "/beta", caPEM: ca, extra: ["admissionReviewVersions": ["v1beta1"]]),
                TestAPI.webhook("unknown.example.com", url: base, path: "/unknown", caPEM: ca, extra: ["admissionReviewVersions": ["v2"]]),
            ])
            let reply = try await api.send(.POST, "/api/v1/namespaces/default/configmaps", TestAPI.configMap("v"))
            #expect(hooks.reviews(at: "/beta").first?["apiVersion"] == "admission.k8s.io/v1beta1")
            #expect(reply.status == 500)
            #expect(reply.message == "Internal error occurred: failed calling webhook \"unknown.example.com\": could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)")
        }
    }

    @Test func exemptConfigurationsAndMatchPolicy() async throws {
        try await Self.with { api, hooks, ca, base in
            // A webhook on everything is not called for webhook configurations themselves.
            try await api.addValidating("everything", [
                TestAPI.webhook("everything.example.com", url: base, path: "/everything", caPEM: ca,
                                rules: [TestAPI.rule(groups: ["*"], versions: ["*"], resources: ["*"])]),
                TestAPI.webhook("exact.example.com", url: base, path: "/exact", caPEM: ca,
                                rules: [TestAPI.rule(groups: ["autoscaling"], versions: ["v1"], resources: ["horizontalpodautoscalers"])],
                                extra: ["matchPolicy": "Exact"]),
                TestAPI.webhook("equivalent.example.com", url: base, path: "/equivalent", caPEM: ca,
                                rules: [TestAPI.rule(groups: ["autoscaling"], versions: ["v1"], resources: ["horizontalpodautoscalers"])]),
            ])
            try await api.addMutating("later", [TestAPI.webhook("later.example.com", url: base, path: "/later", caPEM: ca)])
            #expect(hooks.reviews(at: "/everything").isEmpty)
            let hpa: JSONValue = [
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "h"],
                "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": 1, "maxReplicas": 3],
            ]
            let created = try await api.send(.POST, "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers", hpa)
            #expect(created.status == 201)
            #expect(hooks.reviews(at: "/exact").isEmpty)
            let equivalent = try #require(hooks.reviews(at: "/equivalent").first?["request"])
            #expect(equivalent["resource"]?["version"] == "v1")
            #expect(equivalent["requestResource"]?["version"] == "v2")
        }
    }
}
