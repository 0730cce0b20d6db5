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
        switch value {
        case .null: out.append(contentsOf: Array("null".utf8))
        case .bool(let flag): out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .int(let number): out.append(contentsOf: Array(String(number).utf8))
        case .double(let number):
            if number.isFinite, number.rounded() == number, abs(number) < 1e15 {
                out.append(contentsOf: Array(String(Int64(number)).utf8))
            } else if number.isFinite {
                out.append(contentsOf: Array("\(number)".utf8))
            } else {
                out.append(contentsOf: Array("null".utf8))
            }
        case .string(let text): writeString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                write(item, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in leadingKeys {
                if let member = members[key] {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    writeString(key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(member, into: &out)
                }
            }
            for key in members.keys.sorted() where !leadingKeys.contains(key) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(members[key]!, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    static func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
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
