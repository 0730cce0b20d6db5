import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Deletion, deleteCollection, create-on-update, continue tokens and list options as the
/// recorded kube-apiserver v1.36 answers them (exchanges 030, 059-064, 077, 082, 086), over
/// TLS against a server that runs no controllers (`emulatesControllers = false`), like the
/// recorded one, unless a test says otherwise.
@Suite("Store fidelity: delete, deletecollection, create on update, continue tokens", .timeLimit(.minutes(3)))
struct StoreFidelityTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"
    let pods = "/api/v1/namespaces/default/pods"
    let deployments = "/apis/apps/v1/namespaces/default/deployments"

    func withRecordedServer(_ body: (KubeTestServer, Wire) async throws -> Void) async throws {
        try await withServer({ $0.emulatesControllers = false }, body)
    }

    func pod(_ name: String, nodeName: String? = nil, finalizers: [String] = []) -> JSONValue {
        var metadata: [String: JSONValue] = ["name": .string(name)]
        if !finalizers.isEmpty { metadata["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        var spec: [String: JSONValue] = ["containers": [["name": "c", "image": "registry.example/c:1"]]]
        if let nodeName { spec["nodeName"] = .string(nodeName) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": .object(metadata), "spec": .object(spec)]
    }

    func deployment(_ name: String) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "labels": ["app": .string(name)]],
            "spec": [
                "replicas": 2, "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "web", "image": "registry.example/nginx:1.27"]]]],
            ],
        ]
    }

    func seconds(_ time: JSONValue?) -> Date? { time?.stringValue.flatMap(RFC3339.parse) }

    // MARK: - Delete (059, 063)

    @Test func deleteAnswersStatusOrTheObjectAndBumpsGeneration() async throws {
        try await withRecordedServer { _, wire in
            _ = try await wire.post(configMaps, configMap("plain"))
            let plain = try await wire.delete(configMaps + "/plain")
            #expect(plain.status == 200)
            #expect(plain.json["kind"] == "Status")
            #expect(plain.json["details"]?["kind"] == "configmaps")

            // An unscheduled pod goes at once, even with a grace period; the answer is the pod as
            // marked: deletionTimestamp, deletionGracePeriodSeconds 0, generation + 1.
            let created = try await wire.post(pods, pod("p1"))
            #expect(created.json["metadata"]?["generation"] == 1)
            let deleted = try await wire.delete(pods + "/p1?gracePeriodSeconds=30")
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"] == "Pod")
            #expect(deleted.json["metadata"]?["generation"] == 2)
            #expect(deleted.json["metadata"]?["deletionGracePeriodSeconds"] == 0)
            #expect(deleted.json["metadata"]?["deletionTimestamp"]?.stringValue != nil)
            #expect(try await wire.get(pods + "/p1").status == 404)

            // A scheduled pod with a finalizer keeps the grace period it was deleted with.
            _ = try await wire.post(pods, pod("p2", nodeName: "node-that-does-not-exist", finalizers: ["example.com/hold"]))
            let before = Date()
            let graceful = try await wire.delete(pods + "/p2?gracePeriodSeconds=30")
            #expect(graceful.status == 200)
            #expect(graceful.json["metadata"]?["deletionGracePeriodSeconds"] == 30)
            #expect(graceful.json["metadata"]?["generation"] == 2)
            let deadline = try #require(seconds(graceful.json["metadata"]?["deletionTimestamp"]))
            #expect(deadline.timeIntervalSince(before) > 28 && deadline.timeIntervalSince(before) < 32)
            // A longer grace period changes nothing; a shorter one moves the deadline.
            let again = try await wire.delete(pods + "/p2?gracePeriodSeconds=60")
            #expect(again.json["metadata"]?["resourceVersion"] == graceful.json["metadata"]?["resourceVersion"])
            let shorter = try await wire.delete(pods + "/p2?gracePeriodSeconds=10")
            #expect(shorter.json["metadata"]?["deletionGracePeriodSeconds"] == 10)
            #expect(shorter.json["metadata"]?["generation"] == 2)
            // Removing the finalizer of a pod still in its grace period leaves it to the kubelet.
            let released = try await wire.request(
                .PATCH, pods + "/p2", body: Data(#"[{"op":"remove","path":"/metadata/finalizers"}]"#.utf8), contentType: "application/json-patch+json")
            #expect(released.status == 200)
            #expect(try await wire.get(pods + "/p2").status == 200)
        }
    }

    @Test func finalizersHoldAnObjectAnswered200() async throws {
        try await withRecordedServer { _, wire in
            var held = configMap("held")
            held["metadata"]?["finalizers"] = ["example.com/hold"]
            _ = try await wire.post(configMaps, held)
            let first = try await wire.delete(configMaps + "/held")
            #expect(first.status == 200)
            #expect(first.json["metadata"]?["deletionGracePeriodSeconds"] == 0)
            #expect(first.json["metadata"]?["finalizers"] == ["example.com/hold"])
            let second = try await wire.delete(configMaps + "/held")
            #expect(second.status == 200)
            #expect(second.json["metadata"]?["resourceVersion"] == first.json["metadata"]?["resourceVersion"])
            #expect(second.json["metadata"]?["deletionTimestamp"] == first.json["metadata"]?["deletionTimestamp"])
            _ = try await wire.request(
                .PATCH, configMaps + "/held", body: Data(#"[{"op":"remove","path":"/metadata/finalizers"}]"#.utf8),
                contentType: "application/json-patch+json")
            #expect(try await wire.get(configMaps + "/held").status == 404)
        }
    }

    // MARK: - Propagation (061)

    @Test func propagationPolicyFinalizersAndValidation() async throws {
        try await withRecordedServer { _, wire in
            for name in ["bg", "fg", "orphan", "old", "bad"] { #expect(try await wire.post(deployments, deployment(name)).status == 201) }
            let background = try await wire.delete(deployments + "/bg?propagationPolicy=Background")
            #expect(background.json["kind"] == "Status")
            #expect(try await wire.get(deployments + "/bg").status == 404)

            let foreground = try await wire.delete(deployments + "/fg?propagationPolicy=Foreground")
            #expect(foreground.status == 200)
            #expect(foreground.json["metadata"]?["finalizers"] == ["foregroundDeletion"])
            #expect(foreground.json["metadata"]?["generation"] == 2)
            #expect(try await wire.get(deployments + "/fg").json["metadata"]?["finalizers"] == ["foregroundDeletion"])

            let orphan = try await wire.delete(deployments + "/orphan", ["apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Orphan"])
            #expect(orphan.json["metadata"]?["finalizers"] == ["orphan"])

            // An object left in place after the deprecated orphanDependents=false is the one case kube answers 202.
            var held = configMap("held")
            held["metadata"]?["finalizers"] = ["example.com/hold"]
            _ = try await wire.post(configMaps, held)
            let old = try await wire.delete(configMaps + "/held?orphanDependents=false")
            #expect(old.status == 202)
            #expect(old.json["metadata"]?["finalizers"] == ["example.com/hold"])
            let gone = try await wire.delete(deployments + "/old?orphanDependents=false")
            #expect(gone.status == 200)
            #expect(gone.json["kind"] == "Status")

            let sideways = try await wire.delete(deployments + "/bad?propagationPolicy=Sideways")
            #expect(sideways.status == 422)
            #expect(sideways.statusObject?.message
                == #"DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan", "nil""#)
            let both = try await wire.delete(deployments + "/bad?orphanDependents=true&propagationPolicy=Background")
            #expect(both.status == 422)
            #expect(both.statusObject?.details?.causes?.first?.message
                == #"Invalid value: "Background": orphanDependents and deletionPropagation cannot be both set"#)
            let garbage = try await wire.delete(deployments + "/bad?gracePeriodSeconds=soon")
            #expect(garbage.status == 400)
            #expect(try await wire.get(deployments + "/bad").status == 200)
        }
    }

    @Test func emulatedGarbageCollectorAndKubeletFinishDeletions() async throws {
        try await withServer { _, wire in
            let owner = try await wire.post(deployments, deployment("owner"))
            let uid = owner.json["metadata"]?["uid"] ?? ""
            let reference: JSONValue = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "owner", "uid": uid]]
            for name in ["dep-a", "dep-b"] {
                var dependent = configMap(name)
                dependent["metadata"]?["ownerReferences"] = reference
                _ = try await wire.post(configMaps, dependent)
            }
            let orphaned = try await wire.delete(deployments + "/owner?propagationPolicy=Orphan")
            #expect(orphaned.json["metadata"]?["finalizers"] == ["orphan"])
            #expect(try await wire.get(deployments + "/owner").status == 404)
            #expect(try await wire.get(configMaps + "/dep-a").json["metadata"]?["ownerReferences"] == nil)

            let second = try await wire.post(deployments, deployment("owner2"))
            var dependent = configMap("dep-c")
            dependent["metadata"]?["ownerReferences"] = [["apiVersion": "apps/v1", "kind": "Deployment", "name": "owner2", "uid": second.json["metadata"]?["uid"] ?? ""]]
            _ = try await wire.post(configMaps, dependent)
            _ = try await wire.delete(deployments + "/owner2?propagationPolicy=Foreground")
            #expect(try await wire.get(configMaps + "/dep-c").status == 404)
            #expect(try await wire.get(deployments + "/owner2").status == 404)

            // The emulated kubelet confirms a graceful pod deletion at once.
            _ = try await wire.post("/api/v1/namespaces/default/serviceaccounts", ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]])
            _ = try await wire.post(pods, pod("running", nodeName: "n1"))
            let graceful = try await wire.delete(pods + "/running")
            #expect(graceful.json["metadata"]?["deletionGracePeriodSeconds"] == 30)
            #expect(try await wire.get(pods + "/running").status == 404)
        }
    }

    // MARK: - deleteCollection (060)

    @Test func deleteCollectionAnswersTheListAsListed() async throws {
        try await withRecordedServer { _, wire in
            var versions: [String: String] = [:]
            for (index, tier) in ["a", "a", "b", "a"].enumerated() {
                let created = try await wire.post(configMaps, configMap("c\(index)", labels: ["tier": tier]))
                versions["c\(index)"] = created.json["metadata"]?["resourceVersion"]?.stringValue
            }
            let before = try await wire.get(configMaps).json["metadata"]?["resourceVersion"]
            let deleted = try await wire.delete(configMaps + "?labelSelector=tier%3Da")
            #expect(deleted.json["kind"] == "ConfigMapList")
            #expect(deleted.json["metadata"]?["resourceVersion"] == before)
            let items = deleted.json["items"]?.arrayValue ?? []
            #expect(items.compactMap { $0["metadata"]?["name"]?.stringValue } == ["c0", "c1", "c3"])
            for item in items {
                let name = item["metadata"]?["name"]?.stringValue ?? ""
                #expect(item["metadata"]?["resourceVersion"]?.stringValue == versions[name])
            }
            let remaining = try await wire.get(configMaps).json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue }
            #expect(remaining == ["c2"])
            let empty = try await wire.delete(configMaps + "?labelSelector=tier%3Da")
            #expect(empty.json["items"] == [])
        }
    }

    // MARK: - Create on update (064)

    @Test func putCreatesForKindsThatAllowIt() async throws {
        try await withRecordedServer { _, wire in
            let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"], "spec": ["holderIdentity": "a"]]
            let created = try await wire.put("/apis/coordination.k8s.io/v1/namespaces/default/leases/l", lease)
            #expect(created.status == 201)
            #expect(created.json["spec"] == ["holderIdentity": "a"])
            #expect(created.json["metadata"]?["managedFields"]?[0]?["operation"] == "Update")
            let updated = try await wire.put("/apis/coordination.k8s.io/v1/namespaces/default/leases/l", lease)
            #expect(updated.status == 200)
            let endpoints = try await wire.put("/api/v1/namespaces/default/endpoints/e", ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "e"]])
            #expect(endpoints.status == 201)
            #expect(endpoints.headers["Warning"] == [#"299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice""#])
            let secret = try await wire.put("/api/v1/namespaces/default/secrets/x", ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "x"]])
            #expect(secret.status == 404)
            #expect(secret.statusObject?.message == #"secrets "x" not found"#)
            let mismatch = try await wire.put("/apis/coordination.k8s.io/v1/namespaces/default/leases/m", lease)
            #expect(mismatch.status == 400)
            #expect(mismatch.statusObject?.message == "the name of the object (l) does not match the name on the URL (m)")
        }
    }

    // MARK: - Continue tokens and list options (030, 077, 082, 086)

    func decodedToken(_ token: String?) -> String {
        var base64 = (token ?? "").replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    @Test func continueTokensInKubesFormatAndAfterCompaction() async throws {
        try await withRecordedServer { server, wire in
            for index in 1...5 { _ = try await wire.post(configMaps, configMap("obj-\(index)")) }
            let first = try await wire.get(configMaps + "?limit=2")
            let rv = first.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            let token = first.json["metadata"]?["continue"]?.stringValue
            #expect(decodedToken(token) == #"{"v":"meta.k8s.io/v1","rv":\#(rv),"start":"/obj-2\u0000"}"#)
            #expect(first.json["metadata"]?["remainingItemCount"] == 3)

            // Compaction with no write since: the token's revision is gone all the same.
            await server.faults.compactHistory()
            let expired = try await wire.get(configMaps + "?limit=2&continue=\(token ?? "")")
            #expect(expired.status == 410)
            #expect(expired.statusObject?.reason == "Expired")
            #expect(expired.statusObject?.message?.hasPrefix("The provided continue parameter is too old") == true)
            let fresh = expired.json["metadata"]?["continue"]?.stringValue
            #expect(decodedToken(fresh) == #"{"v":"meta.k8s.io/v1","rv":-1,"start":"obj-2\u0000"}"#)
            // The inconsistent token continues at the latest revision.
            let rest = try await wire.get(configMaps + "?limit=2&continue=\(fresh ?? "")")
            #expect(rest.status == 200)
            #expect(rest.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["obj-3", "obj-4"])
            let exact = try await wire.get(configMaps + "?limit=2&resourceVersion=\(rv)&resourceVersionMatch=Exact")
            #expect(exact.status == 410)
            #expect(exact.statusObject?.message == "The resourceVersion for the provided list is too old.")
        }
    }

    @Test func paginationEdges() async throws {
        try await withRecordedServer { _, wire in
            for (index, odd) in [false, true, false, true, false].enumerated() {
                _ = try await wire.post(configMaps, configMap("r\(index)", labels: ["odd": odd ? "true" : "false"]))
            }
            // A full page with keys after it gets a token even when none of them match.
            let selected = try await wire.get(configMaps + "?limit=2&labelSelector=odd%3Dtrue")
            #expect(selected.json["items"]?.arrayValue?.count == 2)
            let selectedToken = decodedToken(selected.json["metadata"]?["continue"]?.stringValue)
            #expect(selectedToken.hasSuffix(#""start":"/r3\u0000"}"#))
            #expect(selected.json["metadata"]?["remainingItemCount"] == nil)
            let exactly = try await wire.get(configMaps + "?limit=5")
            #expect(exactly.json["metadata"]?["continue"] == nil)
            let negative = try await wire.get(configMaps + "?limit=-1")
            #expect(negative.status == 200)
            #expect(negative.json["items"]?.arrayValue?.count == 5)
            let garbage = try await wire.get(configMaps + "?limit=1&continue=not-a-token")
            #expect(garbage.status == 400)
            #expect(garbage.statusObject?.message
                == #"invalid continue token: continue key is not valid: invalid character '\u009e' looking for beginning of value"#)
            // Go's scanner names the byte and its context anywhere in the token, and a cut one ends early.
            let noColon = try await wire.get(configMaps + "?limit=1&continue=eyJ2IiAxfQ")  // {"v" 1}
            #expect(noColon.statusObject?.message == "invalid continue token: continue key is not valid: invalid character '1' after object key")
            let cut = try await wire.get(configMaps + "?limit=1&continue=eyJ2Ijo")  // {"v":
            #expect(cut.statusObject?.message == "invalid continue token: continue key is not valid: unexpected end of JSON input")
            let noVersion = try await wire.get(configMaps + "?limit=1&continue=e30")
            #expect(noVersion.statusObject?.message == #"invalid continue token: continue key is not valid: server does not recognize this encoded version "#)
            let allNamespaces = try await wire.get("/api/v1/configmaps?limit=1")
            let everywhereToken = decodedToken(allNamespaces.json["metadata"]?["continue"]?.stringValue)
            #expect(everywhereToken.hasSuffix(#""start":"/default/r0\u0000"}"#))
        }
    }

    @Test func listOptionsAreValidatedLikeKube() async throws {
        try await withRecordedServer { _, wire in
            let both = try await wire.get(configMaps + "?sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
            #expect(both.status == 422)
            #expect(both.statusObject?.message == #"ListOptions.meta.k8s.io "" is invalid: [resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided, sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list]"#)
            #expect(both.statusObject?.details?.causes?.map(\.field) == ["resourceVersionMatch", "sendInitialEvents"])
            let unknown = try await wire.get(configMaps + "?resourceVersion=1&resourceVersionMatch=Sometimes")
            #expect(unknown.status == 422)
            #expect(unknown.statusObject?.details?.causes?.first?.message == #"Unsupported value: "Sometimes": supported values: "Exact", "NotOlderThan", """#)
        }
    }
}
