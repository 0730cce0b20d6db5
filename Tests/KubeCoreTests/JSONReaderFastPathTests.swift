import Foundation
import Testing
@testable import KubeCore

/// The reader's fast paths: skipping, key hashing, 8-byte string scanning, shared strings.
@Suite(.timeLimit(.minutes(3))) struct JSONReaderFastPathTests {
    @Test(arguments: [
        #"{"x":[1 2]}"#, #"{"x":{"a" 1}}"#, #"{"x":{"a":1,}}"#, #"{"x":[1,]}"#, #"{"x":"a\#u{01}"}"#, #"{"x":{"a":[}}"#,
        #"{"x":"unterminated"#, #"{"x":{"a":1]}"#, #"{"x":[1}"#, #"{"x":tru}"#, #"{"x":nul}"#, #"{"x":-}"#,
        #"{"x":"\u0001abcdefghijklmnop"}"#.replacingOccurrences(of: "\\u0001", with: "\u{01}"),
    ])
    func skippedValuesAreChecked(_ text: String) {
        // `x` is not an ObjectMeta field: the reader skips it, and must still reject bad JSON.
        #expect(throws: JSONReadError.self) { try ObjectMeta.read(from: Data(text.utf8)) }
    }

    @Test func skippingKeepsEscapesAndDepth() throws {
        let text = #"{"x":{"k:{\"a\":\"b\"}":[{"\\":"\"}"}],"y":[[[]]]},"name":"n"}"#
        #expect(try ObjectMeta.read(from: Data(text.utf8)).name == "n")
        let deep = #"{"x":"# + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}"
        #expect(throws: JSONReadError.self) { try ObjectMeta.read(from: Data(deep.utf8)) }
    }

    @Test func keyHashesMatchWhatTheReaderComputes() throws {
        for length in 0...40 {
            let key = String((0..<length).map { Character(Unicode.Scalar(UInt8(97 + $0 % 26))) })
            let text = "{\"\(key)\":1}"
            let hash = try Data(text.utf8).withUnsafeBytes { buffer in
                var reader = JSONReader(buffer)
                return Result { () throws(JSONReadError) -> UInt64? in
                    try reader.beginObject()
                    return try reader.nextKey()?.hash
                }
            }.get()
            #expect(hash == JSONKey.hash(key), "length \(length)")
        }
        // An escaped key hashes as its decoded text.
        let escaped = try Data(#"{"a\"b":1}"#.utf8).withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            return Result { () throws(JSONReadError) -> JSONKey? in
                try reader.beginObject()
                return try reader.nextKey()
            }
        }.get()
        #expect(escaped?.hash == JSONKey.hash(#"a"b"#))
        #expect(escaped?.equals(#"a"b"#) == true)
    }

    /// A large input uses the string table: equal strings are shared, and strings that
    /// differ only in the middle (same length, same first and last 8 bytes) stay apart.
    @Test func sharedStringsStayExact() throws {
        var strings: [String] = []
        for index in 0..<6000 {
            let middle = String(index % 700, radix: 36)
            strings.append("registry/prefix-" + middle + "-suffix:v1.0.0")
            strings.append("same-head-" + String(repeating: "x", count: 3 - middle.count) + middle + "-same-tail!")
            strings.append("é-unicode-ü-" + middle + "-ß-long-enough")
        }
        let input = try JSONEncoder().encode(strings)
        #expect(input.count >= StringTable.minimumInput)
        let read = try [String].read(from: input)
        #expect(read == strings)
        let map = Dictionary(uniqueKeysWithValues: strings.enumerated().map { ("key-\($0.offset)-" + $0.element, $0.element) })
        #expect(try [String: String].read(from: try JSONEncoder().encode(map)) == map)
    }

    @Test func longStringsWithEscapesAndUnicode() throws {
        let values = [
            String(repeating: "abcdefgh", count: 20), "tab\there and a \"quote\" after 8 bytes", "ünïcödé-ünïcödé-ünïcödé",
            "ends with backslash \\", String(repeating: "é", count: 33),
        ]
        for value in values {
            let data = try JSONEncoder().encode(value)
            #expect(try String.read(from: data) == value)
        }
    }

    @Test func rawJSONEqualsItsValue() throws {
        let raw = try RawJSON(bytes: Array(#"{"f:a":{".":{}},"n":[1,2.5,"x"]}"#.utf8))
        let value = JSONValue.object(["f:a": .object([".": .object([:])]), "n": .array([.int(1), .double(2.5), .string("x")])])
        #expect(raw == RawJSON(value))
        #expect(raw.hashValue == RawJSON(value).hashValue)
        // Key order of encoded dictionaries is unspecified: compare with sorted keys.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try encoder.encode(raw) == encoder.encode(value))
        #expect(throws: JSONReadError.self) { try RawJSON(bytes: Array("{".utf8)) }
        var entry = ManagedFieldsEntry(manager: "m", fieldsV1: value)
        #expect(entry.fieldsV1 == value)
        entry.fieldsV1 = nil
        #expect(entry.fieldsV1Raw == nil)
    }
}
