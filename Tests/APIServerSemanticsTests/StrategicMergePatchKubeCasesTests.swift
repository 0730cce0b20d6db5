import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

/// Cases from apimachinery `strategicpatch/patch_test.go` (`strategicMergePatchRawTestCases`),
/// converted from YAML to JSON, on a schema equal to the test's `MergeItem` struct tags:
/// applying `TwoWay` to `Original` gives `Modified`, applying `ThreeWay` to `Current` gives `Result`.
@Suite("Strategic merge patch: kube's test table", .timeLimit(.minutes(3)))
struct StrategicMergePatchKubeCasesTests {
    static let schema = PatchSchema(
        types: [
            "MergeItem": [
                "mergingList": FieldSchema(shape: .list(element: "MergeItem"), patchStrategy: "merge", patchMergeKey: "name"),
                "nonMergingList": FieldSchema(shape: .list(element: "MergeItem")),
                "mergingIntList": FieldSchema(shape: .list(element: nil), patchStrategy: "merge"),
                "nonMergingIntList": FieldSchema(shape: .list(element: nil)),
                "simpleMap": FieldSchema(shape: .map(element: nil)),
                "replacingItem": FieldSchema(shape: .object(type: "RawExtension"), patchStrategy: "replace"),
                "retainKeysMap": FieldSchema(shape: .object(type: "RetainKeysMergeItem"), patchStrategy: "retainKeys"),
                "retainKeysMergingList": FieldSchema(
                    shape: .list(element: "MergeItem"), patchStrategy: "merge,retainKeys", patchMergeKey: "name"),
            ],
            "RetainKeysMergeItem": [
                "simpleMap": FieldSchema(shape: .map(element: nil)),
                "mergingList": FieldSchema(shape: .list(element: "MergeItem"), patchStrategy: "merge", patchMergeKey: "name"),
                "nonMergingList": FieldSchema(shape: .list(element: "MergeItem")),
                "mergingIntList": FieldSchema(shape: .list(element: nil), patchStrategy: "merge"),
            ],
        ],
        kinds: [:])

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var document: String
        var patch: String
        var expected: String
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "delete items in lists of scalars (two-way)",
             document: #"{"mergingIntList":[1,2,3]}"#,
             patch: #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
             expected: #"{"mergingIntList":[1,2]}"#),
        Case(name: "delete items in lists of scalars (three-way)",
             document: #"{"mergingIntList":[1,2,3,4]}"#,
             patch: #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
             expected: #"{"mergingIntList":[1,2,4]}"#),
        Case(name: "delete all duplicate items in lists of scalars",
             document: #"{"mergingIntList":[1,2,3,3,4]}"#,
             patch: #"{"$setElementOrder/mergingIntList":[1,2],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
             expected: #"{"mergingIntList":[1,2,4]}"#),
        Case(name: "add and delete items in lists of scalars (two-way)",
             document: #"{"mergingIntList":[1,2,3]}"#,
             patch: #"{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3],"mergingIntList":[4]}"#,
             expected: #"{"mergingIntList":[1,2,4]}"#),
        Case(name: "add and delete items in lists of scalars (three-way)",
             document: #"{"mergingIntList":[1,2,3,4]}"#,
             patch: #"{"$setElementOrder/mergingIntList":[1,2,4],"$deleteFromPrimitiveList/mergingIntList":[3]}"#,
             expected: #"{"mergingIntList":[1,2,4]}"#),
        Case(name: "merge lists of maps (two-way)",
             document: #"{"mergingList":[{"name":1},{"name":2,"value":2}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}"#,
             expected: #"{"mergingList":[{"name":4,"value":4},{"name":1},{"name":2,"value":2},{"name":3,"value":3}]}"#),
        Case(name: "merge lists of maps (three-way)",
             document: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":4},{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":4,"value":4},{"name":3,"value":3}]}"#,
             expected: #"{"mergingList":[{"name":4,"value":4},{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#),
        Case(name: "merge lists of maps with conflict",
             document: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":3,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2},{"name":3}],"mergingList":[{"name":2,"value":2},{"name":3,"value":3}]}"#,
             expected: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"},{"name":3,"value":3}]}"#),
        Case(name: "add field to map in merging list",
             document: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":1}]}"#,
             expected: #"{"mergingList":[{"name":1,"value":1,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#),
        Case(name: "add field to map in merging list with conflict",
             document: #"{"mergingList":[{"name":1,"other":"a"},{"name":3,"value":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":1},{"name":2,"value":2}]}"#,
             expected: #"{"mergingList":[{"name":1,"value":1,"other":"a"},{"name":2,"value":2},{"name":3,"value":2,"other":"b"}]}"#),
        Case(name: "replace map field value in merging list with conflict",
             document: #"{"mergingList":[{"name":1,"value":3,"other":"a"},{"name":2,"value":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":"a"}]}"#,
             expected: #"{"mergingList":[{"name":1,"value":"a","other":"a"},{"name":2,"value":2,"other":"b"}]}"#),
        Case(name: "delete map from merging list",
             document: #"{"mergingList":[{"name":1},{"name":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":1,"$patch":"delete"}]}"#,
             expected: #"{"mergingList":[{"name":2,"other":"b"}]}"#),
        Case(name: "delete missing map from merging list",
             document: #"{"mergingList":[{"name":2,"other":"b"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":1,"$patch":"delete"}]}"#,
             expected: #"{"mergingList":[{"name":2,"other":"b"}]}"#),
        Case(name: "delete missing map from merging list with conflict",
             document: #"{"mergingList":[{"name":3,"other":"a"}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":2}],"mergingList":[{"name":2},{"name":1,"$patch":"delete"}]}"#,
             expected: #"{"mergingList":[{"name":2},{"name":3,"other":"a"}]}"#),
        Case(name: "delete field from map in merging list with conflict",
             document: #"{"mergingList":[{"name":1,"value":"a","other":"a"},{"name":2,"value":2}]}"#,
             patch: #"{"$setElementOrder/mergingList":[{"name":1},{"name":2}],"mergingList":[{"name":1,"value":null}]}"#,
             expected: #"{"mergingList":[{"name":1,"other":"a"},{"name":2,"value":2}]}"#),
    ]

    @Test(arguments: cases)
    func kubeCase(_ testCase: Case) throws {
        let result = try StrategicMergePatch.apply(
            json(testCase.patch), to: json(testCase.document), rootType: "MergeItem", schema: Self.schema)
        #expect(result == json(testCase.expected))
    }

    @Test func replaceStrategyAndRetainKeysMap() throws {
        let document = json(#"{"replacingItem":{"a":1,"b":2},"retainKeysMap":{"name":"foo","value":"bar","other":"x"}}"#)
        let patch = json(#"{"replacingItem":{"c":3},"retainKeysMap":{"$retainKeys":["name","value"],"value":"baz"}}"#)
        let result = try StrategicMergePatch.apply(patch, to: document, rootType: "MergeItem", schema: Self.schema)
        #expect(result == json(#"{"replacingItem":{"c":3},"retainKeysMap":{"name":"foo","value":"baz"}}"#))
        // A patch member missing from $retainKeys is rejected, as kube does.
        #expect(throws: PatchError.unprocessable) {
            try StrategicMergePatch.apply(
                json(#"{"retainKeysMap":{"$retainKeys":["name"],"value":"baz"}}"#), to: document, rootType: "MergeItem",
                schema: Self.schema)
        }
    }
}
