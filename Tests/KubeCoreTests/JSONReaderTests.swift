import Foundation
import Testing
@testable import KubeCore

@Suite(.timeLimit(.minutes(3))) struct JSONReaderTests {
    func value(_ text: String) throws -> JSONValue { try JSONValue.read(from: Data(text.utf8)) }

    @Test func decodedArraysHaveNoSpareCapacity() throws {
        // Appending 33 elements one by one leaves room for 64; decoded arrays are kept in
        // caches, so the reader gives the spare room back.
        let json = "[" + (0..<33).map(String.init).joined(separator: ",") + "]"
        let numbers = try [Int64].read(from: Array(json.utf8))
        #expect(numbers == (0..<33).map(Int64.init))
        #expect(numbers.capacity < 40, "capacity \(numbers.capacity)")
        let names = try [String].read(from: Array(("[" + (0..<33).map { "\"n\($0)\"" }.joined(separator: ",") + "]").utf8))
        #expect(names.count == 33 && names.capacity < 40)
    }

    @Test func equalRawValuesOfOneLargeInputShareStorage() throws {
        // 200 objects (a large input, so the reader keeps its table): fieldsV1 is the same for
        // the even ones and different for each odd one, like pods of one ReplicaSet.
        func fields(_ index: Int) -> String {
            let key = index % 2 == 0 ? "shared" : "own-\(index)"
            return #"{"f:metadata":{"f:labels":{".":{},"f:app":{},"f:\#(key)":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{}}}}"#
        }
        let items = (0..<200).map { index in
            #"{"name":"pod-\#(index)","namespace":"default","uid":"00000000-0000-0000-0000-\#(String(format: "%012d", index))","managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":\#(fields(index))}]}"#
        }
        let json = "[" + items.joined(separator: ",") + "]"
        #expect(json.utf8.count >= 32 * 1024)
        let metas = try [ObjectMeta].read(from: Array(json.utf8))
        func raw(_ index: Int) -> [UInt8] { metas[index].managedFields?.first?.fieldsV1Raw?.bytes ?? [] }
        func address(_ bytes: [UInt8]) -> UnsafeRawPointer? { bytes.withUnsafeBytes { $0.baseAddress } }
        for index in 0..<200 { #expect(raw(index) == Array(fields(index).utf8)) }
        #expect(address(raw(0)) != nil && address(raw(0)) == address(raw(2)) && address(raw(2)) == address(raw(198)))
        #expect(address(raw(1)) != address(raw(3)))
    }

    @Test func readsWhatFoundationReads() throws {
        let documents = [
            #"{"a":[1,-2,3.5,1e3,-0.25E-2,true,false,null],"b":{"c":"d\"e\\f\/g\n\t\u00e9\ud83d\ude00"},"":""}"#,
            #"  [ ]  "#, #"{}"#, #""plain""#, #"9223372036854775807"#, #"-9223372036854775808"#,
            #"{"nested":{"deeper":[{"x":[[[]]]}]}}"#,
        ]
        for document in documents {
            let ours = try value(document)
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(document.utf8))
            #expect(ours == foundation, "\(document)")
        }
    }

    @Test(arguments: [
        "", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "[1 2]", "\"abc", "\"\\x\"", "\"\\u12\"", "tru", "nul", "01x",
        "1 2", "{\"a\":1}}", "\"\u{01}\"", "\"\\ud800\"", "-", "[\"a\"", "{\"a\":}",
    ])
    func rejectsMalformedJSON(_ text: String) {
        #expect(throws: JSONReadError.self) { try value(text) }
    }

    @Test func errorsNameTheJSONPath() throws {
        let text = #"{"apiVersion":"v1","kind":"List","metadata":{},"items":[{"metadata":{"name":"a"}},{"metadata":{"name":7}}]}"#
        do {
            _ = try ObjectList<DynamicObject>.read(from: Data(text.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.pathDescription == "items[1].metadata.name")
            #expect(error.message == "expected a string")
        }
    }

    @Test func depthIsLimited() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONReadError.self) { try value(deep) }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try value(fine) }
    }

    @Test func integersAreChecked() throws {
        func int(_ text: String) throws -> Int64 {
            try Data(text.utf8).withUnsafeBytes { buffer in
                var reader = JSONReader(buffer)
                return Result { () throws(JSONReadError) -> Int64 in try reader.readInt64() }
            }.get()
        }
        #expect(try int("42") == 42)
        #expect(try int("-7") == -7)
        #expect(try int("3.0") == 3)
        #expect(try int("1e3") == 1000)
        #expect(throws: JSONReadError.self) { try int("1.5") }
        #expect(throws: JSONReadError.self) { try int("99999999999999999999") }
        #expect(throws: JSONReadError.self) { try int("\"1\"") }
    }

    @Test func objectMetaAndWatchEventsMatchCodable() throws {
        let meta = #"{"name":"web-1","generateName":"web-","namespace":"prod","uid":"u1","resourceVersion":"42","generation":3,"creationTimestamp":"2024-05-01T12:00:00Z","labels":{"app":"web"},"annotations":{"a":"b"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"u0","controller":true,"blockOwnerDeletion":true}],"finalizers":["x"],"managedFields":[{"manager":"kubectl","operation":"Apply","apiVersion":"v1","time":"2024-05-01T12:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{".":{},"f:app":{}}}}}],"unknownField":{"x":[1]},"deletionTimestamp":null}"#
        let fast = try ObjectMeta.read(from: Data(meta.utf8))
        let slow = try JSONDecoder().decode(ObjectMeta.self, from: Data(meta.utf8))
        #expect(fast == slow)

        let events = [
            #"{"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"5"},"data":{"k":"v"}}}"#,
            #"{"object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"b"}},"type":"DELETED"}"#,
            #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"9","annotations":{"k8s.io/initial-events-end":"true"}}}}"#,
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"gone","reason":"Expired","code":410}}"#,
        ]
        for line in events {
            let fastEvent = try WatchEvent<DynamicObject>.read(from: Data(line.utf8))
            let slowEvent = try JSONDecoder().decode(WatchEvent<DynamicObject>.self, from: Data(line.utf8))
            #expect(fastEvent.type == slowEvent.type)
            #expect(fastEvent.object == slowEvent.object)
        }
        #expect(throws: JSONReadError.self) { try WatchEvent<DynamicObject>.read(from: Data(#"{"type":"ADDED"}"#.utf8)) }
        #expect(throws: JSONReadError.self) { try WatchEvent<DynamicObject>.read(from: Data(#"{"type":"NEW","object":{}}"#.utf8)) }
    }

    @Test func ownerReferenceRequiresItsFields() {
        #expect(throws: JSONReadError.self) { try OwnerReference.read(from: Data(#"{"kind":"X","name":"n","uid":"u"}"#.utf8)) }
    }

    /// Found by kube-json-fuzz: a skipped string (an unknown field's value) that ends in a
    /// backslash stepped past the end of the input, so the error's offset pointed outside it.
    /// Skipping now checks escapes as reading does, and keeps the JSON path.
    @Test func skippedStringsCheckTheirEscapes() throws {
        let truncated = Array(#"{"items":[],"kind":"List\"#.utf8)
        for input in [truncated, Array(#"{"x":"ab\"#.utf8), Array(#"{"metadata":{"x":"\"#.utf8)] {
            let error = try #require(throws: JSONReadError.self) { try ObjectList<DynamicObject>.read(from: input) }
            #expect(error.offset <= input.count, "\(error)")
        }
        let inMeta = try #require(throws: JSONReadError.self) { try PartialObjectMetadata.read(from: Array(#"{"metadata":{"x":"a\q"}}"#.utf8)) }
        #expect(inMeta.message.contains("invalid escape"), "\(inMeta)")
        #expect(inMeta.pathDescription.contains("metadata"), "\(inMeta)")
        #expect(throws: JSONReadError.self) { try PartialObjectMetadata.read(from: Array(#"{"x":"\u12"}"#.utf8)) }
        #expect(throws: JSONReadError.self) { try PartialObjectMetadata.read(from: Array(#"{"x":"\u12zz"}"#.utf8)) }
        // Valid escapes are skipped as before.
        let meta = try PartialObjectMetadata.read(from: Array(#"{"x":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00","metadata":{"name":"n"}}"#.utf8))
        #expect(meta.metadata.name == "n")
    }
}
