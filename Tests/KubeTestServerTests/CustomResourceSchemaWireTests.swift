import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

private func json(_ text: String) -> JSONValue {
    (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null
}

/// CRD schemas enforced over the wire the way kube-apiserver does (exchanges 019, 107–113).
@Suite("Custom resources: schema enforcement over the wire", .timeLimit(.minutes(3)))
struct CustomResourceSchemaWireTests {
    let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    let widgets = "/apis/example.com/v1/namespaces/default/widgets"

    func crd(schema: JSONValue) -> JSONValue {
        [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Namespaced", "names": ["plural": "widgets", "kind": "Widget"],
                "versions": [["name": "v1", "served": true, "storage": true, "subresources": ["status": [:]],
                              "schema": ["openAPIV3Schema": schema]]],
            ],
        ]
    }

    func widget(_ name: String, spec: JSONValue, extra: [String: JSONValue] = [:]) -> JSONValue {
        var object: [String: JSONValue] = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": .string(name)], "spec": spec]
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    func withWidgets(_ body: (Wire) async throws -> Void) async throws {
        try await withServer { _, wire in
            let schema = json(#"""
            {"type":"object","properties":{
              "spec":{"type":"object","required":["size"],
                "x-kubernetes-validations":[{"rule":"self.minReplicas <= self.replicas","message":"minReplicas must not exceed replicas"}],
                "properties":{"size":{"type":"string","enum":["small","large"],"x-kubernetes-validations":[{"rule":"self == oldSelf","message":"size is immutable"}]},
                  "replicas":{"type":"integer","maximum":10,"default":1},"minReplicas":{"type":"integer","default":0},
                  "note":{"type":"string","x-kubernetes-validations":[{"rule":"self.base64() != ''"}]}}},
              "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}
            """#)
            let created = try await wire.post(crds, crd(schema: schema))
            #expect(created.status == 201)
            // Established right after the create, as the naming controller does.
            let deadline = ContinuousClock.now + .seconds(10)
            while try await wire.get(widgets).status != 200 {
                guard ContinuousClock.now < deadline else { Issue.record("widgets never served"); return }
                try await Task.sleep(for: .milliseconds(20))
            }
            try await body(wire)
        }
    }

    @Test func nonStructuralCRDIsRefused() async throws {
        try await withServer { _, wire in
            let refused = try await wire.post(crds, crd(schema: json(#"{"properties":{"spec":{"properties":{"size":{}}}}}"#)))
            #expect(refused.status == 422)
            #expect(refused.statusObject?.details?.causes?.map(\.field) == [
                "spec.validation.openAPIV3Schema.properties[spec].properties[size].type",
                "spec.validation.openAPIV3Schema.properties[spec].type", "spec.validation.openAPIV3Schema.type",
            ])
        }
    }

    @Test func unknownFieldsArePrunedWithWarningsAndDefaultsApplied() async throws {
        try await withWidgets { wire in
            let created = try await wire.post(widgets, widget("w1", spec: ["size": "small", "extra": 1], extra: ["status": ["ready": true], "top": true]))
            #expect(created.status == 201)
            #expect(created.headers["Warning"] == [#"299 - "unknown field \"spec.extra\"""#, #"299 - "unknown field \"top\"""#])
            #expect(created.json["spec"] == ["size": "small", "replicas": 1, "minReplicas": 0])
            #expect(created.json["status"] == nil)
            #expect(created.json["top"] == nil)
            let strict = try await wire.request(
                .POST, widgets + "?fieldValidation=Strict", body: JSONWriter.data(widget("w2", spec: ["size": "small", "extra": 1])))
            #expect(strict.status == 400)
            #expect(strict.statusObject?.message
                == #"Widget in version "v1" cannot be handled as a Widget: strict decoding error: unknown field "spec.extra""#)
        }
    }

    @Test func invalidObjectsGetTheSchemasMessages() async throws {
        try await withWidgets { wire in
            let tooMany = try await wire.post(widgets, widget("w1", spec: ["size": "small", "replicas": 11]))
            #expect(tooMany.status == 422)
            #expect(tooMany.statusObject?.message
                == #"Widget.example.com "w1" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"#)
            let rule = try await wire.post(widgets, widget("w1", spec: ["size": "small", "replicas": 2, "minReplicas": 3]))
            #expect(rule.statusObject?.message == #"Widget.example.com "w1" is invalid: spec: Invalid value: minReplicas must not exceed replicas"#)
            // A rule outside the CEL subset is refused, never silently accepted.
            let unsupported = try await wire.post(widgets, widget("w1", spec: ["size": "small", "note": "x"]))
            #expect(unsupported.status == 422)
            #expect(unsupported.statusObject?.message?.contains("KubeTestServer cannot evaluate this rule (function 'base64')") == true)
        }
    }

    @Test func transitionRulesStatusSubresourceAndGeneration() async throws {
        try await withWidgets { wire in
            let created = try await wire.post(widgets, widget("w1", spec: ["size": "small"]))
            #expect(created.json["metadata"]?["generation"] == 1)
            let patchSize = try await wire.request(
                .PATCH, widgets + "/w1", body: Data(#"{"spec":{"size":"large"}}"#.utf8), contentType: "application/merge-patch+json")
            #expect(patchSize.status == 422)
            #expect(patchSize.statusObject?.message == #"Widget.example.com "w1" is invalid: spec.size: Invalid value: "large": size is immutable"#)
            // /status changes only status; generation stays.
            let status = try await wire.request(
                .PATCH, widgets + "/w1/status", body: Data(#"{"spec":{"replicas":5},"status":{"ready":true}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(status.status == 200)
            #expect(status.json["spec"]?["replicas"] == 1)
            #expect(status.json["status"] == ["ready": true])
            #expect(status.json["metadata"]?["generation"] == 1)
            let badStatus = try await wire.request(
                .PATCH, widgets + "/w1/status", body: Data(#"{"status":{"ready":"yes"}}"#.utf8), contentType: "application/merge-patch+json")
            #expect(badStatus.status == 422)
            #expect(badStatus.statusObject?.details?.causes?.first?.message == #"Invalid value: "string": ready in body must be of type boolean: "string""#)
            // The main resource ignores status and bumps generation on spec changes.
            let spec = try await wire.request(
                .PATCH, widgets + "/w1", body: Data(#"{"spec":{"replicas":3},"status":{"ready":false}}"#.utf8),
                contentType: "application/merge-patch+json")
            #expect(spec.status == 200)
            #expect(spec.json["status"] == ["ready": true])
            #expect(spec.json["metadata"]?["generation"] == 2)
            let list = try await wire.get(widgets)
            #expect(list.json["items"]?.arrayValue?.first?["kind"] == "Widget")
        }
    }

    /// Without a status subresource, status is part of the object: kube's custom resource
    /// strategy bumps `generation` on any change but metadata, and an update is defaulted too.
    @Test func withoutStatusSubresourceStatusChangesBumpGeneration() async throws {
        try await withServer { _, wire in
            var definition = crd(schema: json(#"""
            {"type":"object","properties":{
              "spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1},"size":{"type":"string"}}},
              "status":{"type":"object","properties":{"ready":{"type":"boolean"}}}}}
            """#))
            var version = definition["spec"]?["versions"]?.arrayValue?.first ?? [:]
            version["subresources"] = nil
            definition["spec"]?["versions"] = [version]
            #expect(try await wire.post(crds, definition).status == 201)
            let deadline = ContinuousClock.now + .seconds(10)
            while try await wire.get(widgets).status != 200 {
                guard ContinuousClock.now < deadline else { Issue.record("widgets never served"); return }
                try await Task.sleep(for: .milliseconds(20))
            }
            let created = try await wire.post(widgets, widget("w1", spec: ["size": "small", "replicas": 2]))
            #expect(created.json["metadata"]?["generation"] == 1)
            var object = created.json
            object["status"] = ["ready": true]
            let statusWrite = try await wire.put(widgets + "/w1", object)
            #expect(statusWrite.status == 200)
            #expect(statusWrite.json["status"] == ["ready": true])
            #expect(statusWrite.json["metadata"]?["generation"] == 2)
            // A metadata-only change does not count.
            var labelled = statusWrite.json
            labelled["metadata"]?["labels"] = ["team": "a"]
            let labelWrite = try await wire.put(widgets + "/w1", labelled)
            #expect(labelWrite.json["metadata"]?["generation"] == 2)
            // An update that drops a defaulted field gets the default again.
            var dropped = labelWrite.json
            dropped["spec"] = ["size": "large"]
            let defaulted = try await wire.put(widgets + "/w1", dropped)
            #expect(defaulted.status == 200)
            #expect(defaulted.json["spec"] == ["size": "large", "replicas": 1])
            #expect(defaulted.json["metadata"]?["generation"] == 3)
        }
    }

    @Test func defaultsAddedLaterShowOnRead() async throws {
        try await withWidgets { wire in
            _ = try await wire.post(widgets, widget("w1", spec: ["size": "small"]))
            var definition = try await wire.get(crds + "/widgets.example.com").json
            var version = definition["spec"]?["versions"]?.arrayValue?.first ?? [:]
            version["schema"]?["openAPIV3Schema"]?["properties"]?["spec"]?["properties"]?["color"] = ["type": "string", "default": "blue"]
            definition["spec"]?["versions"] = [version]
            let updated = try await wire.put(crds + "/widgets.example.com", definition)
            #expect(updated.status == 200)
            let read = try await wire.get(widgets + "/w1")
            #expect(read.json["spec"]?["color"] == "blue")
            let listed = try await wire.get(widgets)
            #expect(listed.json["items"]?.arrayValue?.first?["spec"]?["color"] == "blue")
        }
    }
}
