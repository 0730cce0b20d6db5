import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("Server-side apply and managedFields", .timeLimit(.minutes(5)))
struct ServerSideApplyTests {
    let t0 = Date(timeIntervalSince1970: 1_704_067_200)  // 2024-01-01T00:00:00Z
    let t1 = Date(timeIntervalSince1970: 1_704_067_260)

    let deployment = json(#"""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"ns","labels":{"app":"web"}},
         "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1","ports":[{"containerPort":80}]}]}}}}
        """#)

    func entries(_ object: JSONValue) -> [JSONValue] { object["metadata"]?["managedFields"]?.arrayValue ?? [] }

    @Test func applyOnCreateRecordsFieldsV1() throws {
        let result = try ServerSideApply.apply(
            live: nil, applied: deployment, fieldManager: "kubectl", force: false, time: t0, schema: testSchema)
        #expect(result["spec"] == deployment["spec"])
        let managed = entries(result)
        #expect(managed.count == 1)
        #expect(managed[0]["manager"] == "kubectl")
        #expect(managed[0]["operation"] == "Apply")
        #expect(managed[0]["apiVersion"] == "apps/v1")
        #expect(managed[0]["time"] == "2024-01-01T00:00:00Z")
        #expect(managed[0]["fieldsType"] == "FieldsV1")
        #expect(managed[0]["fieldsV1"] == json(#"""
            {"f:metadata":{"f:labels":{"f:app":{}}},
             "f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{
               ".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80}":{".":{},"f:containerPort":{}}}}}}}}}
            """#))
    }

    @Test func conflictWithAnUpdateManager() throws {
        let created = ServerSideApply.recordUpdate(
            old: nil, new: deployment, fieldManager: "kubectl-client-side-apply", time: t0, schema: testSchema)
        var applied = deployment
        applied["spec"]?["replicas"] = 3
        do {
            _ = try ServerSideApply.apply(
                live: created, applied: applied, fieldManager: "kubectl", force: false, time: t1, schema: testSchema)
            Issue.record("expected a conflict")
        } catch {
            #expect(error == .conflict)
            #expect(error.httpStatus == 409)
            #expect(error.message
                == #"Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas"#)
            #expect(error.status.details?.causes == [StatusCause(
                reason: "FieldManagerConflict",
                message: #"conflict with "kubectl-client-side-apply" using apps/v1"#,
                field: ".spec.replicas")])
        }
        // The same values: no conflict, ownership shared.
        let shared = try ServerSideApply.apply(
            live: created, applied: deployment, fieldManager: "kubectl", force: false, time: t1, schema: testSchema)
        let managed = entries(shared)
        #expect(managed.map { $0["manager"] } == ["kubectl", "kubectl-client-side-apply"])
        #expect(managed[1]["fieldsV1"]?["f:spec"]?["f:replicas"] == json("{}"))
        #expect(managed[0]["fieldsV1"]?["f:spec"]?["f:replicas"] == json("{}"))
        // Nothing changed: kube records no time for the new Apply entry.
        #expect(managed[0]["time"] == nil)
    }

    @Test func forceMovesOwnership() throws {
        let first = try ServerSideApply.apply(
            live: nil, applied: deployment, fieldManager: "alice", force: false, time: t0, schema: testSchema)
        var applied = json(#"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":5,"template":{"spec":{"containers":[{"name":"web","image":"nginx:2"}]}}}}"#)
        do {
            _ = try ServerSideApply.apply(
                live: first, applied: applied, fieldManager: "bob", force: false, time: t1, schema: testSchema)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.conflicts.count == 2)
            #expect(error.message == """
                Apply failed with 2 conflicts: conflicts with "alice":
                - .spec.replicas
                - .spec.template.spec.containers[name="web"].image
                """)
        }
        let forced = try ServerSideApply.apply(
            live: first, applied: applied, fieldManager: "bob", force: true, time: t1, schema: testSchema)
        #expect(forced["spec"]?["replicas"] == 5)
        #expect(forced["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?[0]["image"] == "nginx:2")
        let alice = entries(forced).first { $0["manager"] == "alice" }
        #expect(alice?["fieldsV1"]?["f:spec"]?["f:replicas"] == nil)
        #expect(alice?["fieldsV1"]?["f:metadata"] != nil)
        // Alice now re-applies her old config without force: conflict with bob's Apply entry.
        applied = deployment
        #expect(throws: ApplyError.conflict) {
            try ServerSideApply.apply(live: forced, applied: applied, fieldManager: "alice", force: false, time: t1, schema: testSchema)
        }
    }

    @Test func omittedFieldsAreRemovedUnlessOwnedByOthers() throws {
        let config = json(#"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1","b":"2"}},
             "spec":{"containers":[{"name":"web","image":"i"},{"name":"sidecar","image":"s"}]}}
            """#)
        let first = try ServerSideApply.apply(
            live: nil, applied: config, fieldManager: "me", force: false, time: t0, schema: testSchema)
        let smaller = json(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}},"spec":{"containers":[{"name":"web","image":"i"}]}}"#)
        let second = try ServerSideApply.apply(
            live: first, applied: smaller, fieldManager: "me", force: false, time: t1, schema: testSchema)
        #expect(second["metadata"]?["labels"] == json(#"{"a":"1"}"#))
        #expect(second["spec"]?["containers"] == json(#"[{"name":"web","image":"i"}]"#))

        // Another manager also owns label b and the sidecar's image: both stay.
        let other = json(#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"b":"2"}},"spec":{"containers":[{"name":"sidecar","image":"s"}]}}"#)
        let shared = try ServerSideApply.apply(
            live: first, applied: other, fieldManager: "other", force: false, time: t1, schema: testSchema)
        let third = try ServerSideApply.apply(
            live: shared, applied: smaller, fieldManager: "me", force: false, time: t1, schema: testSchema)
        #expect(third["metadata"]?["labels"] == json(#"{"a":"1","b":"2"}"#))
        #expect(third["spec"]?["containers"]?.arrayValue?.count == 2)
    }

    @Test func updatesTakeOwnership() throws {
        let applied = try ServerSideApply.apply(
            live: nil, applied: deployment, fieldManager: "kubectl", force: false, time: t0, schema: testSchema)
        var scaled = applied
        scaled["spec"]?["replicas"] = 7
        let afterUpdate = ServerSideApply.recordUpdate(
            old: applied, new: scaled, fieldManager: "hpa", time: t1, schema: testSchema)
        let managed = entries(afterUpdate)
        #expect(managed.map { $0["manager"] } == ["kubectl", "hpa"])
        #expect(managed[0]["fieldsV1"]?["f:spec"]?["f:replicas"] == nil)
        #expect(managed[1] == json(#"""
            {"manager":"hpa","operation":"Update","apiVersion":"apps/v1","time":"2024-01-01T00:01:00Z",
             "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}
            """#))
        // Re-applying replicas: 2 now conflicts with the hpa.
        do {
            _ = try ServerSideApply.apply(
                live: afterUpdate, applied: deployment, fieldManager: "kubectl", force: false, time: t1, schema: testSchema)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.conflicts == [ApplyConflict(
                manager: #""hpa" using apps/v1"#, field: ".spec.replicas")])
        }
        // A no-op update adds no entry.
        let same = ServerSideApply.recordUpdate(old: afterUpdate, new: afterUpdate, fieldManager: "noop", time: t1, schema: testSchema)
        #expect(entries(same).count == 2)
        // `[{}]` clears managedFields; `[]` keeps the old ones.
        var cleared = afterUpdate
        cleared["metadata"]?["managedFields"] = json("[{}]")
        #expect(ServerSideApply.recordUpdate(old: afterUpdate, new: cleared, fieldManager: "x", time: t1, schema: testSchema)["metadata"]?["managedFields"] == nil)
        var kept = afterUpdate
        kept["metadata"]?["managedFields"] = json("[]")
        #expect(entries(ServerSideApply.recordUpdate(old: afterUpdate, new: kept, fieldManager: "x", time: t1, schema: testSchema)).count == 2)
    }

    @Test func removedFieldsLeaveEveryManager() {
        let created = ServerSideApply.recordUpdate(old: nil, new: deployment, fieldManager: "creator", time: t0, schema: testSchema)
        #expect(entries(created).count == 1)
        #expect(entries(created)[0]["operation"] == "Update")
        var edited = created
        edited["metadata"]?["labels"] = nil
        let result = ServerSideApply.recordUpdate(old: created, new: edited, fieldManager: "editor", time: t1, schema: testSchema)
        let managed = entries(result)
        #expect(managed.count == 1)  // the editor changed nothing it can own, it only removed
        #expect(managed[0]["fieldsV1"]?["f:metadata"] == nil)
    }

    @Test func objectsWithoutManagedFieldsBelongToBeforeFirstApply() throws {
        var live = deployment
        live["spec"]?["replicas"] = 1
        var applied = deployment
        applied["spec"]?["replicas"] = 3
        do {
            _ = try ServerSideApply.apply(live: live, applied: applied, fieldManager: "kubectl", force: false, time: t1, schema: testSchema)
            Issue.record("expected a conflict")
        } catch {
            #expect(error.message.hasPrefix(#"Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1"#))
        }
    }

    @Test func badInput() {
        #expect(throws: ApplyError.missingFieldManager) {
            try ServerSideApply.apply(live: nil, applied: deployment, fieldManager: "", force: false, time: t0, schema: testSchema)
        }
        #expect(throws: ApplyError.missingFieldManager) {
            try ServerSideApply.apply(live: nil, applied: deployment, fieldManager: String(repeating: "m", count: 129),
                                      force: false, time: t0, schema: testSchema)
        }
        #expect(throws: ApplyError.badApplyConfiguration) {
            try ServerSideApply.apply(live: nil, applied: json("[]"), fieldManager: "m", force: false, time: t0, schema: testSchema)
        }
        #expect(throws: ApplyError.badApplyConfiguration) {
            try ServerSideApply.apply(live: nil, applied: json(#"{"kind":"Pod"}"#), fieldManager: "m", force: false, time: t0, schema: testSchema)
        }
        var withManaged = deployment
        withManaged["metadata"]?["managedFields"] = json("[]")
        do {
            _ = try ServerSideApply.apply(live: nil, applied: withManaged, fieldManager: "m", force: false, time: t0, schema: testSchema)
            Issue.record("expected a failure")
        } catch {
            #expect(error.message == "metadata.managedFields must be nil")
            #expect(error.httpStatus == 400)
        }
    }

    @Test func defaultFieldManagerFromUserAgent() {
        #expect(ServerSideApply.defaultFieldManager(userAgent: "kubectl/v1.30.0 (linux/amd64) kubernetes/7c48c2b") == "kubectl")
        #expect(ServerSideApply.defaultFieldManager(userAgent: "OpenAPI-Generator/29.0.0/python") == "OpenAPI-Generator")
        #expect(ServerSideApply.defaultFieldManager(userAgent: "a\u{7}b") == "ab")
        #expect(ServerSideApply.defaultFieldManager(userAgent: String(repeating: "x", count: 300)).count == 128)
        #expect(ServerSideApply.defaultFieldManager(userAgent: nil) == "")
    }

    @Test func fieldsV1RoundTrip() {
        let tree = json(#"""
            {"f:metadata":{"f:finalizers":{".":{},"v:\"a\"":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}},"f:args":{}}}
            """#)
        let set = FieldSet(fieldsV1: tree)
        #expect(set.paths.count == 5)
        #expect(set.fieldsV1 == tree)
        #expect(display([.field("spec"), .field("ports"), .key(["containerPort": 80, "protocol": "TCP"]), .field("name")])
            == #".spec.ports[containerPort=80,protocol="TCP"].name"#)
        #expect(display([.field("metadata"), .field("finalizers"), .value("a")]) == #".metadata.finalizers[="a"]"#)
    }

    /// An `Update` manager that creates a map owns the map itself too (`"."`), as kube-apiserver
    /// v1.36 records it (recordings 014, 030, 052); an `Apply` manager owns only the leaves (071).
    @Test func updateManagersOwnTheMapsTheyCreate() throws {
        let configMap = json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","labels":{"a":"b"}},"data":{"x":"1"}}"#)
        let created = ServerSideApply.recordUpdate(old: nil, new: configMap, fieldManager: "golden-recorder", time: t0, schema: testSchema)
        #expect(entries(created).first?["fieldsV1"] == json(#"{"f:data":{".":{},"f:x":{}},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}"#))
        var more = created
        more["data"]?["y"] = "2"
        let updated = ServerSideApply.recordUpdate(old: created, new: more, fieldManager: "patcher", time: t1, schema: testSchema)
        #expect(entries(updated).last?["fieldsV1"] == json(#"{"f:data":{"f:y":{}}}"#))
        let applied = try ServerSideApply.apply(live: nil, applied: configMap, fieldManager: "alice", force: false, time: t0, schema: testSchema)
        #expect(entries(applied).first?["fieldsV1"] == json(#"{"f:data":{"f:x":{}},"f:metadata":{"f:labels":{"f:a":{}}}}"#))
    }
}

@Suite("Server-side apply at scale", .timeLimit(.minutes(5)))
struct ServerSideApplyScaleTests {
    @Test func largeConfigMapAppliesAndShrinks() throws {
        func configMap(_ keys: Int) -> JSONValue {
            var data: [String: JSONValue] = [:]
            for index in 0..<keys { data["key-\(index)"] = .string("value-\(index)") }
            return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "big", "namespace": "ns"], "data": .object(data)]
        }
        let time = Date(timeIntervalSince1970: 1_704_067_200)
        let clock = ContinuousClock()
        let start = clock.now
        let first = try ServerSideApply.apply(live: nil, applied: configMap(5000), fieldManager: "m", force: false, time: time, schema: testSchema)
        let second = try ServerSideApply.apply(live: first, applied: configMap(2500), fieldManager: "m", force: false, time: time, schema: testSchema)
        let updated = ServerSideApply.recordUpdate(old: second, new: configMap(10), fieldManager: "u", time: time, schema: testSchema)
        let elapsed = clock.now - start
        #expect(second["data"]?.objectValue?.count == 2500)
        #expect(updated["metadata"]?["managedFields"]?.arrayValue?.count == 1)
        #expect(updated["metadata"]?["managedFields"]?.arrayValue?[0]["fieldsV1"]?["f:data"]?.objectValue?.count == 10)
        print("5000-key ConfigMap apply + shrinking apply + update: \(elapsed)")
    }
}
