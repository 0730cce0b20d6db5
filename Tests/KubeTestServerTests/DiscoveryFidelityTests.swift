import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// Discovery documents against what kube-apiserver v1.36 answers (values from
/// `../shared/fixtures/apiserver-v1.36`, exchanges 003-005).
@Suite(.timeLimit(.minutes(1)))
struct DiscoveryFidelityTests {
    @Test func resourceListsCarryStorageHashesOnlyForStoredResources() async throws {
        try await withServer { _, wire in
            let core = try await wire.get("/api/v1").json
            // The core group's list has no apiVersion; named groups' lists do.
            #expect(core["apiVersion"] == nil)
            #expect(core["kind"] == "APIResourceList")
            let resources = core["resources"]?.arrayValue ?? []
            func entry(_ name: String, in list: [JSONValue]) -> JSONValue? { list.first { $0["name"]?.stringValue == name } }
            #expect(entry("configmaps", in: resources)?["storageVersionHash"] == "qFsyl6wFWjQ=")
            #expect(entry("bindings", in: resources)?["storageVersionHash"] == nil)
            #expect(entry("componentstatuses", in: resources)?["storageVersionHash"] == nil)
            #expect(entry("componentstatuses", in: resources)?["verbs"] == ["get", "list"])
            #expect(entry("pods/status", in: resources)?["storageVersionHash"] == nil)

            let apps = try await wire.get("/apis/apps/v1").json
            #expect(apps["apiVersion"] == "v1")
            // Stored elsewhere: events.k8s.io Events as core v1 Events, CRDs as v1beta1.
            let events = try await wire.get("/apis/events.k8s.io/v1").json["resources"]?.arrayValue ?? []
            #expect(entry("events", in: events)?["storageVersionHash"] == "r2yiGXH7wu8=")
            let crds = try await wire.get("/apis/apiextensions.k8s.io/v1").json["resources"]?.arrayValue ?? []
            #expect(entry("customresourcedefinitions", in: crds)?["storageVersionHash"] == "jfWCUB31mvA=")
            let reviews = try await wire.get("/apis/authorization.k8s.io/v1").json["resources"]?.arrayValue ?? []
            #expect(!reviews.isEmpty)
            #expect(reviews.allSatisfy { $0["storageVersionHash"] == nil })
        }
    }
}
