import Foundation
import KubeCore
import KubeYAML
import Testing

@Suite(.timeLimit(.minutes(1))) struct YAMLToJSONTests {
    @Test func scalarsConvertAsKubeApiserverDoes() throws {
        let value = try #require(try YAMLToJSON.document("""
            name: web
            replicas: 3
            ratio: 0.5
            enabled: yes
            disabled: off
            nothing: ~
            hex: 0x1F
            quoted: "3"
            created: 2024-05-01T12:00:00.123456Z
            day: 2024-05-01
            """))
        #expect(value["name"] == .string("web"))
        #expect(value["replicas"] == .int(3))
        #expect(value["ratio"] == .double(0.5))
        #expect(value["enabled"] == .bool(true))
        #expect(value["disabled"] == .bool(false))
        #expect(value["nothing"] == .null)
        #expect(value["hex"] == .int(31))
        #expect(value["quoted"] == .string("3"))
        // Timestamps stay the text they were written as (no precision lost, no Date round trip).
        #expect(value["created"] == .string("2024-05-01T12:00:00.123456Z"))
        #expect(value["day"] == .string("2024-05-01"))
    }

    @Test func nonStringKeysBecomeTheirText() throws {
        let value = try #require(try YAMLToJSON.document("1: one\ntrue: yes-key\n"))
        #expect(value["1"] == .string("one"))
        #expect(value["true"] == .string("yes-key"))
    }

    @Test func streamsSkipEmptyDocuments() throws {
        let documents = try YAMLToJSON.documents("""
            ---
            kind: ConfigMap
            data: {a: "1"}
            ---
            ---
            kind: Secret
            items: [1, two, {three: 3}]
            """)
        #expect(documents.count == 2)
        #expect(documents[0]["data"]?["a"] == .string("1"))
        #expect(documents[1]["items"] == .array([.int(1), .string("two"), .object(["three": .int(3)])]))
        #expect(try YAMLToJSON.documents("").isEmpty)
        #expect(try YAMLToJSON.document("   \n") == nil)
    }

    @Test func jsonTextIsYAMLToo() throws {
        let value = try YAMLToJSON.document(#"{"a": [1, 2.5, "x", null, true]}"#)
        #expect(value == .object(["a": .array([.int(1), .double(2.5), .string("x"), .null, .bool(true)])]))
    }

    @Test func binaryIsBase64() throws {
        let value = try #require(try YAMLToJSON.document("data: !!binary aGVsbG8=\n"))
        #expect(value["data"] == .string("aGVsbG8="))
    }

    @Test func badInputIsATypedError() {
        #expect(throws: YAMLConversionError.self) { try YAMLToJSON.document("a: [1, 2") }
        #expect(throws: YAMLConversionError.self) { try YAMLToJSON.document("a: .inf") }
        #expect(throws: YAMLConversionError.self) { try YAMLToJSON.documents("a: b\n---\n- [") }
        #expect(throws: YAMLConversionError.self) { try YAMLToJSON.document("a: 1\n---\nb: 2\n") }
    }
}
