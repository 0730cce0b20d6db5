import Foundation
import KubeCore

/// Steps of the exchanges recorded from a real kube-apiserver v1.36
/// (`../shared/fixtures/apiserver-v1.36`, format in its README), as a client test needs them.
enum RecordedExchanges {
    /// `$SHARED_DIR/fixtures/apiserver-v1.36`, or `../shared/...` beside the package.
    static let directory: URL? = {
        var candidates: [URL] = []
        if let shared = ProcessInfo.processInfo.environment["SHARED_DIR"] {
            candidates.append(URL(fileURLWithPath: shared).appendingPathComponent("fixtures/apiserver-v1.36"))
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/apiserver-v1.36"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }()

    /// Under `CI=true` missing recordings fail instead of skipping.
    static let requiredByCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Query parameters whose value is a boolean (`1` and `true` mean the same to the server).
    static let booleanParameters: Set<String> = ["watch", "allowWatchBookmarks", "force", "sendInitialEvents", "follow", "pretty"]

    struct Step: Sendable {
        var method: String
        var path: String
        /// The query parameters, and for a DELETE the members of its `DeleteOptions` body too.
        var options: [String: String]
        var contentType: String?
        var body: JSONValue?
        var status: Int
        /// A recorded failure: the error status, or the `ERROR` event ending a watch.
        var failure: (code: Int, reason: String?)?
        var responseContentType: String
        /// The response as sent: a watch's events one JSON document per line.
        var responseBody: String
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Step `index` of the exchange whose file name starts with `exchange` (`"030"`), with
    /// `{ns}` replaced by `namespace`.
    static func step(_ index: Int, of exchange: String, in directory: URL, namespace: String) throws -> Step {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        guard let name = names.first(where: { $0.hasPrefix(exchange + "-") && $0.hasSuffix(".json") }) else {
            throw Missing(description: "no recorded exchange \(exchange) in \(directory.path)")
        }
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            .replacingOccurrences(of: "{ns}", with: namespace)
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard let steps = document["steps"]?.arrayValue, steps.indices.contains(index),
            let request = steps[index]["request"], let response = steps[index]["response"]
        else { throw Missing(description: "\(name) has no step \(index)") }

        let method = request["method"]?.stringValue ?? ""
        var options: [String: String] = [:]
        for (key, value) in request["query"]?.objectValue ?? [:] {
            options[key] = normalized(key, value.stringValue ?? "")
        }
        var body = request["body"]
        if body == .null { body = nil }
        if method == "DELETE", let body { options.merge(deleteOptions(body)) { a, _ in a } }

        let status = response["status"]?.intValue.map { Int($0) } ?? 0
        let responseBody: String
        var failure: (code: Int, reason: String?)?
        if request["watch_stream"]?.boolValue == true {
            let events = response["body"]?.arrayValue ?? []
            responseBody = try events.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) + "\n" }.joined()
            if let last = events.last, last["type"]?.stringValue == "ERROR", let object = last["object"] {
                failure = (object["code"]?.intValue.map { Int($0) } ?? 0, object["reason"]?.stringValue)
            }
        } else {
            responseBody = try response["body"].map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } ?? ""
        }
        if !(200..<300).contains(status) { failure = (status, response["body"]?["reason"]?.stringValue) }
        return Step(
            method: method, path: request["path"]?.stringValue ?? "", options: options,
            contentType: request["headers"]?["Content-Type"]?.stringValue, body: body, status: status, failure: failure,
            responseContentType: response["headers"]?["Content-Type"]?.stringValue ?? "application/json", responseBody: responseBody)
    }

    /// The options a sent request carries, in the form ``Step/options`` has.
    static func options(_ request: StubServer.Request) -> [String: String] {
        var options: [String: String] = [:]
        var components = URLComponents()
        components.percentEncodedQuery = request.query.replacingOccurrences(of: "+", with: "%20")
        for item in components.queryItems ?? [] {
            options[item.name] = normalized(item.name, item.value ?? "")
        }
        if request.method == "DELETE", !request.body.isEmpty, let body = try? JSONDecoder().decode(JSONValue.self, from: request.body) {
            options.merge(deleteOptions(body)) { a, _ in a }
        }
        return options
    }

    static func normalized(_ name: String, _ value: String) -> String {
        booleanParameters.contains(name) && value == "1" ? "true" : value
    }

    /// A `DeleteOptions` body as options (`preconditions.uid`, `dryRun` → `All`); `kind` and `apiVersion` dropped.
    static func deleteOptions(_ body: JSONValue) -> [String: String] {
        var options: [String: String] = [:]
        for (key, value) in body.objectValue ?? [:] where key != "kind" && key != "apiVersion" {
            switch value {
            case .object(let members):
                for (inner, innerValue) in members { options["\(key).\(inner)"] = scalar(innerValue) }
            case .array(let items):
                options[key] = items.map(scalar).joined(separator: ",")
            default:
                options[key] = scalar(value)
            }
        }
        return options
    }

    static func scalar(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "null"
        default: String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
        }
    }

    /// `body` without an empty top-level `metadata` (typed review objects carry `metadata: {}`,
    /// as client-go's carry `metadata: {"creationTimestamp": null}`; the server reads both as none).
    static func withoutEmptyMetadata(_ body: JSONValue) -> JSONValue {
        guard case .object(var members) = body, members["metadata"] == .object([:]) else { return body }
        members["metadata"] = nil
        return .object(members)
    }
}
