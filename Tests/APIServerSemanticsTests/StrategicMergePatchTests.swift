import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("Strategic merge patch", .timeLimit(.minutes(3)))
struct StrategicMergePatchTests {
    func pod(_ patch: String, _ live: String) throws -> JSONValue {
        try StrategicMergePatch.apply(json(patch), to: json(live), kind: podKind, schema: testSchema)
    }

    let live = #"""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"web","tier":"fe"},"finalizers":["a","b"]},
         "spec":{"containers":[
            {"name":"web","image":"nginx:1","ports":[{"containerPort":80},{"containerPort":443}],
             "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],"args":["x","y"]},
            {"name":"sidecar","image":"envoy"}],
          "tolerations":[{"key":"k1","operator":"Exists"},{"key":"k2","operator":"Exists"}],
          "volumes":[{"name":"data","emptyDir":{}}]}}
        """#

    @Test func containersMergeByName() throws {
        let result = try pod(#"{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}"#, live)
        let containers = result["spec"]?["containers"]?.arrayValue ?? []
        #expect(containers.count == 2)
        #expect(containers[0]["image"] == "nginx:2")
        #expect(containers[0]["ports"]?.arrayValue?.count == 2)
        #expect(containers[1] == json(#"{"name":"sidecar","image":"envoy"}"#))
    }

    @Test func newItemsAreAppendedAndNestedListsMerge() throws {
        let result = try pod(#"""
            {"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080,"name":"alt"},{"containerPort":80,"name":"http"}],
              "env":[{"name":"B","value":null,"valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]},
              {"name":"new","image":"busybox","env":[{"name":"X","value":null}]}]}}
            """#, live)
        let web = result["spec"]?["containers"]?.arrayValue?[0]
        // kube's order (recorded in 067): patched items in patch order, each server-only item
        // before the first patched item that does not come before it in the live list.
        #expect(web?["ports"] == json(#"[{"containerPort":8080,"name":"alt"},{"containerPort":80,"name":"http"},{"containerPort":443}]"#))
        #expect(web?["env"] == json(#"[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}]"#))
        #expect(web?["args"] == json(#"["x","y"]"#))
        // A new item's nulls are dropped, like kube's IgnoreUnmatchedNulls.
        #expect(result["spec"]?["containers"]?.arrayValue?.map { $0["name"] } == ["web", "new", "sidecar"])
        #expect(result["spec"]?["containers"]?.arrayValue?[1] == json(#"{"name":"new","image":"busybox","env":[{"name":"X"}]}"#))
    }

    @Test func deleteAndReplaceDirectivesInLists() throws {
        let deleted = try pod(#"{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}"#, live)
        #expect(deleted["spec"]?["containers"]?.arrayValue?.map { $0["name"] } == ["web"])
        let replaced = try pod(#"{"spec":{"containers":[{"name":"only","image":"i"},{"$patch":"replace"}]}}"#, live)
        #expect(replaced["spec"]?["containers"] == json(#"[{"name":"only","image":"i"}]"#))
        #expect(throws: PatchError.unprocessable) {
            try pod(#"{"spec":{"containers":[{"name":"web","$patch":"merge"}]}}"#, live)
        }
        #expect(throws: PatchError.missingMergeKey) {
            try pod(#"{"spec":{"containers":[{"$patch":"delete"}]}}"#, live)
        }
        #expect(throws: PatchError.missingMergeKey) {
            try pod(#"{"spec":{"containers":[{"image":"no-name"}]}}"#, live)
        }
        #expect(throws: PatchError.unknownDirective) {
            try pod(#"{"spec":{"containers":[{"name":"web","$patch":"explode"}]}}"#, live)
        }
        do {
            _ = try pod(#"{"spec":{"containers":[{"name":"web","$patch":"explode"}]}}"#, live)
        } catch let error as PatchError {
            #expect(error.message == "unknown patch type: explode in map: map[$patch:explode name:web]")
            #expect(error.status.code == 500)
            #expect(error.status.reason == nil)
        }
    }

    @Test func listsWithoutStrategyAreReplaced() throws {
        let result = try pod(#"{"spec":{"tolerations":[{"key":"k3","operator":"Exists"}],"containers":[{"name":"web","args":["z"]}]}}"#, live)
        #expect(result["spec"]?["tolerations"] == json(#"[{"key":"k3","operator":"Exists"}]"#))
        #expect(result["spec"]?["containers"]?.arrayValue?[0]["args"] == json(#"["z"]"#))
        // An empty list with the merge strategy changes nothing (kube does the same).
        #expect(try pod(#"{"spec":{"containers":[]}}"#, live) == json(live))
    }

    @Test func primitiveListsUnionAndDelete() throws {
        let union = try pod(#"{"metadata":{"finalizers":["c","a"]}}"#, live)
        // kube orders the result: patched items in the patch's order, server-only ones by their live order.
        #expect(union["metadata"]?["finalizers"] == json(#"["c","a","b"]"#))
        let removed = try pod(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","zzz"]}}"#, live)
        #expect(removed["metadata"]?["finalizers"] == json(#"["b"]"#))
        #expect(throws: PatchError.badDirective) {
            try pod(#"{"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}}"#, live)
        }
    }

    @Test func setElementOrder() throws {
        let result = try pod(#"""
            {"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}],"containers":[{"name":"web","image":"nginx:3"}]},
             "metadata":{"$setElementOrder/finalizers":["b","c","a"],"finalizers":["c"]}}
            """#, live)
        #expect(result["spec"]?["containers"]?.arrayValue?.map { $0["name"] } == ["sidecar", "web"])
        #expect(result["spec"]?["containers"]?.arrayValue?[1]["image"] == "nginx:3")
        #expect(result["metadata"]?["finalizers"] == json(#"["b","c","a"]"#))
        #expect(throws: PatchError.missingMergeKey) {
            try pod(#"{"spec":{"$setElementOrder/containers":[{"image":"x"}]}}"#, live)
        }
    }

    @Test func retainKeysOnDeploymentStrategy() throws {
        // The example from kube's documentation: switching to Recreate drops rollingUpdate.
        let deployment = json(#"{"spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}}"#)
        let result = try StrategicMergePatch.apply(
            json(#"{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}"#), to: deployment,
            kind: deploymentKind, schema: testSchema)
        #expect(result == json(#"{"spec":{"replicas":1,"strategy":{"type":"Recreate"}}}"#))
        // Volumes (merge,retainKeys): switching the source of one volume.
        let volumes = try pod(#"{"spec":{"volumes":[{"name":"data","$retainKeys":["name","configMap"],"configMap":{"name":"cm"}}]}}"#, live)
        #expect(volumes["spec"]?["volumes"] == json(#"[{"name":"data","configMap":{"name":"cm"}}]"#))
        #expect(throws: PatchError.badDirective) {
            try pod(#"{"spec":{"volumes":[{"name":"data","$retainKeys":"name"}]}}"#, live)
        }
    }

    @Test func mapsMergeAndNullDeletes() throws {
        let result = try pod(#"{"metadata":{"labels":{"tier":null,"new":"x","gone":null},"annotations":{"a":"b"}}}"#, live)
        #expect(result["metadata"]?["labels"] == json(#"{"app":"web","new":"x"}"#))
        #expect(result["metadata"]?["annotations"] == json(#"{"a":"b"}"#))
        let replaced = try pod(#"{"metadata":{"labels":{"$patch":"replace","only":"one"}}}"#, live)
        #expect(replaced["metadata"]?["labels"] == json(#"{"only":"one"}"#))
        let emptied = try pod(#"{"spec":{"$patch":"delete"}}"#, live)
        #expect(emptied["spec"] == json("{}"))
        #expect(throws: PatchError.unknownDirective) { try pod(#"{"metadata":{"$patch":"merge"}}"#, live) }
    }

    @Test func customResourcesAreRejectedAndSchemaFreeMergeLikeMergePatch() throws {
        let widget = GroupVersionKind(group: "example.com", version: "v1", kind: "Widget")
        do {
            _ = try StrategicMergePatch.apply(json("{}"), to: json("{}"), kind: widget, schema: testSchema)
            Issue.record("expected a failure")
        } catch {
            #expect(error == .unsupportedForCustomResources)
            #expect(error.httpStatus == 415)
            #expect(error.reason == "UnsupportedMediaType")
        }
        let doc = json(#"{"spec":{"items":[{"name":"a"}],"size":1,"keep":true}}"#)
        let patch = json(#"{"spec":{"items":[{"name":"b"}],"size":null}}"#)
        #expect(try StrategicMergePatch.apply(patch, to: doc, rootType: nil, schema: testSchema)
            == MergePatch.apply(patch, to: doc))
    }

    @Test func malformedPatch() {
        #expect(throws: PatchError.malformedPatch) { try pod("[]", live) }
        #expect(throws: PatchError.malformedPatch) {
            try StrategicMergePatch.apply(Data("{".utf8), to: json("{}"), kind: podKind, schema: testSchema)
        }
        #expect(throws: PatchError.unprocessable) {
            try pod(#"{"metadata":{"finalizers":[["a"]]}}"#, live)
        }
        #expect(throws: PatchError.unprocessable) {
            try pod(#"{"metadata":{"finalizers":[{"a":1}]}}"#, live)
        }
        // A list of objects with merge strategy but no merge key in the schema.
        let schema = PatchSchema(
            types: ["T": ["items": FieldSchema(shape: .list(element: "I"), patchStrategy: "merge")]], kinds: [:])
        #expect(throws: PatchError.unprocessable) {
            try StrategicMergePatch.apply(json(#"{"items":[{"a":1}]}"#), to: json(#"{"items":[{"a":2}]}"#), rootType: "T", schema: schema)
        }
    }
}
