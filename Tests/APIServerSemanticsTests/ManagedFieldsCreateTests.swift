import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

/// The `Update` entry a create records, as kube's field manager computes it: the object is
/// compared with the Go zero value of its type, so nodes a zero object has (value structs,
/// fields without `omitempty`) carry no `"."` of their own and added ones do; atomic
/// objects and maps are one field.
@Suite("managedFields of a create", .timeLimit(.minutes(1)))
struct ManagedFieldsCreateTests {
    static let meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    static let schema = PatchSchema(
        types: [
            "Root": [
                "metadata": FieldSchema(shape: .object(type: meta), inZeroValue: true),
                "spec": FieldSchema(shape: .object(type: "Spec"), inZeroValue: true),
            ],
            meta: ["labels": FieldSchema(shape: .map(element: nil))],
            "Spec": [
                "selector": FieldSchema(shape: .object(type: "Selector"), atomic: true, inZeroValue: true),
                "nodeSelector": FieldSchema(shape: .map(element: nil), atomic: true),
                "strategy": FieldSchema(shape: .object(type: "Strategy"), inZeroValue: true),
                "containers": FieldSchema(shape: .list(element: "Container"), listType: "map", listMapKeys: ["name"], inZeroValue: true),
                "volumes": FieldSchema(shape: .list(element: "Volume"), listType: "map", listMapKeys: ["name"]),
                "template": FieldSchema(shape: .object(type: "Template"), inZeroValue: true),
                "podSelector": FieldSchema(shape: .object(type: "Selector"), atomic: true, inZeroValue: true),
            ],
            "Selector": ["matchLabels": FieldSchema(shape: .map(element: nil))],
            "Strategy": ["rollingUpdate": FieldSchema(shape: .object(type: "RollingUpdate"))],
            "Template": ["metadata": FieldSchema(shape: .object(type: meta), inZeroValue: true)],
            "Container": ["resources": FieldSchema(shape: .object(type: "Resources"), inZeroValue: true)],
            "Resources": ["limits": FieldSchema(shape: .map(element: nil))],
        ],
        kinds: [GroupVersionKind(group: "example.com", version: "v1", kind: "Root"): "Root"])

    @Test func addedNodesAreOwnedAndZeroValueNodesAreNot() {
        let object = json(#"""
            {"apiVersion":"example.com/v1","kind":"Root","metadata":{"name":"r","labels":{"a":"1"}},
             "spec":{"selector":{"matchLabels":{"a":"1"}},"nodeSelector":{"zone":"x"},
              "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
              "containers":[{"name":"c","resources":{"limits":{"cpu":"1"}}},{"name":"d","resources":{}}],
              "volumes":[{"name":"v","emptyDir":{}}],"template":{"metadata":{}},"podSelector":{},"paused":false}}
            """#)
        let created = ServerSideApply.recordUpdate(
            old: nil, new: object, fieldManager: "creator", time: Date(timeIntervalSince1970: 0), schema: Self.schema)
        let fields = created["metadata"]?["managedFields"]?.arrayValue?.first?["fieldsV1"]
        #expect(fields == json(#"""
            {"f:metadata":{"f:labels":{".":{},"f:a":{}}},
             "f:spec":{"f:selector":{},"f:nodeSelector":{},
              "f:strategy":{"f:type":{},"f:rollingUpdate":{".":{},"f:maxSurge":{}}},
              "f:containers":{
                "k:{\"name\":\"c\"}":{".":{},"f:name":{},"f:resources":{".":{},"f:limits":{".":{},"f:cpu":{}}}},
                "k:{\"name\":\"d\"}":{".":{},"f:name":{},"f:resources":{}}},
              "f:volumes":{".":{},"k:{\"name\":\"v\"}":{".":{},"f:emptyDir":{},"f:name":{}}},
              "f:paused":{}}}
            """#))
    }

    @Test func anUpdateOwnsOnlyWhatItAddsOrChanges() {
        let object = json(#"""
            {"apiVersion":"example.com/v1","kind":"Root","metadata":{"name":"r"},
             "spec":{"selector":{"matchLabels":{"a":"1"}},"containers":[{"name":"c"}]}}
            """#)
        let created = ServerSideApply.recordUpdate(
            old: nil, new: object, fieldManager: "creator", time: Date(timeIntervalSince1970: 0), schema: Self.schema)
        var edited = created
        edited["spec"]?["selector"] = json(#"{"matchLabels":{"a":"2"}}"#)
        edited["spec"]?["volumes"] = json(#"[{"name":"v"}]"#)
        let updated = ServerSideApply.recordUpdate(
            old: created, new: edited, fieldManager: "editor", time: Date(timeIntervalSince1970: 60), schema: Self.schema)
        let entries = updated["metadata"]?["managedFields"]?.arrayValue ?? []
        #expect(entries.map { $0["manager"] } == ["creator", "editor"])
        // The atomic selector moves as a whole; the added list is a node of the editor's.
        #expect(entries.first?["fieldsV1"] == json(#"{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:name":{}}}}}"#))
        #expect(entries.last?["fieldsV1"] == json(#"{"f:spec":{"f:selector":{},"f:volumes":{".":{},"k:{\"name\":\"v\"}":{".":{},"f:name":{}}}}}"#))
    }
}
