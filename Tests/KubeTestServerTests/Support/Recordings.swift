import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
@testable import KubeTestServer

/// One exchange recorded from kube-apiserver v1.36 (`../shared/fixtures/apiserver-v1.36`,
/// format in its README), replayed step by step against a ``KubeTestServer`` over HTTPS.
struct Recording: Sendable {
    let name: String
    let steps: [JSONValue]

    static var directory: URL {
        if let shared = ProcessInfo.processInfo.environment["SHARED_DIR"] {
            return URL(fileURLWithPath: shared).appendingPathComponent("fixtures/apiserver-v1.36")
        }
        // Tests/KubeTestServerTests/Support/Recordings.swift → the package root → ../shared.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/fixtures/apiserver-v1.36")
    }

    static func load(_ name: String) throws -> Recording {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".json"))
        let json = try JSONDecoder().decode(JSONValue.self, from: data)
        return Recording(name: name, steps: json["steps"]?.arrayValue ?? [])
    }

    func request(_ index: Int) -> JSONValue { steps[index]["request"] ?? .null }
    func response(_ index: Int) -> JSONValue { steps[index]["response"] ?? .null }
    /// The recorded response body with `{ns}` replaced.
    func body(_ index: Int, namespace: String) -> JSONValue { response(index)["body"].map { $0.substituting(namespace) } ?? .null }
}

/// Sends recorded requests with the recorder's user agent (so the default field manager is
/// `golden-recorder`), a fresh namespace for `{ns}`, and the identity each step names.
struct Replayer: Sendable {
    let recording: Recording
    let server: KubeTestServer
    let wire: Wire
    let namespace: String
    /// Responses so far, for the steps' `refs`.
    private let responses = ResponseLog()

    init(_ name: String, server: KubeTestServer, wire: Wire) throws {
        recording = try Recording.load(name)
        self.server = server
        self.wire = wire
        namespace = "fid" + String((0..<7).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }

    /// Sends step `index` and returns the response.
    @discardableResult
    func send(_ index: Int, token: String? = nil) async throws -> WireResponse {
        let request = recording.request(index)
        var path = (request["path"]?.stringValue ?? "/").replacingOccurrences(of: "{ns}", with: namespace)
        var query: [(String, String)] = []
        if case .object(let members)? = request["query"] {
            for (key, value) in members.sorted(by: { $0.key < $1.key }) {
                query.append((key, (value.stringValue ?? "").replacingOccurrences(of: "{ns}", with: namespace)))
            }
        }
        var body = request["body"]?.substituting(namespace)
        for (pointer, source) in recording.steps[index]["refs"]?.objectValue ?? [:] {
            guard let value = await responses.value(at: source.stringValue ?? "") else { continue }
            if pointer.hasPrefix("/body/") { body = body?.setting(value, at: pointer.dropFirst("/body/".count).split(separator: "/").map(String.init)) }
            if pointer.hasPrefix("/query/") {
                let key = String(pointer.dropFirst("/query/".count))
                query.removeAll { $0.0 == key }
                query.append((key, value.stringValue ?? ""))
            }
        }
        if !query.isEmpty {
            path += "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? $0.1)" }
                .joined(separator: "&")
        }
        let headers = request["headers"]?.objectValue ?? [:]
        var extra: [(String, String)] = [("User-Agent", "golden-recorder/1.0")]
        if let accept = headers["Accept"]?.stringValue { extra.append(("Accept", accept)) }
        var bearer = token
        let identity = headers["identity"]?.stringValue ?? "admin"
        if identity.hasPrefix("sa:") {
            let parts = identity.dropFirst(3).replacingOccurrences(of: "{ns}", with: namespace).split(separator: "/")
            bearer = try await server.mintServiceAccountToken(namespace: String(parts[0]), serviceAccount: String(parts[1]))
        } else if identity == "bad-token" {
            bearer = "this-is-not-a-valid-token"
        }
        let data: Data?
        switch body {
        case .string(let text)?: data = Data(text.utf8)
        case nil, .null?: data = nil
        case let value?: data = JSONWriter.data(value)
        }
        let method = HTTPMethod(rawValue: request["method"]?.stringValue ?? "GET")
        let response = try await wire.request(
            method, path, body: data, contentType: headers["Content-Type"]?.stringValue ?? "application/json", headers: extra, token: bearer)
        await responses.record(index, response.json)
        if method == .POST, path == "/api/v1/namespaces", response.status == 201, let created = response.json["metadata"]?["name"]?.stringValue {
            // The recordings were made without kube-controller-manager: a new namespace has no
            // `default` ServiceAccount and no `kube-root-ca.crt`, which this server seeds.
            _ = try await wire.delete("/api/v1/namespaces/\(created)/serviceaccounts/default")
            _ = try await wire.delete("/api/v1/namespaces/\(created)/configmaps/kube-root-ca.crt")
        }
        return response
    }

    /// Sends steps `range` in order (setup steps whose answers a test does not inspect).
    func send(_ range: ClosedRange<Int>) async throws {
        for index in range { try await send(index) }
    }

    func recordedBody(_ index: Int) -> JSONValue { recording.body(index, namespace: namespace) }
    func recordedStatus(_ index: Int) -> Int { Int(recording.response(index)["status"]?.intValue ?? 0) }

    /// Sends step `index` and returns the differences from the recorded status and body
    /// (values the README says cannot match are masked on both sides).
    func mismatches(_ index: Int) async throws -> [String] {
        let response = try await send(index)
        var differences: [String] = []
        if response.status != recordedStatus(index) {
            differences.append("step \(index): status \(response.status), recorded \(recordedStatus(index)): \(response.text.prefix(300))")
        }
        let recorded = recordedBody(index).masked()
        var actual = response.json.masked()
        if recording.request(index)["watch_stream"] == true {
            // A watch body is newline-delimited events; the recording lists them decoded.
            actual = .array(response.text.split(separator: "\n").map { line in
                ((try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8))) ?? .string(String(line))).masked()
            })
        } else if !(response.headers.first(name: "Content-Type") ?? "").hasPrefix("application/json") {
            actual = .string(response.text)
        }
        let recordedType = recording.response(index)["headers"]?["Content-Type"]?.stringValue
        if let recordedType, response.headers.first(name: "Content-Type") != recordedType {
            differences.append("step \(index): Content-Type \(response.headers.first(name: "Content-Type") ?? "none"), recorded \(recordedType)")
        }
        differences += JSONDiff.differences(recorded, actual).map { "step \(index): \($0)" }
        return differences
    }
}

private actor ResponseLog {
    var bodies: [Int: JSONValue] = [:]

    func record(_ index: Int, _ body: JSONValue) { bodies[index] = body }

    /// `/steps/<i>/response/body/...`.
    func value(at pointer: String) -> JSONValue? {
        let parts = pointer.split(separator: "/").map(String.init)
        guard parts.count >= 4, parts[0] == "steps", let index = Int(parts[1]), parts[2] == "response", parts[3] == "body" else { return nil }
        var value = bodies[index]
        for key in parts.dropFirst(4) {
            if let position = Int(key), case .array(let items)? = value { value = items.indices.contains(position) ? items[position] : nil } else { value = value?[key] }
        }
        return value
    }
}

/// Structural JSON differences, as `path: recorded … actual …` lines.
enum JSONDiff {
    static func differences(_ recorded: JSONValue, _ actual: JSONValue, path: String = "") -> [String] {
        switch (recorded, actual) {
        case (.object(let a), .object(let b)):
            var out: [String] = []
            for key in Set(a.keys).union(b.keys).sorted() {
                let sub = path + "." + key
                switch (a[key], b[key]) {
                case (let x?, let y?): out += differences(x, y, path: sub)
                case (let x?, nil): out.append("\(sub): missing (recorded \(compact(x)))")
                case (nil, let y?): out.append("\(sub): extra \(compact(y))")
                default: break
                }
            }
            return out
        case (.array(let a), .array(let b)) where a.count == b.count:
            return zip(a, b).enumerated().flatMap { differences($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]") }
        case (.int(let a), .double(let b)) where Double(a) == b: return []
        case (.double(let a), .int(let b)) where a == Double(b): return []
        default:
            return recorded == actual ? [] : ["\(path.isEmpty ? "." : path): recorded \(compact(recorded)), actual \(compact(actual))"]
        }
    }

    static func compact(_ value: JSONValue) -> String { String(JSONWriter.string(value).prefix(300)) }
}

extension JSONValue {
    /// `{ns}` replaced by `namespace` in every string and key.
    func substituting(_ namespace: String) -> JSONValue {
        switch self {
        case .string(let text): return .string(text.replacingOccurrences(of: "{ns}", with: namespace))
        case .array(let items): return .array(items.map { $0.substituting(namespace) })
        case .object(let members):
            return .object(Dictionary(uniqueKeysWithValues: members.map { ($0.key.replacingOccurrences(of: "{ns}", with: namespace), $0.value.substituting(namespace)) }))
        default: return self
        }
    }

    /// What cannot match between two servers (the README's list), replaced by a marker that
    /// still records that the value was there.
    func masked() -> JSONValue {
        switch self {
        case .object(var members):
            for key in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "time", "token", "expirationTimestamp",
                        "clusterIP", "nodePort", "continue"] where members[key] != nil && members[key] != .null {
                members[key] = "<set>"
            }
            if case .array(let ips)? = members["clusterIPs"], ips != ["None"] { members["clusterIPs"] = "<set>" }
            members["managedFields"] = nil
            // Table cells derived from times (Age, Last Seen, ...) depend on when the row was
            // printed: an age such as `0s`, `5m`, `3d4h` is masked (the README's list).
            if case .array(let cells)? = members["cells"] {
                members["cells"] = .array(cells.map { cell in cell.stringValue.map(Self.isAge) == true ? "<age>" : cell })
            }
            return .object(members.mapValues { $0.masked() })
        case .array(let items): return .array(items.map { $0.masked() })
        case .string(let text):
            if text.hasPrefix("kube-api-access-") { return "kube-api-access-<random>" }
            if text.hasPrefix("JTI=") { return "JTI=<jti>" }
            if text.count == 36, UUID(uuidString: text) != nil { return "<uuid>" }
            if text.hasPrefix("ey"), text.split(separator: ".").count == 3 { return "<jwt>" }
            return self
        default: return self
        }
    }

    /// `0s`, `59s`, `5m`, `2m3s`, `3d4h`, `<unknown>`: kube's short human durations.
    static func isAge(_ text: String) -> Bool {
        if text == "<unknown>" { return true }
        guard let first = text.first, first.isNumber, let last = text.last, "smhdy".contains(last) else { return false }
        return text.allSatisfy { $0.isNumber || "smhdy".contains($0) }
    }

    /// The value with `new` at the object path `keys` (intermediate objects created).
    func setting(_ new: JSONValue, at keys: [String]) -> JSONValue {
        guard let first = keys.first else { return new }
        var copy = self.objectValue ?? [:]
        copy[first] = (copy[first] ?? [:]).setting(new, at: Array(keys.dropFirst()))
        return .object(copy)
    }
}
