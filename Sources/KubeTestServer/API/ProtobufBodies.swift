import Foundation
import KubeCore

/// kubectl sends some typed requests as protobuf (`application/vnd.kubernetes.protobuf`):
/// `auth whoami`, `auth can-i`, `create token`. This decodes the bodies of exactly
/// those kinds (the `k8s\0` envelope around `runtime.Unknown`) into JSON; responses
/// are always JSON, which kubectl accepts.
enum ProtobufBodies {
    static let contentType = "application/vnd.kubernetes.protobuf"

    /// Field number → (JSON name, nested schema or nil for scalars, repeated, isInt).
    private indirect enum Schema {
        case message([Int: (String, Schema?, Bool, Bool)])
    }

    private static let objectMeta: Schema = .message([1: ("name", nil, false, false), 3: ("namespace", nil, false, false)])
    private static let resourceAttributes: Schema = .message([
        1: ("namespace", nil, false, false), 2: ("verb", nil, false, false), 3: ("group", nil, false, false),
        4: ("version", nil, false, false), 5: ("resource", nil, false, false), 6: ("subresource", nil, false, false),
        7: ("name", nil, false, false),
    ])
    private static let nonResourceAttributes: Schema = .message([1: ("path", nil, false, false), 2: ("verb", nil, false, false)])

    private static let schemas: [String: Schema] = [
        "TokenRequest": .message([
            1: ("metadata", objectMeta, false, false),
            2: ("spec", .message([
                1: ("audiences", nil, true, false), 4: ("expirationSeconds", nil, false, true),
                3: ("boundObjectRef", .message([1: ("kind", nil, false, false), 2: ("apiVersion", nil, false, false),
                                                3: ("name", nil, false, false), 4: ("uid", nil, false, false)]), false, false),
            ]), false, false),
        ]),
        "SelfSubjectReview": .message([1: ("metadata", objectMeta, false, false)]),
        "SelfSubjectAccessReview": .message([
            1: ("metadata", objectMeta, false, false),
            2: ("spec", .message([1: ("resourceAttributes", resourceAttributes, false, false),
                                  2: ("nonResourceAttributes", nonResourceAttributes, false, false)]), false, false),
        ]),
        "SelfSubjectRulesReview": .message([
            1: ("metadata", objectMeta, false, false), 2: ("spec", .message([1: ("namespace", nil, false, false)]), false, false),
        ]),
    ]

    /// The JSON form of a protobuf body of one of the supported kinds.
    static func decode(_ data: Data) throws(APIError) -> JSONValue {
        let bytes = [UInt8](data)
        guard bytes.count > 4, bytes[0..<4] == [0x6b, 0x38, 0x73, 0x00] else {
            throw APIError.badRequest("provided protobuf data is not prefixed with the Kubernetes magic number")
        }
        var reader = Reader(bytes: bytes[4...])
        var apiVersion = "", kind = ""
        var raw: ArraySlice<UInt8> = []
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let typeMeta)):
                var inner = Reader(bytes: typeMeta)
                while let (f, v) = try inner.next() {
                    if case .bytes(let text) = v {
                        if f == 1 { apiVersion = String(decoding: text, as: UTF8.self) }
                        if f == 2 { kind = String(decoding: text, as: UTF8.self) }
                    }
                }
            case (2, .bytes(let bytes)): raw = bytes
            default: break
            }
        }
        guard let schema = schemas[kind] else {
            throw APIError.unsupportedMediaType(contentType, accepted: ["application/json"])
        }
        var object = try message(raw, schema).objectValue ?? [:]
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return .object(object)
    }

    private static func message(_ bytes: ArraySlice<UInt8>, _ schema: Schema) throws(APIError) -> JSONValue {
        guard case .message(let fields) = schema else { return .null }
        var reader = Reader(bytes: bytes)
        var object: [String: JSONValue] = [:]
        while let (field, value) = try reader.next() {
            guard let (name, nested, repeated, isInt) = fields[field] else { continue }
            let json: JSONValue
            switch value {
            case .varint(let number): json = isInt ? .int(Int64(bitPattern: number)) : .bool(number != 0)
            case .bytes(let bytes):
                if let nested { json = try message(bytes, nested) } else { json = .string(String(decoding: bytes, as: UTF8.self)) }
            }
            if repeated {
                object[name] = .array((object[name]?.arrayValue ?? []) + [json])
            } else {
                object[name] = json
            }
        }
        return .object(object)
    }

    private enum Value {
        case varint(UInt64)
        case bytes(ArraySlice<UInt8>)
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func varint() throws(APIError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = bytes.first {
                bytes = bytes.dropFirst()
                result |= UInt64(byte & 0x7f) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { break }
            }
            throw APIError.badRequest("malformed protobuf body")
        }

        mutating func next() throws(APIError) -> (Int, Value)? {
            guard !bytes.isEmpty else { return nil }
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: return (field, .varint(try varint()))
            case 2:
                let length = Int(try varint())
                guard length >= 0, length <= bytes.count else { throw APIError.badRequest("malformed protobuf body") }
                let value = bytes.prefix(length)
                bytes = bytes.dropFirst(length)
                return (field, .bytes(value))
            case 1:
                guard bytes.count >= 8 else { throw APIError.badRequest("malformed protobuf body") }
                bytes = bytes.dropFirst(8)
                return (field, .varint(0))
            case 5:
                guard bytes.count >= 4 else { throw APIError.badRequest("malformed protobuf body") }
                bytes = bytes.dropFirst(4)
                return (field, .varint(0))
            default:
                throw APIError.badRequest("malformed protobuf body")
            }
        }
    }
}
