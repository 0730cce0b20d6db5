import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

/// The widget schema of the v1.36 recordings (exchanges 107–113).
let widgetSchema = json(#"""
{"type":"object","required":["spec"],"properties":{
  "spec":{"type":"object","required":["size"],
    "x-kubernetes-validations":[
      {"rule":"self.minReplicas <= self.replicas","message":"minReplicas must not exceed replicas"},
      {"rule":"!has(self.color) || self.color != 'red' || self.size != 'small'","messageExpression":"'a small widget cannot be ' + self.color","reason":"FieldValueForbidden","fieldPath":".color"}],
    "properties":{
      "size":{"type":"string","enum":["small","medium","large"],"x-kubernetes-validations":[{"rule":"self == oldSelf","message":"size is immutable"}]},
      "replicas":{"type":"integer","minimum":0,"maximum":10,"default":1},
      "minReplicas":{"type":"integer","default":0},
      "color":{"type":"string","pattern":"^[a-z]+$","default":"blue","maxLength":10},
      "tags":{"type":"array","items":{"type":"string"},"maxItems":3,"x-kubernetes-list-type":"set"},
      "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name"],
               "items":{"type":"object","properties":{"name":{"type":"string"},"port":{"type":"integer","exclusiveMinimum":true,"minimum":0}}}},
      "port":{"x-kubernetes-int-or-string":true},
      "config":{"type":"object","x-kubernetes-preserve-unknown-fields":true},
      "limits":{"type":"object","additionalProperties":{"type":"integer"}},
      "owner":{"type":"object","properties":{"name":{"type":"string","minLength":2},"email":{"type":"string","format":"email"}}}}},
  "status":{"type":"object","properties":{"replicas":{"type":"integer"},"ready":{"type":"boolean"}}}}}
"""#)

@Suite("Custom resource schemas: pruning, defaulting, validation", .timeLimit(.minutes(2)))
struct CustomResourceSchemaTests {
    let schema = CustomResourceSchema(root: StructuralSchema(json: widgetSchema), statusReplicasPath: ".status.replicas")

    func widget(_ spec: String, status: String? = nil) -> JSONValue {
        json(#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"},"spec":"# + spec + (status.map { #","status":"# + $0 } ?? "") + "}")
    }

    @Test func pruningDropsUnknownFieldsAndKeepsPreservedOnes() {
        var object = widget(#"{"size":"medium","unknownField":"x","config":{"anything":{"goes":[1,2]}},"port":"http","owner":{"name":"ab","extra":1}}"#)
        object["topLevelExtra"] = true
        let (pruned, unknown) = schema.root.prune(object)
        // Exchange 107: one warning per field, sorted.
        #expect(unknown == ["spec.owner.extra", "spec.unknownField", "topLevelExtra"])
        #expect(pruned["spec"]?["config"] == json(#"{"anything":{"goes":[1,2]}}"#))
        #expect(pruned["spec"]?["owner"] == ["name": "ab"])
        #expect(pruned["spec"]?["port"] == "http")
        #expect(pruned["metadata"] == ["name": "w"])
        #expect(pruned["topLevelExtra"] == nil)
    }

    @Test func defaultsFillAbsentAndNullFields() {
        let defaulted = schema.root.applyDefaults(widget(#"{"size":"large","minReplicas":null}"#))
        #expect(defaulted["spec"] == json(#"{"size":"large","replicas":1,"minReplicas":0,"color":"blue"}"#))
        // A sent value wins over the default.
        #expect(schema.root.applyDefaults(widget(#"{"size":"large","replicas":4}"#))["spec"]?["replicas"] == 4)
    }

    func messages(_ spec: String, old: String? = nil) -> [String] {
        let outcome = schema.admit(widget(spec), old: old.map { widget($0) })
        return outcome.errors.map(\.description)
    }

    @Test func valueChecksUseKubesMessages() {
        #expect(messages(#"{"size":"huge"}"#) == [#"spec.size: Unsupported value: "huge": supported values: "small", "medium", "large""#])
        #expect(messages(#"{"size":"small","replicas":11}"#) == ["spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"])
        #expect(messages(#"{"size":"small","replicas":-1,"minReplicas":-2}"#)
            == ["spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0"])
        #expect(messages(#"{"size":"small","replicas":"two"}"#) == [
            #"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#,
            "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ])
        #expect(messages(#"{"size":"small","color":"Blue"}"#) == [#"spec.color: Invalid value: "Blue": spec.color in body should match '^[a-z]+$'"#])
        #expect(messages(#"{"size":"small","color":"abcdefghijk"}"#) == ["spec.color: Too long: may not be more than 10 bytes"])
        #expect(messages(#"{"size":"small","tags":["a","b","c","d"]}"#) == ["spec.tags: Too many: 4: must have at most 3 items"])
        #expect(messages(#"{"size":"small","owner":{"name":"a"}}"#)
            == [#"spec.owner.name: Invalid value: "a": spec.owner.name in body should be at least 2 chars long"#])
        #expect(messages(#"{"size":"small","owner":{"email":"nope"}}"#)
            == [#"spec.owner.email: Invalid value: "nope": spec.owner.email in body must be of type email: "nope""#])
        #expect(messages(#"{"size":"small","limits":{"cpu":"x"}}"#).first
            == #"spec.limits.cpu: Invalid value: "string": spec.limits.cpu in body must be of type integer: "string""#)
        #expect(messages(#"{"size":"small","ports":[{"name":"a","port":0}]}"#)
            == ["spec.ports.0.port: Invalid value: 0: spec.ports.0.port in body should be greater than 0"])
        #expect(messages(#"{"size":"small","port":true}"#).first
            == #"spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean""#)
        #expect(messages(#"{}"#) == ["spec.size: Required value"])
        #expect(schema.admit(json(#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w"}}"#), old: nil)
            .errors.map(\.description) == ["spec: Required value"])
    }

    @Test func listTypesRejectDuplicates() {
        #expect(messages(#"{"size":"small","tags":["a","b","a"]}"#) == [#"spec.tags[2]: Duplicate value: "a""#])
        #expect(messages(#"{"size":"small","ports":[{"name":"a","port":1},{"name":"a","port":2}]}"#)
            == [#"spec.ports[1]: Duplicate value: map[string]interface {}{"name":"a"}"#])
    }

    @Test func celRulesRejectWithTheirMessages() {
        // Exchange 108: the cross-field rule, the messageExpression with reason and fieldPath.
        let cross = schema.admit(widget(#"{"size":"small","replicas":2,"minReplicas":5}"#), old: nil).errors
        #expect(cross.map(\.description) == ["spec: Invalid value: minReplicas must not exceed replicas"])
        #expect(cross.first?.kind == .invalid)
        let forbidden = schema.admit(widget(#"{"size":"small","color":"red"}"#), old: nil).errors
        #expect(forbidden.map(\.description) == ["spec.color: Forbidden: a small widget cannot be red"])
        #expect(forbidden.first?.cause.reason == "FieldValueForbidden")
        // Transition rule: only on update, with the old value.
        #expect(messages(#"{"size":"large"}"#).isEmpty)
        #expect(messages(#"{"size":"large"}"#, old: #"{"size":"medium"}"#) == [#"spec.size: Invalid value: "large": size is immutable"#])
        #expect(messages(#"{"size":"medium","replicas":3}"#, old: #"{"size":"medium"}"#).isEmpty)
    }

    @Test func statusWritesValidateTheStatusSubtree() {
        // Exchange 109: the message names the field relative to status.
        let outcome = schema.admit(widget(#"{"size":"small"}"#, status: #"{"replicas":"one"}"#), old: nil, statusOnly: true)
        #expect(outcome.errors.map(\.description) == [
            #"status.replicas: Invalid value: "string": replicas in body must be of type integer: "string""#,
            ".status.replicas: Invalid value: 0: .status.replicas accessor error: one is of the type string, expected int64",
            "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
        ])
    }

    @Test func unknownFormatsPassAndKnownOnesAreChecked() {
        #expect(StringFormats.isValid("anything", format: "password"))
        #expect(StringFormats.isValid("2026-12-01T21:07:49Z", format: "date-time"))
        #expect(StringFormats.isValid("2026-12-01T21:07:49.5+01:00", format: "date-time"))
        #expect(!StringFormats.isValid("yesterday", format: "date-time"))
        #expect(StringFormats.isValid("10.0.0.1", format: "ipv4"))
        #expect(!StringFormats.isValid("10.0.0.256", format: "ipv4"))
        #expect(StringFormats.isValid("a@b.io", format: "email"))
        #expect(StringFormats.isValid("5f0c0a9e-3f5b-4b8e-9c1a-2d3e4f5a6b7c", format: "uuid"))
    }
}
