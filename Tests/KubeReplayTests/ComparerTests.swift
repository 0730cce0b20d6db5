import Foundation
import Testing
@testable import KubeReplay

/// The comparison rules, without a server: strict by default, and only the recording
/// README's volatile values relaxed (to a check of their presence and format).
@Suite(.timeLimit(.minutes(1)))
struct ComparerTests {
    static func json(_ text: String) -> ReplayJSON { try! ReplayJSON.parse(text) }

    static func response(status: Int = 200, _ body: String, contentType: String = "application/json", warnings: [String] = []) -> ReplayedResponse {
        ReplayedResponse(status: status, contentType: contentType, warnings: warnings, retryAfter: nil, body: Data(body.utf8))
    }

    static func recorded(status: Int = 200, _ body: String, contentType: String = "application/json", warnings: [String] = []) -> ReplayJSON {
        let headers = warnings.isEmpty
            ? #"{"Content-Type":"\#(contentType)"}"#
            : #"{"Content-Type":"\#(contentType)","Warning":\#(ReplayJSON.array(warnings.map(ReplayJSON.string)).compactText)}"#
        return json(#"{"status":\#(status),"headers":\#(headers),"body":\#(body)}"#)
    }

    /// The differences of one step.
    static func differences(_ recorded: ReplayJSON, _ actual: ReplayedResponse, namespace: String = "ns") -> [ReplayDifference] {
        var comparer = Comparer(namespace: namespace)
        comparer.compare(step: 0, recorded: recorded, actual: actual)
        comparer.checkResourceVersionOrder()
        return comparer.differences
    }

    @Test func identicalBodiesMatchWhateverTheKeyOrder() {
        let found = Self.differences(
            Self.recorded(#"{"kind":"Status","code":404,"details":{"name":"x","kind":"configmaps"}}"#),
            Self.response(#"{"details":{"kind":"configmaps","name":"x"},"code":404,"kind":"Status"}"#))
        #expect(found.isEmpty)
    }

    @Test func missingExtraAndDifferentValuesAreReportedWithPathAndBothValues() {
        let found = Self.differences(
            Self.recorded(status: 404, #"{"message":"configmaps \"x\" not found","reason":"NotFound","details":{"name":"x"}}"#),
            Self.response(status: 404, #"{"message":"configmap x not found","details":{"name":"x","kind":"configmaps"}}"#))
        #expect(found.contains(ReplayDifference(step: 0, path: "/body/message", expected: #""configmaps \"x\" not found""#, actual: #""configmap x not found""#)))
        #expect(found.contains(ReplayDifference(step: 0, path: "/body/reason", expected: #""NotFound""#, actual: "(absent)")))
        #expect(found.contains(ReplayDifference(step: 0, path: "/body/details/kind", expected: "(absent)", actual: #""configmaps""#)))
        #expect(found.count == 3)
    }

    @Test func statusContentTypeAndWarningsAreCompared() {
        let found = Self.differences(
            Self.recorded(status: 201, "{}", warnings: [#"299 - "unknown field \"extra\"""#]),
            Self.response(status: 200, "{}", contentType: "application/yaml"))
        #expect(found.map(\.path) == ["/status", "/headers/Content-Type", "/headers/Warning"])
    }

    @Test func uidsNeedOnlyBeUUIDsButMustStayConsistent() {
        let uid = "3c4915f1-ca9d-42d1-8ced-a8a06dfee458"
        var comparer = Comparer(namespace: "ns")
        comparer.compare(step: 0, recorded: Self.recorded(#"{"metadata":{"uid":"\#(uid)"}}"#),
                         actual: Self.response(#"{"metadata":{"uid":"11111111-2222-3333-4444-555555555555"}}"#))
        #expect(comparer.differences.isEmpty)
        // A later Status quoting the same uid must quote the replayed one.
        comparer.compare(step: 1, recorded: Self.recorded(#"{"details":{"uid":"\#(uid)"},"message":"uid \#(uid) gone"}"#),
                         actual: Self.response(#"{"details":{"uid":"99999999-2222-3333-4444-555555555555"},"message":"uid 11111111-2222-3333-4444-555555555555 gone"}"#))
        #expect(comparer.differences.map(\.path) == ["/body/details/uid"])
        comparer.compare(step: 2, recorded: Self.recorded(#"{"metadata":{"uid":"\#(uid)"}}"#), actual: Self.response(#"{"metadata":{"uid":"not-a-uid"}}"#))
        #expect(comparer.differences.last?.path == "/body/metadata/uid")
    }

    @Test func resourceVersionsAreDigitsInTheRecordedOrder() {
        var comparer = Comparer(namespace: "ns")
        comparer.compare(step: 0, recorded: Self.recorded(#"{"metadata":{"resourceVersion":"100"}}"#), actual: Self.response(#"{"metadata":{"resourceVersion":"7"}}"#))
        comparer.compare(step: 1, recorded: Self.recorded(#"{"metadata":{"resourceVersion":"101"}}"#), actual: Self.response(#"{"metadata":{"resourceVersion":"7"}}"#))
        comparer.compare(step: 2, recorded: Self.recorded(#"{"metadata":{"resourceVersion":"101"}}"#), actual: Self.response(#"{"metadata":{"resourceVersion":"x"}}"#))
        comparer.checkResourceVersionOrder()
        #expect(comparer.differences.map(\.path) == ["/body/metadata/resourceVersion", "/resourceVersion"])
        #expect(comparer.differences.last?.actual == "7 then 7")

        // A list's version may stay equal to the last write's where the recorded one moved on.
        var lists = Comparer(namespace: "ns")
        lists.compare(step: 0, recorded: Self.recorded(#"{"metadata":{"resourceVersion":"100"}}"#), actual: Self.response(#"{"metadata":{"resourceVersion":"7"}}"#))
        lists.compare(step: 1, recorded: Self.recorded(#"{"kind":"ConfigMapList","metadata":{"resourceVersion":"104"},"items":[]}"#),
                      actual: Self.response(#"{"kind":"ConfigMapList","metadata":{"resourceVersion":"7"},"items":[]}"#))
        lists.checkResourceVersionOrder()
        #expect(lists.differences.isEmpty)
    }

    @Test func serverTimesNeedTheFormatClientTimesTheValue() {
        var comparer = Comparer(namespace: "ns")
        comparer.requestStrings = ["2020-01-01T00:00:00Z"]
        comparer.compare(
            step: 0,
            recorded: Self.recorded(#"{"metadata":{"creationTimestamp":"2026-12-01T21:06:45Z"},"firstTimestamp":"2020-01-01T00:00:00Z","eventTime":"2026-12-01T21:06:45.123456Z"}"#),
            actual: Self.response(#"{"metadata":{"creationTimestamp":"2030-01-01T10:00:00Z"},"firstTimestamp":"2021-01-01T00:00:00Z","eventTime":"2030-01-01T10:00:00Z"}"#))
        #expect(comparer.differences.map(\.path) == ["/body/firstTimestamp", "/body/eventTime"])
    }

    @Test func generatedNamesBindForLaterSteps() {
        var comparer = Comparer(namespace: "ns")
        comparer.generateNames = ["gen-"]
        comparer.compare(step: 0, recorded: Self.recorded(#"{"metadata":{"generateName":"gen-","name":"gen-x7k2p"}}"#),
                         actual: Self.response(#"{"metadata":{"generateName":"gen-","name":"gen-b4tqz"}}"#))
        #expect(comparer.differences.isEmpty)
        #expect(comparer.substitute("/api/v1/namespaces/ns/configmaps/gen-x7k2p") == "/api/v1/namespaces/ns/configmaps/gen-b4tqz")
        comparer.compare(step: 1, recorded: Self.recorded(#"{"message":"configmaps \"gen-x7k2p\" not found"}"#),
                         actual: Self.response(#"{"message":"configmaps \"other\" not found"}"#))
        #expect(comparer.differences.map(\.path) == ["/body/message"])
    }

    @Test func tableTimeCellsAreOnlyTypeChecked() {
        let table = #"{"kind":"Table","columnDefinitions":[{"name":"Name"},{"name":"Age"}],"rows":[{"cells":["a","5s"]}]}"#
        let found = Self.differences(Self.recorded(table), Self.response(table.replacingOccurrences(of: "5s", with: "3m")))
        #expect(found.isEmpty)
        let renamed = Self.differences(Self.recorded(table), Self.response(table.replacingOccurrences(of: #"["a""#, with: #"["b""#)))
        #expect(renamed.map(\.path) == ["/body/rows/0/cells/0"])
    }

    @Test func aTableWatchKeepsTheTimeColumnsOfItsFirstEvent() {
        // kube-apiserver sends columnDefinitions in the first event of a Table watch only (later: null).
        let first = #"{"type":"ADDED","object":{"kind":"Table","columnDefinitions":[{"name":"Name"},{"name":"Age"}],"rows":[{"cells":["a","0s"]}]}}"#
        let second = #"{"type":"ADDED","object":{"kind":"Table","columnDefinitions":null,"rows":[{"cells":["b","0s"]}]}}"#
        let recorded = Self.recorded("[" + first + "," + second + "]")
        var actual = Self.response(first + "\n" + second.replacingOccurrences(of: "0s", with: "1s") + "\n")
        actual.isWatch = true
        #expect(Self.differences(recorded, actual).isEmpty)
        var renamed = Self.response(first + "\n" + second.replacingOccurrences(of: #"["b""#, with: #"["c""#) + "\n")
        renamed.isWatch = true
        #expect(Self.differences(recorded, renamed).map(\.path) == ["/body/1/object/rows/0/cells/0"])
    }

    @Test func watchEventsAreComparedInOrder() {
        let recorded = Self.recorded(#"[{"type":"ADDED","object":{"metadata":{"name":"a"}}},{"type":"DELETED","object":{"metadata":{"name":"a"}}}]"#)
        var actual = Self.response(#"{"type":"ADDED","object":{"metadata":{"name":"a"}}}"# + "\n")
        actual.isWatch = true
        let found = Self.differences(recorded, actual)
        #expect(found.first?.path == "/body")
        #expect(found.first?.expected == "2 items [ADDED a, DELETED a]")
    }

    @Test func protobufBodiesCompareMagicAndTypeMeta() {
        // "k8s\0" + Unknown{typeMeta{apiVersion "v1", kind "Status"}}
        let status = Data([0x6B, 0x38, 0x73, 0x00, 0x0A, 0x0C, 0x0A, 0x02]) + Data("v1".utf8) + Data([0x12, 0x06]) + Data("Status".utf8)
        let list = Data([0x6B, 0x38, 0x73, 0x00, 0x0A, 0x0A, 0x0A, 0x02]) + Data("v1".utf8) + Data([0x12, 0x04]) + Data("List".utf8)
        let recorded = Self.json(#"{"status":406,"headers":{"Content-Type":"application/vnd.kubernetes.protobuf"},"body":"\#(status.base64EncodedString())","body_encoding":"base64 of the first 64 bytes"}"#)
        var same = Self.response(status: 406, "", contentType: "application/vnd.kubernetes.protobuf")
        same.body = status + Data([0x12, 0x00])
        #expect(Self.differences(recorded, same).isEmpty)
        var other = same
        other.body = list
        #expect(Self.differences(recorded, other).first?.actual == "protobuf v1 List")
    }

    @Test func yamlBodiesCompareAsStructure() {
        let recorded = Self.json(#"{"status":200,"headers":{"Content-Type":"application/yaml"},"body":"kind: ConfigMap\ndata:\n  a: \"1\"\n"}"#)
        #expect(Self.differences(recorded, Self.response("data: {a: '1'}\nkind: ConfigMap\n", contentType: "application/yaml")).isEmpty)
        #expect(Self.differences(recorded, Self.response("data: {a: 1}\nkind: ConfigMap\n", contentType: "application/yaml")).map(\.path) == ["/body/data/a"])
    }

    @Test func issuerDiscoveryNamesItsKeysAtAnyAdvertisedAddress() {
        let recorded = Self.json(#"{"status":200,"headers":{"Content-Type":"application/json"},"body":{"jwks_uri":"https://198.51.100.1:6443/openid/v1/jwks"}}"#)
        #expect(Self.differences(recorded, Self.response(#"{"jwks_uri":"https://127.0.0.1:41234/openid/v1/jwks"}"#)).isEmpty)
        #expect(Self.differences(recorded, Self.response(#"{"jwks_uri":"https://127.0.0.1:41234/keys"}"#)).map(\.path) == ["/body/jwks_uri"])
        #expect(Self.differences(recorded, Self.response(#"{"jwks_uri":"/openid/v1/jwks"}"#)).map(\.path) == ["/body/jwks_uri"])
    }

    @Test func resourceVersionsInsideAQuotedDocumentInAMessageAreValues() throws {
        // The message quotes a JSON document: `Invalid value: "{\"resourceVersion\":\"19753\"}"`.
        func message(_ rv: String) throws -> String {
            let quoted = String(decoding: try JSONEncoder().encode(#"{"resourceVersion":"\#(rv)"}"#), as: UTF8.self)
            return String(decoding: try JSONEncoder().encode(["message": "Invalid value: " + quoted]), as: UTF8.self)
        }
        #expect(try message("1").contains(#"\\\"resourceVersion\\\":\\\"1\\\""#))
        let recorded = Self.json(#"{"status":422,"headers":{"Content-Type":"application/json"},"body":\#(try message("19753"))}"#)
        #expect(Self.differences(recorded, Self.response(status: 422, try message("22"))).isEmpty)
        #expect(Self.differences(recorded, Self.response(status: 422, try message("x"))).map(\.path) == ["/body/message"])
    }

    @Test func allowListPatternsNameExchangeStepAndPath() throws {
        let recording = try ReplayRecording(document: Self.json(#"{"name":"jwks","steps":[{"request":{"method":"GET","path":"/x"},"response":{"status":200}}]}"#),
                                            file: "011-openid-discovery.json")
        let entry = ReplayAllowList.Entry(exchange: "011-openid-discovery", step: 2, path: "/body/keys/*/alg", reason: "ES256 keys")
        #expect(entry.matches(ReplayDifference(step: 2, path: "/body/keys/0/alg", expected: "", actual: ""), in: recording))
        #expect(!entry.matches(ReplayDifference(step: 3, path: "/body/keys/0/alg", expected: "", actual: ""), in: recording))
        #expect(!entry.matches(ReplayDifference(step: 2, path: "/body/keys/0/x/alg", expected: "", actual: ""), in: recording))
        let deep = ReplayAllowList.Entry(exchange: "jwks", path: "/body/**", reason: "any")
        #expect(deep.matches(ReplayDifference(step: 0, path: "/body/keys/0/x/alg", expected: "", actual: ""), in: recording))
        let several = ReplayAllowList.Entry(exchange: "jwks", steps: [2, 4], path: "/body/**message", reason: "Go structs")
        for (step, path, accepted) in [(2, "/body/message", true), (4, "/body/details/causes/0/message", true), (3, "/body/message", false)] {
            #expect(several.matches(ReplayDifference(step: step, path: path, expected: "", actual: ""), in: recording) == accepted)
        }
    }

    @Test func anAllowListFileNamesStepsAsOneOrAList() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("allow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func load(_ entry: String) throws(ReplayError) -> ReplayAllowList {
            let file = directory.appendingPathComponent("list.json").path
            _ = FileManager.default.createFile(atPath: file, contents: Data(#"{"entries": [\#(entry)]}"#.utf8))
            return try ReplayAllowList.load(file)
        }
        let reason = #""reason": "a reason long enough to read""#
        #expect(try load(#"{"exchange": "x", "step": 2, "path": "/a", \#(reason)}"#).entries.first?.steps == [2])
        #expect(try load(#"{"exchange": "x", "steps": [2, 5], "path": "/a", \#(reason)}"#).entries.first?.steps == [2, 5])
        #expect(try load(#"{"exchange": "x", "path": "/a", \#(reason)}"#).entries.first?.steps == [])
        for bad in [#""steps": []"#, #""steps": [1, "2"]"#, #""steps": 3"#, #""step": 1, "steps": [2]"#] {
            #expect(throws: ReplayError.self) { try load(#"{"exchange": "x", \#(bad), "path": "/a", \#(reason)}"#) }
        }
    }

    @Test func orderedJSONRoundTripsMembersAndNumbers() throws {
        let text = #"{"metadata":{"name":"f1","labelz":{"a":"b"}},"data":{"a":"1"},"extra":1.50,"u":"\u00e9\n"}"#
        let value = try ReplayJSON.parse(text)
        #expect(value.compactText == #"{"metadata":{"name":"f1","labelz":{"a":"b"}},"data":{"a":"1"},"extra":1.50,"u":"é\n"}"#)
        #expect(throws: ReplayJSON.ParseError.self) { try ReplayJSON.parse(#"{"a":}"#) }
        #expect(throws: ReplayJSON.ParseError.self) { try ReplayJSON.parse("[1,2") }
    }
}
