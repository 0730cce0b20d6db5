import Foundation
import KubeCore

/// Fast, deterministic JSON output for stored objects: `kind`, `apiVersion`,
/// `metadata`, `spec`, `status` first (the order kube-apiserver prints), then the
/// other keys sorted.
enum JSONWriter {
    private static let leadingKeys = ["kind", "apiVersion", "metadata", "spec", "status"]

    static func data(_ value: JSONValue) -> Data { Data(bytes(value)) }

    static func bytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        write(value, into: &out)
        return out
    }

    static func string(_ value: JSONValue) -> String { String(decoding: bytes(value), as: UTF8.self) }

    /// Encodes any `Encodable` (a `Status`, a review) through `JSONValue`.
    static func encode(_ value: some Encodable) -> Data {
        guard let json = try? JSONValue(encoding: value) else { return Data("{}".utf8) }
        return data(json)
    }

    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        value.writeJSON(into: &out, leadingKeys: leadingKeys)
    }

    /// Parses a request body; the error text is what a 400 reports.
    static func parse(_ data: Data) throws(APIError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let error as DecodingError {
            let why: String
            switch error {
            case .dataCorrupted(let context):
                why = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? context.debugDescription
            default: why = "\(error)"
            }
            throw APIError.badRequest("json parse error: \(why)")
        } catch {
            throw APIError.badRequest("json parse error: \(error)")
        }
    }
}

extension JSONValue {
    /// The value at a dotted path (`spec.nodeName`), or `nil`.
    func value(atPath path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") {
            current = current?[String(part)]
        }
        return current
    }

    /// The scalar form field selectors compare against (`""` when absent).
    var fieldSelectorText: String {
        switch self {
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): String(number)
        default: ""
        }
    }

    /// `metadata` as an object (empty when missing).
    var metadataObject: [String: JSONValue] { self["metadata"]?.objectValue ?? [:] }

    /// `metadata.labels` as strings.
    var labels: [String: String] {
        guard let labels = self["metadata"]?["labels"]?.objectValue else { return [:] }
        return labels.compactMapValues(\.stringValue)
    }
}
