import Foundation
import KubeCore
import KubeModels
import Testing

/// Every response body recorded from a real kube-apiserver v1.36
/// (`../shared/fixtures/apiserver-v1.36`, 124 exchanges) that names a kind with a Swift
/// type is decoded with that type, by both decoders (`JSONReadable` and `Codable`), and
/// encoded again: what real servers send must decode, and nothing but explicit `null`s may
/// be lost on the way back. Watch streams count each event's object as a body.
@Suite(.timeLimit(.minutes(5))) struct RecordedResponsesTests {
    /// One recorded body: where it is, and its JSON.
    struct Body: Sendable {
        var location: String
        /// The request path (`/api/v1/namespaces/{ns}/pods`).
        var path: String
        var json: JSONValue
        var apiVersion: String? { json["apiVersion"]?.stringValue }
        var kind: String? { json["kind"]?.stringValue }
    }

    /// The outcome for one body that has a Swift type.
    struct Outcome {
        var type: String
        var location: String
        /// Why a decoder failed (`nil`: both decoded, to equal values).
        var decodeFailure: String?
        /// Paths whose value the re-encoded JSON lacks or changes, beyond explicit `null`s.
        var lost: [String] = []
        /// Members the re-encoded JSON has and the recording had not.
        var added: [String] = []
        /// Members that were `null` in the recording and are absent after re-encoding.
        var droppedNulls: [String] = []
    }

    static let recordings: URL? = {
        var candidates: [URL] = []
        if let shared = ProcessInfo.processInfo.environment["SHARED_DIR"] {
            candidates.append(URL(fileURLWithPath: shared).appendingPathComponent("fixtures/apiserver-v1.36"))
        }
        candidates.append(TestPaths.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/apiserver-v1.36"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }()

    /// Every JSON response body of every exchange (watch streams: each event's object),
    /// read once for the suite (parsing 124 recordings takes seconds in a debug build).
    static func bodies() throws -> (files: Int, bodies: [Body]) {
        _ = try #require(recordings, "the recordings are missing: set SHARED_DIR or check out ../shared")
        return try loaded.get()
    }

    private static let loaded = Result { () throws -> (files: Int, bodies: [Body]) in
        guard let directory = recordings else { return (0, []) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") && $0.first?.isNumber == true }.sorted()
        var bodies: [Body] = []
        for name in names {
            let exchange = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
            for (index, step) in (exchange["steps"]?.arrayValue ?? []).enumerated() {
                guard let body = step["response"]?["body"] else { continue }
                let location = "\(name) step \(index)"
                let path = step["request"]?["path"]?.stringValue ?? ""
                if step["request"]?["watch_stream"]?.boolValue == true {
                    for (number, event) in (body.arrayValue ?? []).enumerated() {
                        if let object = event["object"], case .object = object {
                            bodies.append(Body(location: "\(location) event \(number)", path: path, json: object))
                        }
                    }
                } else if case .object = body {
                    bodies.append(Body(location: location, path: path, json: body))
                }
            }
        }
        return (names.count, bodies)
    }

    static func check<T: Codable & Sendable & Hashable & JSONReadable>(_ type: T.Type, _ body: Body) -> Outcome {
        var outcome = Outcome(type: String(reflecting: T.self), location: body.location)
        let bytes: Data
        do { bytes = try JSONEncoder().encode(body.json) } catch {
            outcome.decodeFailure = "the recording does not encode: \(error)"
            return outcome
        }
        let fast: T
        let codable: T
        do { fast = try T.read(from: bytes) } catch {
            outcome.decodeFailure = "JSONReadable: \(error)"
            return outcome
        }
        do { codable = try JSONDecoder().decode(T.self, from: bytes) } catch {
            outcome.decodeFailure = "Codable: \(error)"
            return outcome
        }
        guard fast == codable else {
            outcome.decodeFailure = "the two decoders disagree"
            return outcome
        }
        do {
            let encoded = try JSONValue(encoding: codable)
            Self.compare(body.json, encoded, path: "$", into: &outcome)
        } catch {
            outcome.decodeFailure = "the decoded value does not encode: \(error)"
        }
        return outcome
    }

    /// Records in `outcome` every path where `actual` differs from `expected` (up to key
    /// order, and integers written as whole doubles).
    static func compare(_ expected: JSONValue, _ actual: JSONValue?, path: String, into outcome: inout Outcome) {
        switch (expected, actual) {
        case (.null, nil):
            outcome.droppedNulls.append(path)
        case (.object(let members), .object(let other)?):
            for (key, value) in members { compare(value, other[key], path: "\(path).\(key)", into: &outcome) }
            for key in other.keys where members[key] == nil { outcome.added.append("\(path).\(key)") }
        case (.array(let items), .array(let other)?) where items.count == other.count:
            for (index, item) in items.enumerated() { compare(item, other[index], path: "\(path)[\(index)]", into: &outcome) }
        case (.int(let number), .double(let double)?) where Double(number) == double:
            break
        case (.double(let double), .int(let number)?) where Double(number) == double:
            break
        default:
            if expected != actual { outcome.lost.append(path) }
        }
    }

    /// The Swift type of a body: by `apiVersion` and `kind`; discovery's `APIResourceList`
    /// comes without an `apiVersion` (it is `v1`), and `/version` without a kind.
    static func type(of body: Body) -> BuiltinKinds.Model? {
        if body.path == "/version", body.kind == nil { return Version.Info.self }
        guard let kind = body.kind else { return nil }
        if body.apiVersion == nil, kind == "APIResourceList" { return Meta.V1.APIResourceList.self }
        return body.apiVersion.flatMap { BuiltinKinds.type(apiVersion: $0, kind: kind) }
    }

    static func outcomes() throws -> (files: Int, bodies: Int, untyped: [String: Int], outcomes: [Outcome]) {
        let (files, bodies) = try Self.bodies()
        var untyped: [String: Int] = [:]
        var outcomes: [Outcome] = []
        for body in bodies {
            guard let type = Self.type(of: body) else {
                untyped["\(body.apiVersion ?? "-") \(body.kind ?? "-")", default: 0] += 1
                continue
            }
            outcomes.append(check(type, body))
        }
        return (files, bodies.count, untyped, outcomes)
    }

    @Test func everyRecordedBodyWithASwiftTypeDecodesAndReencodes() throws {
        let (files, count, untyped, outcomes) = try Self.outcomes()
        #expect(files == 124)
        #expect(outcomes.count > 600, "too few typed bodies: the kind table lost entries")
        for outcome in outcomes {
            if let failure = outcome.decodeFailure {
                Issue.record("\(outcome.location): \(outcome.type) does not decode: \(failure)")
            }
            #expect(outcome.lost.isEmpty, "\(outcome.location): \(outcome.type) loses \(outcome.lost)")
        }
        let decoded = outcomes.filter { $0.decodeFailure == nil }
        var dropped: [String: Set<String>] = [:]
        var added: [String: Set<String>] = [:]
        var lost: [String: Set<String>] = [:]
        for outcome in decoded {
            if !outcome.lost.isEmpty { lost[outcome.type, default: []].formUnion(outcome.lost.map(Self.withoutIndexes)) }
            if !outcome.droppedNulls.isEmpty { dropped[outcome.type, default: []].formUnion(outcome.droppedNulls.map(Self.withoutIndexes)) }
            if !outcome.added.isEmpty { added[outcome.type, default: []].formUnion(outcome.added.map(Self.withoutIndexes)) }
            // The only members encoding may add: the constant `apiVersion`/`kind` of list items
            // (the server leaves them out of items; every kind writes its own).
            for path in outcome.added {
                #expect(path.hasSuffix(".apiVersion") || path.hasSuffix(".kind"), "\(outcome.location): \(outcome.type) adds \(path)")
            }
        }
        let kinds = Set(outcomes.map(\.type))
        print("recorded bodies: \(count) in \(files) exchanges; with a Swift type: \(outcomes.count) (\(kinds.count) types), decoded: \(decoded.count)")
        print("without a Swift type: \(untyped.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))")
        for (type, paths) in dropped.sorted(by: { $0.key < $1.key }) {
            print("re-encode drops explicit null: \(type): \(paths.sorted().joined(separator: ", "))")
        }
        for (type, paths) in lost.sorted(by: { $0.key < $1.key }) {
            print("re-encode loses: \(type): \(paths.sorted().joined(separator: ", "))")
        }
        for (type, paths) in added.sorted(by: { $0.key < $1.key }) {
            print("re-encode adds: \(type): \(paths.sorted().joined(separator: ", "))")
        }
    }

    /// `$.items[3].eventTime` → `$.items[].eventTime`, to group paths across list items.
    static func withoutIndexes(_ path: String) -> String {
        path.replacingOccurrences(of: #"\[\d+\]"#, with: "[]", options: .regularExpression)
    }

    /// Item 11 of issue 12: a legacy core/v1 Event read through `events.k8s.io/v1` has
    /// `"eventTime": null`; a typed list of such a cluster used to fail entirely.
    @Test func legacyEventReadAsEventsV1() throws {
        let (_, bodies) = try Self.bodies()
        let list = try #require(bodies.first { $0.location == "115-core-event-read-as-events-v1.json step 3" })
        #expect(list.kind == "EventList")
        #expect(list.json["items"]?.arrayValue?.first?["eventTime"] == .null)
        let bytes = try JSONEncoder().encode(list.json)
        for events in [try ObjectList<Events.V1.Event>.read(from: bytes), try JSONDecoder().decode(ObjectList<Events.V1.Event>.self, from: bytes)] {
            let event = try #require(events.items.first)
            #expect(event.eventTime == nil)
            #expect(event.reason == "BackOff")
            #expect(event.note == "Back-off restarting failed container")
            #expect(event.deprecatedCount == 7)
            #expect(event.deprecatedFirstTimestamp?.description == "2026-01-01T00:00:00Z")
            #expect(event.regarding?.name == "web-1")
        }
        // An absent eventTime is written as absent, which the server reads as the same zero value.
        let event = Events.V1.Event(metadata: ObjectMeta(name: "e"), reason: "BackOff")
        let encoded = try JSONValue(encoding: event)
        #expect(encoded["eventTime"] == nil)
        // A set one still round-trips with microseconds.
        let timed = try JSONDecoder().decode(
            Events.V1.Event.self, from: Data(#"{"metadata":{"name":"e"},"eventTime":"2026-12-01T21:08:12.123456Z"}"#.utf8))
        #expect(timed.eventTime?.description == "2026-12-01T21:08:12.123456Z")
    }

    @Test func everyKindOfTheTableHasItsOwnApiVersionAndKind() {
        for (key, type) in BuiltinKinds.types {
            guard let kinded = type as? any KubeResource.Type else { continue }
            #expect("\(kinded.apiVersion)/\(kinded.kind)" == key)
        }
        func identity(_ type: BuiltinKinds.Model?) -> ObjectIdentifier? { type.map { ObjectIdentifier($0) } }
        #expect(identity(BuiltinKinds.type(apiVersion: "v1", kind: "Pod")) == ObjectIdentifier(Core.V1.Pod.self))
        #expect(identity(BuiltinKinds.type(apiVersion: "v1", kind: "Status")) == ObjectIdentifier(Status.self))
        #expect(identity(BuiltinKinds.type(apiVersion: "apps/v1", kind: "DeploymentList")) == ObjectIdentifier(Apps.V1.DeploymentList.self))
        #expect(BuiltinKinds.type(apiVersion: "example.com/v1", kind: "Widget") == nil)
    }
}
