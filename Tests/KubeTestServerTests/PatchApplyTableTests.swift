import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Patch content types, server-side apply with managedFields, Table output, validation.
@Suite("Patch, apply, managedFields, tables", .timeLimit(.minutes(3)))
struct PatchApplyTableTests {
    static let deployments = "/apis/apps/v1/namespaces/default/deployments"

    func patch(_ wire: Wire, _ path: String, _ body: String, _ contentType: String, query: String = "") async throws -> WireResponse {
        try await wire.request(.PATCH, path + query, body: Data(body.utf8), contentType: contentType)
    }

    @Test func eachPatchTypeOnADeployment() async throws {
        try await withServer { _, wire in
            #expect(try await wire.post(Self.deployments, RBACWireTests.deployment("web")).status == 201)
            let path = Self.deployments + "/web"

            // Strategic merge: containers merge by name.
            let smp = try await patch(wire, path, #"{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:2"}]}}}}"#,
                                      "application/strategic-merge-patch+json")
            #expect(smp.status == 200, "\(smp.text)")
            let containers = smp.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
            #expect(containers.map { $0["name"] } == ["app", "sidecar"])
            #expect(containers.map { $0["image"] } == ["app:2", "sidecar:1"])
            #expect(smp.json["metadata"]?["generation"] == 2)

            // JSON merge patch replaces the list.
            let merge = try await patch(wire, path, #"{"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"only","image":"x:1"}]}}}}"#,
                                        "application/merge-patch+json")
            #expect(merge.json["spec"]?["replicas"] == 3)
            #expect(merge.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.count == 1)

            // JSON Patch, with a test op; a failing test is 422.
            let json = try await patch(wire, path, #"[{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":5}]"#,
                                       "application/json-patch+json")
            #expect(json.json["spec"]?["replicas"] == 5)
            let failed = try await patch(wire, path, #"[{"op":"test","path":"/spec/replicas","value":3}]"#, "application/json-patch+json")
            #expect(failed.status == 422)
            let malformed = try await patch(wire, path, "{", "application/json-patch+json")
            #expect(malformed.status == 400)

            // Unknown content type: the router's 415, as recorded (029-unsupported-media-type).
            let unknown = try await patch(wire, path, "{}", "text/plain")
            #expect(unknown.status == 415)
            #expect(unknown.statusObject?.message == "415: Unsupported Media Type")
            // force is for apply only; 404 for a missing object.
            #expect(try await patch(wire, path, "{}", "application/merge-patch+json", query: "?force=true").status == 422)
            #expect(try await patch(wire, Self.deployments + "/nope", "{}", "application/merge-patch+json").status == 404)
        }
    }

    @Test func strategicMergeIsRefusedForCustomResources() async throws {
        try await withServer { _, wire in
            let crd: JSONValue = [
                "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "widgets.example.com"],
                "spec": [
                    "group": "example.com", "scope": "Namespaced",
                    "names": ["plural": "widgets", "singular": "widget", "kind": "Widget"],
                    "versions": [[
                        "name": "v1", "served": true, "storage": true,
                        "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                        "additionalPrinterColumns": [["name": "Size", "type": "integer", "jsonPath": ".spec.size"]],
                    ]],
                ],
            ]
            #expect(try await wire.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201)
            let widgets = "/apis/example.com/v1/namespaces/default/widgets"
            let widget: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w"], "spec": ["size": 3]]
            #expect(try await wire.post(widgets, widget).status == 201)
            let smp = try await patch(wire, widgets + "/w", #"{"spec":{"size":4}}"#, "application/strategic-merge-patch+json")
            #expect(smp.status == 415)
            #expect(smp.statusObject?.message == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            #expect(try await patch(wire, widgets + "/w", #"{"spec":{"size":4}}"#, "application/merge-patch+json").json["spec"]?["size"] == 4)

            // The CRD's printer columns in the Table.
            let table = try await wire.get(widgets, headers: [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")])
            #expect(table.json["columnDefinitions"]?.arrayValue?.map { $0["name"] } == ["Name", "Size"])
            #expect(table.json["rows"]?[0]?["cells"] == ["w", 4])
        }
    }

    @Test func serverSideApplyConflictsThenForce() async throws {
        try await withServer { _, wire in
            let path = Self.deployments + "/web"
            let applyA = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                spec:
                  replicas: 2
                  selector:
                    matchLabels: {app: web}
                  template:
                    metadata:
                      labels: {app: web}
                    spec:
                      containers:
                      - name: app
                        image: app:1
                """
            // Apply creates (201) and records an Apply entry.
            let created = try await patch(wire, path, applyA, "application/apply-patch+yaml", query: "?fieldManager=alice")
            #expect(created.status == 201, "\(created.text)")
            let managed = created.json["metadata"]?["managedFields"]?.arrayValue ?? []
            #expect(managed.count == 1)
            #expect(managed.first?["manager"] == "alice")
            #expect(managed.first?["operation"] == "Apply")
            #expect(managed.first?["fieldsV1"]?["f:spec"]?["f:replicas"] == [:])
            #expect(created.json["spec"]?["replicas"] == 2)

            // Another manager changing replicas conflicts.
            let applyB = #"{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":4}}"#
            let conflict = try await patch(wire, path, applyB, "application/apply-patch+yaml", query: "?fieldManager=bob")
            #expect(conflict.status == 409)
            #expect(conflict.statusObject?.reason == "Conflict")
            #expect(conflict.statusObject?.message == #"Apply failed with 1 conflict: conflict with "alice": .spec.replicas"#)
            #expect(conflict.statusObject?.details?.causes?.first?.field == ".spec.replicas")
            #expect(try await wire.get(path).json["spec"]?["replicas"] == 2)

            // force takes the field.
            let forced = try await patch(wire, path, applyB, "application/apply-patch+yaml", query: "?fieldManager=bob&force=true")
            #expect(forced.status == 200, "\(forced.text)")
            #expect(forced.json["spec"]?["replicas"] == 4)
            let entries = forced.json["metadata"]?["managedFields"]?.arrayValue ?? []
            let alice = entries.first { $0["manager"] == "alice" }
            let bob = entries.first { $0["manager"] == "bob" }
            #expect(alice?["fieldsV1"]?["f:spec"]?["f:replicas"] == nil)
            #expect(alice?["fieldsV1"]?["f:spec"]?["f:template"] != nil)
            #expect(bob?["fieldsV1"]?["f:spec"]?["f:replicas"] == [:])

            // Re-applying the same configuration is a no-op (same resourceVersion).
            let again = try await patch(wire, path, applyB, "application/apply-patch+yaml", query: "?fieldManager=bob")
            #expect(again.status == 200)
            #expect(again.json["metadata"]?["resourceVersion"] == forced.json["metadata"]?["resourceVersion"])

            // fieldManager is required for apply.
            let missing = try await patch(wire, path, applyB, "application/apply-patch+yaml")
            #expect(missing.status == 422)
            #expect(missing.statusObject?.message == #"PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch"#)
            // A body for another kind is refused.
            let wrongKind = try await patch(wire, path, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"web"}}"#,
                                            "application/apply-patch+yaml", query: "?fieldManager=bob")
            #expect(wrongKind.status == 400)
        }
    }

    @Test func ordinaryWritesRecordManagedFields() async throws {
        try await withServer { _, wire in
            let created = try await wire.request(
                .POST, "/api/v1/namespaces/default/configmaps?fieldManager=creator", body: JSONWriter.data(configMap("cm")))
            #expect(created.status == 201)
            let entry = created.json["metadata"]?["managedFields"]?[0]
            #expect(entry?["manager"] == "creator")
            #expect(entry?["operation"] == "Update")
            #expect(entry?["fieldsType"] == "FieldsV1")
            #expect(entry?["fieldsV1"]?["f:data"]?["f:k"] == [:])

            // The user agent names the manager when the request does not.
            let updated = try await wire.request(
                .PUT, "/api/v1/namespaces/default/configmaps/cm", body: JSONWriter.data(configMap("cm", data: ["k": "v", "extra": "1"])),
                headers: [("User-Agent", "kubectl/v1.32.4 (linux/amd64) kubernetes/abc")])
            #expect(updated.status == 200)
            let managers = updated.json["metadata"]?["managedFields"]?.arrayValue?.compactMap { $0["manager"]?.stringValue } ?? []
            #expect(managers.sorted() == ["creator", "kubectl"])

            // An apply of a field another manager set conflicts with that manager (not before-first-apply).
            let apply = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm"},"data":{"k":"other"}}"#
            let conflict = try await patch(wire, "/api/v1/namespaces/default/configmaps/cm", apply, "application/apply-patch+yaml", query: "?fieldManager=ssa")
            #expect(conflict.status == 409)
            #expect(conflict.statusObject?.message?.hasPrefix(#"Apply failed with 1 conflict: conflict with "creator" using v1: "#) == true)
        }
    }

    @Test func validationIsKubes() async throws {
        try await withServer { _, wire in
            let bad = try await wire.post("/api/v1/namespaces/default/configmaps", configMap("Bad_Name"))
            #expect(bad.status == 422)
            #expect(bad.statusObject?.reason == "Invalid")
            #expect(bad.statusObject?.message?.hasPrefix(#"ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain"#) == true)
            #expect(bad.statusObject?.details?.causes?.first?.field == "metadata.name")
            // Service names are RFC 1123 labels since v1.34 (no dots); RBAC names may contain ':'.
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "1abc"], "spec": ["ports": [["port": 80]]]]
            #expect(try await wire.post("/api/v1/namespaces/default/services", service).status == 201)
            let dotted: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "svc.dotted"], "spec": ["ports": [["port": 80]]]]
            #expect(try await wire.post("/api/v1/namespaces/default/services", dotted).statusObject?.message
                == #"Service "svc.dotted" is invalid: metadata.name: Invalid value: "svc.dotted": must not contain dots"#)
            let role: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": "team:reader"], "rules": []]
            #expect(try await wire.post("/apis/rbac.authorization.k8s.io/v1/clusterroles", role).status == 201)
            let noName: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": [:]]
            let missing = try await wire.post("/api/v1/namespaces/default/configmaps", noName)
            #expect(missing.statusObject?.message == #"ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required"#)
        }
    }

    @Test func podTable() async throws {
        try await withServer { _, wire in
            let pod: JSONValue = [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web-0"],
                "spec": ["containers": [["name": "c", "image": "busybox"], ["name": "d", "image": "busybox"]]],
            ]
            #expect(try await wire.post("/api/v1/namespaces/default/pods", pod).status == 201)
            let accept = [("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")]
            let table = try await wire.get("/api/v1/namespaces/default/pods", headers: accept)
            #expect(table.status == 200)
            #expect(table.json["kind"] == "Table")
            #expect(table.json["apiVersion"] == "meta.k8s.io/v1")
            let columns = table.json["columnDefinitions"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } ?? []
            #expect(Array(columns.prefix(5)) == ["Name", "Ready", "Status", "Restarts", "Age"])
            let cells = table.json["rows"]?[0]?["cells"]?.arrayValue ?? []
            #expect(cells.count == columns.count)
            #expect(cells.prefix(4) == ["web-0", "0/2", "Pending", "0"])
            #expect(cells[4].stringValue?.hasSuffix("s") == true)
            #expect(table.json["rows"]?[0]?["object"]?["kind"] == "PartialObjectMetadata")
            #expect(table.json["metadata"]?["resourceVersion"] != nil)

            // One object; v1beta1; includeObject=None.
            let beta = try await wire.get(
                "/api/v1/namespaces/default/pods/web-0?includeObject=None", headers: [("Accept", "application/json;as=Table;v=v1beta1;g=meta.k8s.io")])
            #expect(beta.json["apiVersion"] == "meta.k8s.io/v1beta1")
            #expect(beta.json["rows"]?.arrayValue?.count == 1)
            #expect(beta.json["rows"]?[0]?["object"] == .null)
            // Plain JSON without the Table header; 406 when only something else is acceptable.
            #expect(try await wire.get("/api/v1/namespaces/default/pods").json["kind"] == "PodList")
            #expect(try await wire.get("/api/v1/namespaces/default/pods", headers: [("Accept", "application/json;as=Table;v=v2;g=other")]).status == 406)

            // Namespaces and deployments have their own columns.
            let namespaces = try await wire.get("/api/v1/namespaces", headers: accept)
            #expect(namespaces.json["columnDefinitions"]?.arrayValue?.map { $0["name"] } == ["Name", "Status", "Age"])
        }
    }
}

extension JSONValue {
    /// Element `index` of an array (tests only).
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
