import Foundation
import Testing
@testable import KubeCore

@Suite(.timeLimit(.minutes(3))) struct ValuesTests {
    @Test func rfc3339RoundTrips() throws {
        let date = try #require(RFC3339.parse("2024-02-29T23:59:58Z"))
        #expect(date.timeIntervalSince1970 == 1_709_251_198)
        #expect(RFC3339.format(date, fractionalDigits: 0) == "2024-02-29T23:59:58Z")
        let micro = try #require(RFC3339.parse("2024-02-29T23:59:58.123456Z"))
        #expect(RFC3339.format(micro, fractionalDigits: 6) == "2024-02-29T23:59:58.123456Z")
        let offset = try #require(RFC3339.parse("2024-03-01T01:59:58+02:00"))
        #expect(offset == date)
        #expect(RFC3339.format(Date(timeIntervalSince1970: -1), fractionalDigits: 0) == "1969-12-31T23:59:59Z")
    }

    @Test(arguments: ["", "2024-02-29", "2024-13-01T00:00:00Z", "2024-02-29T23:59:58", "2024-02-29T23:59:58.Z", "x024-02-29T23:59:58Z", "2024-02-29T23:59:58+0200"])
    func rejectsBadTimes(_ text: String) throws {
        #expect(RFC3339.parse(text) == nil)
        let json = Data("[\"\(text)\"]".utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([Time].self, from: json) }
    }

    @Test func jsonValueKeepsIntegersAndNesting() throws {
        let text = #"{"a":9007199254740993,"b":1.5,"c":[true,null,"x"],"d":{"e":{}}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value["a"] == .int(9_007_199_254_740_993))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == [true, nil, "x"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == text)
    }

    @Test func jsonBytesWritesCompactSortedEscapedJSON() throws {
        let value: JSONValue = [
            "z": 1, "a": ["b": true, "a": nil], "s": "quote\" back\\ nl\n tab\t bell\u{07} é", "d": 2.0, "f": 0.5,
            "big": .double(1e20), "nan": .double(.nan), "list": [1, "x", []],
        ]
        let text = String(decoding: value.jsonBytes, as: UTF8.self)
        #expect(
            text == #"{"a":{"a":null,"b":true},"big":1e+20,"d":2,"f":0.5,"list":[1,"x",[]],"nan":null,"s":"quote\" back\\ nl\n tab\t bell\u0007 é","z":1}"#)
        // The reader reads it back (NaN aside, which JSON cannot hold; 2.0 comes back as the integer 2).
        var expected = value
        expected["nan"] = nil
        expected["d"] = 2
        var read = try JSONValue.read(from: value.jsonBytes)
        read["nan"] = nil
        #expect(read == expected)
        // Leading keys first, in their order, at every depth.
        var out: [UInt8] = []
        JSONValue.object(["b": 1, "kind": "K", "spec": ["x": 1, "kind": "inner"]]).writeJSON(into: &out, leadingKeys: ["kind", "spec"])
        #expect(String(decoding: out, as: UTF8.self) == #"{"kind":"K","spec":{"kind":"inner","x":1},"b":1}"#)
    }

    @Test func dynamicObjectKeepsUnknownFields() throws {
        let text = #"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","labels":{"a":"b"}},"spec":{"size":3,"x-new":[1,2]},"status":{"ok":true}}"#
        let object = try JSONDecoder().decode(DynamicObject.self, from: Data(text.utf8))
        #expect(object.metadata.name == "w")
        #expect(object["spec"]?["size"] == 3)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let again = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(object))
        #expect(again == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))))
    }

    @Test func watchEventsDecode() throws {
        let lines = [
            #"{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"}}}"#,
            #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"9","annotations":{"k8s.io/initial-events-end":"true"}}}}"#,
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#,
        ]
        let events = try lines.map { try JSONDecoder().decode(WatchEvent<DynamicObject>.self, from: Data($0.utf8)) }
        #expect(events[0].object?.metadata.resourceVersion == "5")
        guard case .bookmark(let bookmark) = events[1], case .error(let status) = events[2] else {
            Issue.record("wrong event types: \(events.map(\.type))")
            return
        }
        #expect(bookmark.resourceVersion == "9" && bookmark.isInitialEventsEnd)
        #expect(status.code == 410 && status.reason == StatusReason.expired)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(WatchEvent<DynamicObject>.self, from: Data(#"{"type":"NOPE","object":{}}"#.utf8))
        }
    }

    @Test func groupVersionParsing() {
        #expect(GroupVersion(apiVersion: "v1") == GroupVersion(group: "", version: "v1"))
        #expect(GroupVersion(apiVersion: "apps/v1")?.pathPrefix == "/apis/apps/v1")
        #expect(GroupVersion(apiVersion: "") == nil)
        #expect(GroupVersion(apiVersion: "a/b/c") == nil)
        #expect(GroupVersion(apiVersion: "/v1") == nil)
    }
}
