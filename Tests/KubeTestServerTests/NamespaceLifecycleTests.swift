import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Namespace deletion and NamespaceLifecycle admission as the recorded kube-apiserver v1.36
/// answers them (exchange 033), over TLS: without controllers a deleted namespace stays
/// `Terminating` and refuses new content; with `emulatesControllers` the namespace controller
/// empties it and it goes.
@Suite("Namespace lifecycle: Terminating, NamespaceLifecycle admission", .timeLimit(.minutes(2)))
struct NamespaceLifecycleTests {
    let namespace: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "doomed"]]
    let configMaps = "/api/v1/namespaces/doomed/configmaps"

    @Test func deletedNamespaceStaysTerminatingAndRefusesNewContent() async throws {
        try await withServer({ $0.emulatesControllers = false }) { _, wire in
            let created = try await wire.post("/api/v1/namespaces", namespace)
            #expect(created.status == 201)
            #expect(created.json["spec"]?["finalizers"] == ["kubernetes"])
            #expect(try await wire.post(configMaps, configMap("before", namespace: "doomed")).status == 201)

            let deleted = try await wire.delete("/api/v1/namespaces/doomed")
            #expect(deleted.status == 200)
            #expect(deleted.json["kind"] == "Namespace")
            #expect(deleted.json["status"] == ["phase": "Terminating"])
            #expect(deleted.json["spec"]?["finalizers"] == ["kubernetes"])
            #expect(deleted.json["metadata"]?["deletionTimestamp"]?.stringValue.flatMap(RFC3339.parse) != nil)
            #expect(deleted.json["metadata"]?["deletionGracePeriodSeconds"] == nil)
            #expect(deleted.json["metadata"]?["managedFields"] == created.json["metadata"]?["managedFields"])
            let createdRV = Int(created.json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
            let deletedRV = Int(deleted.json["metadata"]?["resourceVersion"]?.stringValue ?? "") ?? 0
            #expect(deletedRV > createdRV)

            let read = try await wire.get("/api/v1/namespaces/doomed")
            #expect(read.status == 200)
            #expect(read.json == deleted.json)

            // NamespaceLifecycle: no new content, with kube's message and cause.
            let refused = try await wire.post(configMaps, configMap("after", namespace: "doomed"))
            #expect(refused.status == 403)
            let status = try #require(refused.statusObject)
            #expect(status.reason == "Forbidden")
            #expect(status.message == "configmaps \"after\" is forbidden: unable to create new content in namespace doomed because it is being terminated")
            #expect(status.details?.name == "after")
            #expect(status.details?.kind == "configmaps")
            #expect(status.details?.causes == [
                StatusCause(reason: "NamespaceTerminating", message: "namespace doomed is being terminated", field: "metadata.namespace")
            ])

            // Existing content can still change; a second DELETE answers the namespace unchanged.
            let patched = try await wire.request(
                .PATCH, configMaps + "/before", body: JSONWriter.data(["data": ["a": "2"]]), contentType: "application/merge-patch+json")
            #expect(patched.status == 200)
            let again = try await wire.delete("/api/v1/namespaces/doomed")
            #expect(again.status == 200)
            #expect(again.json == deleted.json)
        }
    }

    @Test func emulatedNamespaceControllerEmptiesAndRemovesTheNamespace() async throws {
        try await withServer { _, wire in
            #expect(try await wire.post("/api/v1/namespaces", namespace).status == 201)
            #expect(try await wire.post(configMaps, configMap("content", namespace: "doomed")).status == 201)
            let deleted = try await wire.delete("/api/v1/namespaces/doomed")
            #expect(deleted.status == 200)
            #expect(deleted.json["status"]?["phase"] == "Terminating")
            #expect(try await wire.get("/api/v1/namespaces/doomed").status == 404)
            #expect(try await wire.get(configMaps + "/content").status == 404)
            // Gone, not Terminating: a create is refused as for any missing namespace.
            #expect(try await wire.post(configMaps, configMap("after", namespace: "doomed")).status == 404)
        }
    }

    @Test func immortalNamespacesCannotBeDeleted() async throws {
        try await withServer { _, wire in
            let refused = try await wire.delete("/api/v1/namespaces/default")
            #expect(refused.status == 403)
            #expect(refused.statusObject?.message == "namespaces \"default\" is forbidden: this namespace may not be deleted")
            #expect(try await wire.get("/api/v1/namespaces/default").status == 200)
        }
    }
}
