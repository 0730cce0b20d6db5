import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// Create on a subresource over TLS: the TokenRequest API, eviction and binding, and the
/// generic `create(subresource:name:body:)` under them.
@Suite("Create on a subresource", .timeLimit(.minutes(3)))
struct SubresourceCreateTests {
    @Test func createTokenMintsAWorkingTokenForTheServiceAccount() async throws {
        try await Cluster.run { cluster in
            let accounts = Api<ServiceAccount>.namespaced(cluster.admin, "default")
            _ = try await accounts.create(ServiceAccount(metadata: ObjectMeta(name: "app")))
            let before = Date()
            let request = TokenRequest(spec: .init(audiences: ["vault"], expirationSeconds: 1800))
            let answered = try await accounts.createToken("app", request)
            let token = try #require(answered.status?.token)
            #expect(!token.isEmpty)
            #expect(answered.spec?.audiences == ["vault"])
            #expect(answered.spec?.expirationSeconds == 1800)
            #expect(answered.metadata.name == "app")
            let expires = try #require(answered.status?.expirationTimestamp).date
            #expect(abs(expires.timeIntervalSince(before) - 1800) < 60)

            // The server accepts the token for its audience, as the service account.
            let review = try await Api<TokenReview>.cluster(cluster.admin).create(TokenReview(spec: .init(audiences: ["vault"], token: token)))
            #expect(review.status?.authenticated == true)
            #expect(review.status?.user?.username == "system:serviceaccount:default:app")

            // Defaults: the server's own audience.
            let plain = try await accounts.createToken("app")
            #expect(plain.spec?.audiences?.isEmpty == false)
            #expect(plain.status?.token?.isEmpty == false)

            let missing = await #expect(throws: KubeError.self) { _ = try await accounts.createToken("nobody") }
            #expect(missing?.isNotFound == true)
            let tooShort = await #expect(throws: KubeError.self) {
                _ = try await accounts.createToken("app", TokenRequest(spec: .init(expirationSeconds: 60)))
            }
            #expect(tooShort?.isInvalid == true)
        }
    }

    @Test func evictDeletesAPodThatNoBudgetProtects() async throws {
        try await Cluster.run { cluster in
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            _ = try await pods.create(pod("web-0"))
            // A dry run leaves the pod.
            let dryRun = try await pods.evict("web-0", options: DeleteOptions(dryRun: true))
            #expect(dryRun.status == "Success")
            #expect(try await pods.getIfExists("web-0") != nil)

            let status = try await pods.evict("web-0")
            #expect(status.kind == "Status")
            #expect(status.status == "Success")
            #expect(status.code == 201)
            #expect(try await pods.getIfExists("web-0") == nil)

            let missing = await #expect(throws: KubeError.self) { _ = try await pods.evict("web-0") }
            #expect(missing?.isNotFound == true)
        }
    }

    @Test func evictHonoursThePodDisruptionBudget() async throws {
        try await Cluster.run { cluster in
            for name in ["web-1", "web-2"] { try await seedRunningPod(cluster, name) }
            try await seedBudget(cluster, disruptionsAllowed: 0)
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let refused = await #expect(throws: KubeError.self) { _ = try await pods.evict("web-1") }
            #expect(refused?.isTooManyRequests == true)
            #expect(refused?.statusCode == 429)
            #expect(refused?.message == "Cannot evict pod as it would violate the pod's disruption budget.")
            #expect(refused?.status?.details?.causes?.first?.reason == "DisruptionBudget")
            #expect(refused?.status?.details?.causes?.first?.message == "The disruption budget web needs 2 healthy pods and has 2 currently")
            #expect(try await pods.getIfExists("web-1") != nil)

            // One disruption allowed: the first eviction spends it, the second is refused.
            try await seedBudget(cluster, disruptionsAllowed: 1)
            #expect(try await pods.evict("web-1").status == "Success")
            #expect(try await pods.getIfExists("web-1") == nil)
            let budget = try await Api<PodDisruptionBudget>.namespaced(cluster.admin, "default").get("web")
            #expect(budget.status?.disruptionsAllowed == 0)
            #expect(budget.status?.disruptedPods?["web-1"] != nil)
            let second = await #expect(throws: KubeError.self) { _ = try await pods.evict("web-2") }
            #expect(second?.isTooManyRequests == true)
        }
    }

    @Test func bindAssignsThePodToANodeOnce() async throws {
        try await Cluster.run { cluster in
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            _ = try await pods.create(pod("web-3"))
            let status = try await pods.bind("web-3", toNode: "node-1")
            #expect(status.status == "Success")
            #expect(status.code == 201)
            let bound = try await pods.get("web-3")
            #expect(bound.spec?.nodeName == "node-1")
            #expect(bound.status?.conditions?.contains { $0.type == "PodScheduled" && $0.status == "True" } == true)

            let again = await #expect(throws: KubeError.self) { _ = try await pods.bind("web-3", toNode: "node-2") }
            #expect(again?.isConflict == true)
            #expect(again?.message.contains("pod web-3 is already assigned to node \"node-1\"") == true)
            #expect(try await pods.get("web-3").spec?.nodeName == "node-1")

            // The legacy collection: POST bindings, the body naming the pod. The answer is a Status.
            _ = try await pods.create(pod("web-5"))
            let bindings = DynamicApi(cluster.admin, resource: Core.V1.Binding.descriptor, namespace: "default")
            let answer = try await bindings.create(
                DynamicObject(apiVersion: "v1", kind: "Binding", metadata: ObjectMeta(name: "web-5"), fields: ["target": ["name": "node-2"]]))
            #expect(answer.kind == "Status")
            #expect(answer["status"] == "Success")
            #expect(try await pods.get("web-5").spec?.nodeName == "node-2")
        }
    }

    @Test func genericCreateOnASubresource() async throws {
        try await Cluster.run { cluster in
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            _ = try await pods.create(pod("web-4"))
            // The body names another pod: refused as kube-apiserver does.
            let mismatched = Core.V1.Binding(metadata: ObjectMeta(name: "other"), target: .init(kind: "Node", name: "node-1"))
            let refused = await #expect(throws: KubeError.self) {
                let _: Status = try await pods.create(subresource: "binding", name: "web-4", body: mismatched)
            }
            #expect(refused?.statusCode == 400)
            #expect(refused?.message == "name in URL does not match name in Binding object")

            let binding = Core.V1.Binding(metadata: ObjectMeta(name: "web-4"), target: .init(kind: "Node", name: "node-9"))
            let status = try await pods.create(subresource: "binding", name: "web-4", body: binding, as: Status.self)
            #expect(status.status == "Success")
            #expect(try await pods.get("web-4").spec?.nodeName == "node-9")

            // A subresource the server does not have, and one that is not a path segment.
            let unknown = await #expect(throws: KubeError.self) {
                _ = try await pods.create(subresource: "frobnicate", name: "web-4", body: binding, as: Status.self)
            }
            #expect(unknown?.isNotFound == true)
            await #expect(throws: KubeError.self) { _ = try await pods.create(subresource: "a/b", name: "web-4", body: binding, as: Status.self) }
        }
    }

    private func pod(_ name: String, labels: [String: String]? = nil) -> Pod {
        Pod(metadata: ObjectMeta(name: name, labels: labels), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:1.27", name: "web")]))
    }

    /// A Running pod (no kubelet here: the status is seeded).
    private func seedRunningPod(_ cluster: Cluster, _ name: String) async throws {
        let seeded: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "labels": ["app": "web"]],
            "spec": ["containers": [["name": "web", "image": "nginx:1.27"]], "nodeName": "node-1"],
            "status": ["phase": "Running"],
        ]
        try await cluster.server.apply(json: try JSONEncoder().encode(seeded))
    }

    /// A budget over `app=web` with the status the disruption controller would have written.
    private func seedBudget(_ cluster: Cluster, disruptionsAllowed: Int64) async throws {
        let seeded: JSONValue = [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": ["name": "web", "namespace": "default"],
            "spec": ["minAvailable": 2, "selector": ["matchLabels": ["app": "web"]]],
            "status": [
                "observedGeneration": 1, "disruptionsAllowed": .int(disruptionsAllowed), "currentHealthy": 2, "desiredHealthy": 2,
                "expectedPods": 2,
            ],
        ]
        try await cluster.server.apply(json: try JSONEncoder().encode(seeded))
    }
}
