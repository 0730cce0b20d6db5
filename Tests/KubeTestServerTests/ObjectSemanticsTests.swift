import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

@Suite("Objects: create, update, delete, errors", .timeLimit(.minutes(3)))
struct ObjectSemanticsTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    @Test func createFillsMetadataAndRejectsDuplicates() async throws {
        try await withServer { _, wire in
            let created = try await wire.post(configMaps, configMap("one"))
            #expect(created.status == 201)
            let metadata = created.json["metadata"]
            #expect(metadata?["uid"]?.stringValue?.count == 36)
            #expect(Int64(metadata?["resourceVersion"]?.stringValue ?? "") != nil)
            #expect(metadata?["creationTimestamp"]?.stringValue != nil)
            #expect(created.json["kind"] == "ConfigMap")
            let again = try await wire.post(configMaps, configMap("one"))
            #expect(again.status == 409)
            #expect(again.statusObject?.reason == "AlreadyExists")
            #expect(again.statusObject?.message == "configmaps \"one\" already exists")
            #expect(again.statusObject?.details?.kind == "configmaps")
            let generated = try await wire.post(configMaps, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["generateName": "gen-"]])
            #expect(generated.status == 201)
            let name = generated.json["metadata"]?["name"]?.stringValue ?? ""
            #expect(name.hasPrefix("gen-") && name.count == 9)
            let missing = try await wire.get(configMaps + "/nope")
            #expect(missing.status == 404)
            #expect(missing.statusObject?.message == "configmaps \"nope\" not found")
            let deployment = try await wire.get("/apis/apps/v1/namespaces/default/deployments/nope")
            #expect(deployment.statusObject?.message == "deployments.apps \"nope\" not found")
        }
    }

    @Test func resourceVersionsIncreaseAndStaleUpdatesConflict() async throws {
        try await withServer { _, wire in
            let created = try await wire.post(configMaps, configMap("cm"))
            let rv1 = Int64(created.json["metadata"]?["resourceVersion"]?.stringValue ?? "0")!
            var changed = created.json
            changed["data"] = ["k": "v2"]
            let updated = try await wire.put(configMaps + "/cm", changed)
            #expect(updated.status == 200)
            let rv2 = Int64(updated.json["metadata"]?["resourceVersion"]?.stringValue ?? "0")!
            #expect(rv2 > rv1)
            #expect(updated.json["metadata"]?["uid"] == created.json["metadata"]?["uid"])
            let stale = try await wire.put(configMaps + "/cm", changed)
            #expect(stale.status == 409)
            #expect(stale.statusObject?.reason == "Conflict")
            #expect(stale.statusObject?.message == "Operation cannot be fulfilled on configmaps \"cm\": the object has been modified; please apply your changes to the latest version and try again")
            // A no-op update keeps the resourceVersion.
            let same = try await wire.put(configMaps + "/cm", updated.json)
            #expect(same.json["metadata"]?["resourceVersion"] == updated.json["metadata"]?["resourceVersion"])
        }
    }

    @Test func generationFollowsSpecAndStatusIsASubresource() async throws {
        try await withServer { _, wire in
            let path = "/apis/apps/v1/namespaces/default/deployments"
            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "labels": ["app": "web"]],
                "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "web"]],
                         "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "nginx:1"]]]]],
                "status": ["replicas": 7],
            ]
            let created = try await wire.post(path, deployment)
            #expect(created.status == 201)
            #expect(created.json["metadata"]?["generation"] == 1)
            // The sent status is dropped; a Deployment starts with `status: {}` (042).
            #expect(created.json["status"] == [:])
            var labelsOnly = created.json
            labelsOnly["metadata"]?["labels"] = ["app": "web", "tier": "front"]
            let relabeled = try await wire.put(path + "/web", labelsOnly)
            #expect(relabeled.json["metadata"]?["generation"] == 1)
            var scaled = relabeled.json
            scaled["spec"]?["replicas"] = 3
            scaled["status"] = ["replicas": 99]
            let respec = try await wire.put(path + "/web", scaled)
            #expect(respec.json["metadata"]?["generation"] == 2)
            #expect(respec.json["status"] == [:])
            var status = respec.json
            status["status"] = ["replicas": 3]
            status["spec"]?["replicas"] = 10
            let statusWrite = try await wire.put(path + "/web/status", status)
            #expect(statusWrite.status == 200)
            #expect(statusWrite.json["status"]?["replicas"] == 3)
            #expect(statusWrite.json["spec"]?["replicas"] == 3)
            #expect(statusWrite.json["metadata"]?["generation"] == 2)
            let scale = try await wire.get(path + "/web/scale")
            #expect(scale.json["kind"] == "Scale")
            #expect(scale.json["spec"]?["replicas"] == 3)
        }
    }

    @Test func finalizersDeferDeletion() async throws {
        try await withServer { _, wire in
            var object = configMap("held")
            object["metadata"]?["finalizers"] = ["example.com/hold"]
            _ = try await wire.post(configMaps, object)
            let deleting = try await wire.delete(configMaps + "/held")
            #expect(deleting.status == 200)  // kube answers 202 only for orphanDependents=false (059)
            #expect(deleting.json["metadata"]?["deletionTimestamp"]?.stringValue != nil)
            var current = try await wire.get(configMaps + "/held").json
            #expect(current["metadata"]?["deletionTimestamp"] != nil)
            current["metadata"]?["finalizers"] = []
            #expect(try await wire.put(configMaps + "/held", current).status == 200)
            #expect(try await wire.get(configMaps + "/held").status == 404)
        }
    }

    @Test func dryRunChangesNothingAndDeleteCollectionHonoursSelectors() async throws {
        try await withServer { _, wire in
            let dry = try await wire.request(.POST, configMaps + "?dryRun=All", body: JSONWriter.data(configMap("dry")))
            #expect(dry.status == 201)
            #expect(try await wire.get(configMaps + "/dry").status == 404)
            let badDry = try await wire.request(.POST, configMaps + "?dryRun=Some", body: JSONWriter.data(configMap("dry")))
            #expect(badDry.status == 400)
            for index in 0..<4 {
                _ = try await wire.post(configMaps, configMap("c\(index)", labels: ["batch": index < 3 ? "x" : "y"]))
            }
            let removed = try await wire.delete(configMaps + "?labelSelector=batch%3Dx")
            #expect(removed.status == 200)
            #expect(removed.json["items"]?.arrayValue?.count == 3)
            #expect(try await wire.get(configMaps + "/c3").status == 200)
            #expect(try await wire.get(configMaps + "/c0").status == 404)
        }
    }

    @Test func badInputGetsStatusBodiesAndTheServerKeepsServing() async throws {
        try await withServer({ $0.maxRequestBodyBytes = 64 * 1024 }) { _, wire in
            let malformed = try await wire.request(.POST, configMaps, body: Data("{\"apiVersion\": ".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.statusObject?.reason == "BadRequest")
            #expect(try await wire.get("/healthz").status == 200)

            var wrongVersion = configMap("x")
            wrongVersion["apiVersion"] = "apps/v1"
            let version = try await wire.post(configMaps, wrongVersion)
            #expect(version.status == 400)
            // As recorded (022): decoded with kube's scheme, which has no apps/v1 ConfigMap.
            #expect(version.statusObject?.message
                == #"ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30""#)

            var wrongKind = configMap("x")
            wrongKind["kind"] = "Secret"
            let kind = try await wire.post(configMaps, wrongKind)
            #expect(kind.status == 400)
            #expect(kind.statusObject?.message
                == #"Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion"#)

            let noName = try await wire.post(configMaps, ["apiVersion": "v1", "kind": "ConfigMap"])
            #expect(noName.status == 422)
            #expect(noName.statusObject?.reason == "Invalid")
            #expect(noName.statusObject?.details?.causes?.first?.field == "metadata.name")
            #expect(noName.statusObject?.message == "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is required")

            let badName = try await wire.post(configMaps, configMap("Not_Valid"))
            #expect(badName.status == 422)

            let huge = try await wire.request(.POST, configMaps, body: Data(repeating: UInt8(ascii: " "), count: 200 * 1024))
            #expect(huge.status == 413)
            #expect(huge.statusObject?.reason == "RequestEntityTooLarge")
            #expect(try await wire.get("/healthz").status == 200)

            let unknown = try await wire.get("/api/v1/namespaces/default/widgets")
            #expect(unknown.status == 404)
            #expect(unknown.statusObject?.message == "the server could not find the requested resource")

            let selector = try await wire.get(configMaps + "?labelSelector=a%20in%20(")
            #expect(selector.status == 400)
            let field = try await wire.get(configMaps + "?fieldSelector=spec.nodeName%3Dn1")
            #expect(field.status == 400)
            #expect(field.statusObject?.message == "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
            let podField = try await wire.get("/api/v1/namespaces/default/pods?fieldSelector=spec.foo%3Dn1")
            #expect(podField.statusObject?.message == "field label not supported: spec.foo")

            let garbage = try await wire.request(.GET, configMaps, token: "garbage.token.value")
            #expect(garbage.status == 401)
            #expect(garbage.statusObject?.reason == "Unauthorized")
            let notJWT = try await wire.request(.GET, configMaps, token: "x")
            #expect(notJWT.status == 401)

            let namespaceMissing = try await wire.post("/api/v1/namespaces/ghost/configmaps", configMap("x", namespace: "ghost"))
            #expect(namespaceMissing.status == 404)
            #expect(namespaceMissing.statusObject?.message == "namespaces \"ghost\" not found")

            let mismatch = try await wire.post(configMaps, configMap("x", namespace: "kube-system"))
            #expect(mismatch.status == 400)

            let array = try await wire.request(.POST, configMaps, body: Data("[1,2]".utf8))
            #expect(array.status == 400)

            // YAML bodies are decoded (a ConfigMap without a name is invalid); other types are 415.
            let yaml = try await wire.request(.POST, configMaps, body: Data("a: b".utf8), contentType: "application/yaml")
            #expect(yaml.status == 422)
            let yamlObject = try await wire.request(
                .POST, configMaps, body: Data("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-yaml}\ndata: {k: v}\n".utf8),
                contentType: "application/yaml")
            #expect(yamlObject.status == 201)
            #expect(yamlObject.json["data"] == ["k": "v"])
            #expect(try await wire.request(.POST, configMaps, body: Data("a".utf8), contentType: "text/plain").status == 415)
            let protobuf = try await wire.request(.POST, configMaps, body: Data("a: b".utf8), contentType: "application/vnd.kubernetes.protobuf")
            #expect(protobuf.status == 400)

            #expect(try await wire.get("/healthz").status == 200)
            #expect(try await wire.post(configMaps, configMap("still-works")).status == 201)
        }
    }

    @Test func mergePatchUpdatesAndSeedingKeepsStatus() async throws {
        try await withServer { server, wire in
            _ = try await wire.post(configMaps, configMap("p"))
            let patched = try await wire.request(.PATCH, configMaps + "/p", body: Data(#"{"data":{"k":null,"n":"1"}}"#.utf8), contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            #expect(patched.json["data"] == ["n": "1"])
            let badType = try await wire.request(.PATCH, configMaps + "/p", body: Data("{}".utf8), contentType: "text/plain")
            #expect(badType.status == 415)
            let pod: JSONValue = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "seeded", "namespace": "default"],
                "spec": ["containers": [["name": "c", "image": "busybox"]]], "status": ["phase": "Running"],
            ]
            try await server.apply(json: JSONWriter.data(pod))
            let stored = try await wire.get("/api/v1/namespaces/default/pods/seeded")
            #expect(stored.json["status"]?["phase"] == "Running")
            await #expect(throws: KubeTestServerError.self) {
                try await server.apply(json: Data(#"{"apiVersion":"v9","kind":"Nope","metadata":{"name":"x"}}"#.utf8))
            }
        }
    }
}
