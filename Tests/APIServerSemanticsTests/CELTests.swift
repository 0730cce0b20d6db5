import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("CEL subset for x-kubernetes-validations", .timeLimit(.minutes(2)))
struct CELTests {
    let object = json(#"{"name":"web-1","replicas":3,"ratio":0.5,"tags":["a","b"],"labels":{"app":"web"},"items":[{"n":1},{"n":2}]}"#)

    func eval(_ source: String, old: JSONValue? = nil) throws -> CELValue {
        var variables: [String: CELValue] = ["self": CELValue(object, schema: nil)]
        if let old { variables["oldSelf"] = CELValue(old, schema: nil) }
        return try CELEvaluator(variables: variables).evaluate(try CELParser.parse(source))
    }

    @Test func evaluatesTheSubset() throws {
        let truths = [
            "self.replicas == 3", "self.replicas + 1 > 3", "self.replicas * 2 - 1 == 5", "self.replicas / 2 == 1", "self.replicas % 2 == 1",
            "-self.replicas < 0", "self.ratio < 1.0", "self.replicas == 3.0", "has(self.name)", "!has(self.missing)",
            "size(self.tags) == 2", "self.tags.size() == 2", "size(self.name) == 5", "self.name.startsWith('web')",
            "self.name.endsWith('-1')", "self.name.contains('b-')", "self.name.matches('^[a-z]+-[0-9]$')",
            "self.tags.all(t, t.size() == 1)", "self.tags.exists(t, t == 'b')", "self.items.exists_one(i, i.n > 1)",
            "'a' in self.tags", "'app' in self.labels", "self.labels['app'] == 'web'", "self.items[1].n == 2",
            "self.replicas > 1 ? true : false", "self.items.map(i, i.n) == [1, 2]", "self.items.filter(i, i.n > 1).size() == 1",
            "self.tags + ['c'] == ['a', 'b', 'c']", "string(self.replicas) == '3'", "int('7') == 7", "double(self.replicas) == 3.0",
            "self.name.upperAscii() == 'WEB-1'", "self.replicas >= 3 && self.replicas <= 3 || false",
            // Error absorption: the other side decides.
            "self.missing == 1 || true", "!(false && self.missing == 1)",
        ]
        for source in truths {
            #expect(try eval(source) == .bool(true), "\(source)")
        }
        #expect(try eval("self == oldSelf", old: object) == .bool(true))
        #expect(try eval("self.replicas >= oldSelf.replicas", old: json(#"{"replicas":5}"#)) == .bool(false))
    }

    @Test func runtimeErrorsAndUnsupportedFunctionsAreDistinct() {
        #expect(throws: CELError.self) { try eval("self.missing == 1") }
        do {
            _ = try eval("self.name.base64()")
            Issue.record("base64 is outside the subset")
        } catch let error as CELError {
            guard case .unsupported(let why) = error else { Issue.record("expected unsupported, got \(error)"); return }
            #expect(why == "function 'base64'")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func syntaxErrorsRenderLikeCelGo() {
        // Exchange 113: kube-apiserver's compile error for a dangling operator.
        do {
            _ = try CELParser.parse("self.nosuchfield >")
            Issue.record("should not parse")
        } catch {
            #expect(error.rendered(source: "self.nosuchfield >") == """
                ERROR: <input>:1:19: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
                 | self.nosuchfield >
                 | ..................^
                """)
        }
        #expect((try? CELParser.parse("self.a && (self.b")) == nil)
        #expect((try? CELParser.parse("self.a 'x'")) == nil)
    }

    @Test func transitionRulesAreRecognised() {
        let rule = StructuralSchema.ValidationRule(rule: "self == oldSelf", optionalOldSelf: false)
        #expect(rule.isTransitionRule)
        #expect(!StructuralSchema.ValidationRule(rule: "self.oldSelfish == 1", optionalOldSelf: false).isTransitionRule)
    }
}

@Suite("CRD schema checks (structural schemas)", .timeLimit(.minutes(2)))
struct CRDSchemaCheckTests {
    @Test func nonStructuralSchemaGivesKubesErrorsInOrder() {
        // Exchange 019.
        let schema = json(#"{"properties":{"spec":{"properties":{"size":{}}}}}"#)
        let errors = CRDSchemaCheck.structuralErrors(schema, path: "spec.validation.openAPIV3Schema")
        #expect(errors.map(\.description) == [
            "spec.validation.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields",
            "spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
            "spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root",
        ])
    }

    @Test func otherStructuralRules() {
        let schema = json(#"""
        {"type":"object","properties":{
          "metadata":{"type":"object","properties":{"labels":{"type":"object"}}},
          "a":{"type":"object","properties":{"x":{"type":"string"}},"additionalProperties":{"type":"string"}},
          "b":{"type":"array"},
          "c":{"type":"widget"},
          "d":{"type":"object","x-kubernetes-preserve-unknown-fields":false},
          "e":{"type":"integer","default":"one"},
          "f":{"type":"string","x-kubernetes-validations":[{"rule":"self >"}]},
          "g":{"x-kubernetes-int-or-string":true},
          "h":{"type":"array","items":{"type":"string"},"x-kubernetes-list-type":"map"}}}
        """#)
        let errors = CRDSchemaCheck.structuralErrors(schema, path: "s").map(\.description)
        #expect(errors.contains("s.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified"))
        #expect(errors.contains("s.properties[a].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive"))
        #expect(errors.contains("s.properties[b].items: Required value: must be specified"))
        #expect(errors.contains(#"s.properties[c].type: Unsupported value: "widget": supported values: "array", "boolean", "integer", "number", "object", "string""#))
        #expect(errors.contains("s.properties[d].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"))
        #expect(errors.contains(#"s.properties[e].default: Invalid value: "string":  in body must be of type integer: "string""#))
        #expect(errors.contains { $0.hasPrefix(#"s.properties[f].x-kubernetes-validations[0].rule: Invalid value: {"Rule":"self \u003e","Message":"","# ) })
        #expect(errors.contains("s.properties[h].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map"))
        #expect(!errors.contains { $0.hasPrefix("s.properties[g]") })
        #expect(errors.count == 8)
    }

    @Test func selectableFieldsMustNameAField() {
        let crd = json(#"""
        {"spec":{"versions":[{"name":"v1","schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"a":{"type":"string"}}}}}},
          "selectableFields":[{"jsonPath":".spec.a"},{"jsonPath":".spec.size"}]}]}}
        """#)
        #expect(CRDSchemaCheck.errors(crd).map(\.description)
            == [#"spec.selectableFields[1].jsonPath: Invalid value: ".spec.size": is an invalid path: does not refer to a valid field"#])
    }
}
