import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Custom resource versions as recorded from kube-apiserver v1.36 (exchanges 110, 111, 112,
/// 114, 121): deprecation warnings, selectable fields, the scale selector, protobuf refusal
/// and CRD deletion, over TLS.
@Suite("Custom resources: versions, selectors, scale, protobuf, CRD deletion", .timeLimit(.minutes(3)))
struct CustomResourceFidelityTests {
    let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    let widgets = "/apis/fid.example.com/v1/namespaces/default/widgets"

    func crd() -> JSONValue {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "spec": ["type": "object", "properties": ["size": ["type": "string"], "replicas": ["type": "integer"]]],
                "status": ["type": "object", "properties": ["replicas": ["type": "integer"], "selector": ["type": "string"]]],
            ],
        ]
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.fid.example.com"],
            "spec": [
                "group": "fid.example.com", "scope": "Namespaced", "names": ["plural": "widgets", "kind": "Widget"],
                "versions": [
                    ["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": schema],
                     "selectableFields": [["jsonPath": ".spec.size"]],
                     "subresources": ["status": [:], "scale": ["specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                                                               "labelSelectorPath": ".status.selector"]]],
                    ["name": "v1alpha1", "served": true, "storage": false, "deprecated": true, "schema": ["openAPIV3Schema": schema],
                     "selectableFields": [["jsonPath": ".spec.size"]]],
                    ["name": "v1beta1", "served": true, "storage": false, "deprecated": true, "deprecationWarning": "going away",
                     "schema": ["openAPIV3Schema": schema], "selectableFields": [["jsonPath": ".spec.size"]]],
                ],
            ],
        ]
    }

    func withWidgets(_ body: (Wire) async throws -> Void) async throws {
        try await withServer({ $0.emulatesControllers = false }) { _, wire in
            #expect(try await wire.post(crds, crd()).status == 201)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await wire.get(widgets).status != 200 {
                guard ContinuousClock.now < deadline else { Issue.record("widgets never served"); return }
                try await Task.sleep(for: .milliseconds(20))
            }
            for (name, size) in [("a", "small"), ("b", "large")] {
                let widget: JSONValue = ["apiVersion": "fid.example.com/v1", "kind": "Widget", "metadata": ["name": .string(name)],
                                         "spec": ["size": .string(size), "replicas": 1]]
                #expect(try await wire.post(widgets, widget).status == 201)
            }
            try await body(wire)
        }
    }

    @Test func deprecatedVersionsWarn() async throws {
        try await withWidgets { wire in
            let explicit = try await wire.get("/apis/fid.example.com/v1beta1/namespaces/default/widgets/a")
            #expect(explicit.status == 200)
            #expect(explicit.headers["Warning"] == [#"299 - "going away""#])
            let defaulted = try await wire.get("/apis/fid.example.com/v1alpha1/namespaces/default/widgets/a")
            #expect(defaulted.headers["Warning"] == [#"299 - "fid.example.com/v1alpha1 Widget is deprecated; use fid.example.com/v1 Widget""#])
            #expect(try await wire.get(widgets + "/a").headers["Warning"] == [])
        }
    }

    @Test func selectableFieldsAndScaleSelector() async throws {
        try await withWidgets { wire in
            let large = try await wire.get(widgets + "?fieldSelector=spec.size%3Dlarge")
            #expect(large.status == 200)
            #expect(large.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["b"])
            let unsupported = try await wire.get(widgets + "?fieldSelector=spec.replicas%3D1")
            #expect(unsupported.status == 400)
            #expect(unsupported.statusObject?.message == "field label not supported: spec.replicas")

            let status = try await wire.request(
                .PATCH, widgets + "/a/status", body: Data(#"{"status":{"replicas":2,"selector":"app=a"}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(status.status == 200)
            let scale = try await wire.get(widgets + "/a/scale")
            #expect(scale.json["status"] == ["replicas": 2, "selector": "app=a"])
            let scaled = try await wire.request(
                .PATCH, widgets + "/a/scale", body: Data(#"{"spec":{"replicas":5}}"#.utf8), contentType: "application/merge-patch+json")
            #expect(scaled.json["spec"] == ["replicas": 5])
            let object = try await wire.get(widgets + "/a")
            #expect(object.json["spec"]?["replicas"] == 5)
            let entries = object.json["metadata"]?["managedFields"]?.arrayValue ?? []
            #expect(entries.first?["subresource"] == "scale")
            #expect(entries.first?["time"] == nil)
            #expect(entries.first?["fieldsV1"] == ["f:spec": ["f:replicas": [:]]])
        }
    }

    @Test func protobufAloneIsNotAcceptable() async throws {
        try await withWidgets { wire in
            let refused = try await wire.get(widgets + "/a", headers: [("Accept", "application/vnd.kubernetes.protobuf")])
            #expect(refused.status == 406)
            #expect(refused.headers["Content-Type"] == ["application/vnd.kubernetes.protobuf"])
            #expect(Array(refused.body.prefix(4)) == [0x6B, 0x38, 0x73, 0x00])
            let fallback = try await wire.get(widgets + "/a", headers: [("Accept", "application/vnd.kubernetes.protobuf,application/json")])
            #expect(fallback.status == 200)
            #expect(fallback.json["kind"] == "Widget")
        }
    }

    @Test func crdDeletionTerminatesThenGoes() async throws {
        try await withWidgets { wire in
            let deleted = try await wire.delete(crds + "/widgets.fid.example.com")
            #expect(deleted.status == 200)
            #expect(deleted.json["metadata"]?["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"])
            #expect(deleted.json["metadata"]?["deletionTimestamp"]?.stringValue != nil)
            let terminating = deleted.json["status"]?["conditions"]?.arrayValue?.last
            #expect(terminating?["type"] == "Terminating")
            #expect(terminating?["reason"] == "InstanceDeletionPending")
            #expect(try await wire.get(crds + "/widgets.fid.example.com").status == 404)
            let gone = try await wire.get(widgets)
            #expect(gone.status == 404)
            #expect(gone.text == "404 page not found\n")
        }
    }
}
