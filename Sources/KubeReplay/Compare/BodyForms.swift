import Foundation
import Yams

/// What the replay received for one request.
struct ReplayedResponse: Sendable {
    var status: Int
    var contentType: String?
    var warnings: [String]
    var retryAfter: String?
    var body: Data
    /// The request was a watch (`watch_stream`): `events` holds the decoded lines.
    var isWatch = false
    /// The watch did not end by itself within the replay's limit.
    var watchCutShort = false

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    var json: ReplayJSON? { try? ReplayJSON.parse(body) }

    var events: [ReplayJSON]? { try? ReplayJSON.parseLines(body) }
}

/// YAML bodies compared as the JSON structure they encode.
enum YAMLText {
    static func parse(_ text: String) -> ReplayJSON? {
        var resolver = Resolver.default
        resolver = resolver.removing(.timestamp)
        guard let value = try? Yams.load(yaml: text, resolver) else { return nil }
        return ReplayJSON.fromYAML(value)
    }
}

/// The start of a Kubernetes protobuf body: the `k8s\0` magic, then a `runtime.Unknown`
/// whose field 1 is the TypeMeta (apiVersion, kind). A watch stream frames each event
/// with a 4-byte length first; the event's object is such an envelope again.
struct ProtobufPrefix: Equatable, CustomStringConvertible {
    var magic: Bool
    var apiVersion: String?
    var kind: String?
    /// For a watch frame: the event type.
    var eventType: String?

    init(_ data: Data) {
        var bytes = [UInt8](data)
        var eventType: String?
        if bytes.count > 4, Array(bytes[0..<4]) != [0x6B, 0x38, 0x73, 0x00] {
            // A length-prefixed watch frame: a `metav1.WatchEvent` {1: type, 2: RawExtension{1: raw}}.
            bytes.removeFirst(4)
            var reader = Reader(bytes: bytes[...])
            var raw: ArraySlice<UInt8>?
            while let (field, value) = reader.nextLengthDelimited() {
                if field == 1 { eventType = String(decoding: value, as: UTF8.self) }
                if field == 2 {
                    var inner = Reader(bytes: value)
                    if let (innerField, innerValue) = inner.nextLengthDelimited(), innerField == 1 { raw = innerValue }
                    break
                }
            }
            bytes = raw.map(Array.init) ?? []
        }
        self.eventType = eventType
        magic = bytes.count >= 4 && Array(bytes[0..<4]) == [0x6B, 0x38, 0x73, 0x00]
        guard magic else { return }
        var reader = Reader(bytes: bytes[4...])
        guard let (field, typeMeta) = reader.nextLengthDelimited(), field == 1 else { return }
        var inner = Reader(bytes: typeMeta)
        while let (innerField, value) = inner.nextLengthDelimited() {
            if innerField == 1 { apiVersion = String(decoding: value, as: UTF8.self) }
            if innerField == 2 { kind = String(decoding: value, as: UTF8.self) }
        }
    }

    var description: String {
        guard magic else { return "not a Kubernetes protobuf body" }
        let type = "protobuf \(apiVersion ?? "?") \(kind ?? "?")"
        return eventType.map { "watch event \($0) of \(type)" } ?? type
    }

    /// Reads length-delimited fields; stops at the end, at a truncated field, or at another wire type.
    struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = bytes.first {
                bytes = bytes.dropFirst()
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }

        mutating func nextLengthDelimited() -> (Int, ArraySlice<UInt8>)? {
            guard let tag = varint(), tag & 7 == 2, let length = varint() else { return nil }
            // The recorded prefix is cut at 64 bytes: keep what is there.
            let count = min(Int(length), bytes.count)
            let value = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return (Int(tag >> 3), value)
        }
    }
}
