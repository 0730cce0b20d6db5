import Foundation

extension ProtobufSchema {
    /// Encodes the JSON form of a message of the named type (no envelope). Unknown JSON fields
    /// and `null`s are left out; a JSON value of the wrong type is an error naming its path.
    public func encode(_ value: JSONValue, message name: String) throws(ProtobufError) -> [UInt8] {
        var writer = ProtobufWriter()
        try encodeMessage(value, try message(named: name), depth: 0, into: &writer)
        return writer.bytes
    }

    /// Encodes an object as a `k8s\0` + `runtime.Unknown` body, the message chosen by its
    /// `apiVersion` and `kind` (which go into the envelope's type meta, not the message).
    public func encodeObject(_ object: JSONValue) throws(ProtobufError) -> [UInt8] {
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        guard let message = kinds["\(apiVersion)/\(kind)"] else {
            throw ProtobufError(.unknownMessage, "no protobuf message for \(apiVersion), Kind=\(kind)")
        }
        var raw = ProtobufWriter()
        try encodeMessage(object, message, depth: 0, into: &raw)
        var typeMeta = ProtobufWriter()
        typeMeta.lengthDelimited(1, Array(apiVersion.utf8))
        typeMeta.lengthDelimited(2, Array(kind.utf8))
        var envelope = ProtobufWriter(bytes: Self.magic)
        envelope.lengthDelimited(1, typeMeta.bytes)
        envelope.lengthDelimited(2, raw.bytes)
        envelope.lengthDelimited(3, [UInt8]())
        envelope.lengthDelimited(4, [UInt8]())
        return envelope.bytes
    }

    func encodeMessage(_ value: JSONValue, _ index: Int, depth: Int, into writer: inout ProtobufWriter) throws(ProtobufError) {
        guard depth < Self.maxDepth else { throw ProtobufError(.tooDeep, "values nested deeper than \(Self.maxDepth)") }
        let message = messages[index]
        switch message.form {
        case .object:
            guard case .object(let members) = value else { throw Self.wrongType(value, expected: "an object") }
            for field in message.fields {
                if field.inline {
                    try encodeInline(value, field, depth: depth, into: &writer)
                    continue
                }
                guard let member = members[field.name], member != .null else { continue }
                do throws(ProtobufError) {
                    try encodeField(member, field, depth: depth, into: &writer)
                } catch { throw error.under(field.name) }
            }
        case .time, .microtime:
            guard case .string(let text) = value, let date = RFC3339.parse(text) else {
                throw ProtobufError(.invalidValue, "expected an RFC 3339 timestamp, got \(Self.describe(value))")
            }
            let interval = date.timeIntervalSince1970
            var seconds = Int64(interval.rounded(.down))
            var nanos = Int64(((interval - Double(seconds)) * 1e6).rounded()) * 1000
            if nanos >= 1_000_000_000 { seconds += 1; nanos -= 1_000_000_000 }
            writer.key(1, .varint); writer.varint(UInt64(bitPattern: seconds))
            writer.key(2, .varint); writer.varint(UInt64(bitPattern: nanos))
        case .duration:
            guard case .string(let text) = value, let nanoseconds = GoDuration.parse(text) else {
                throw ProtobufError(.invalidValue, "expected a duration such as 1m30s, got \(Self.describe(value))")
            }
            writer.key(1, .varint); writer.varint(UInt64(bitPattern: nanoseconds))
        case .quantity:
            switch value {
            case .string(let text): writer.lengthDelimited(1, Array(text.utf8))
            case .int(let number): writer.lengthDelimited(1, Array(String(number).utf8))
            case .double(let number): writer.lengthDelimited(1, Array(String(number).utf8))
            default: throw Self.wrongType(value, expected: "a quantity string")
            }
        case .intorstring:
            switch value {
            case .int(let number):
                writer.key(1, .varint); writer.varint(0)
                writer.key(2, .varint); writer.varint(UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: number))))
            case .string(let text):
                writer.key(1, .varint); writer.varint(1)
                writer.key(2, .varint); writer.varint(0)
                writer.lengthDelimited(3, Array(text.utf8))
            default: throw Self.wrongType(value, expected: "an integer or a string")
            }
        case .raw:
            writer.lengthDelimited(1, JSONText.bytes(value))
        case .list:
            guard case .array(let items) = value else { throw Self.wrongType(value, expected: "an array") }
            guard let field = message.fields.first else { return }
            for (offset, item) in items.enumerated() {
                do throws(ProtobufError) { try encodeSingle(item, field, depth: depth, into: &writer) } catch { throw error.under("[\(offset)]") }
            }
        case .orbool, .orarray, .orstringarray:
            try encodeAlternative(value, message, depth: depth, into: &writer)
        }
    }

    /// `JSONSchemaPropsOrBool` (`true`/`false` or a schema), `...OrArray` and `...OrStringArray`
    /// (a schema or an array).
    private func encodeAlternative(_ value: JSONValue, _ message: Message, depth: Int, into writer: inout ProtobufWriter) throws(ProtobufError) {
        func field(_ number: Int) -> Field? { message.field(number: number) }
        switch (message.form, value) {
        case (.orbool, .bool(let allows)):
            writer.key(1, .varint); writer.varint(allows ? 1 : 0)
        case (.orbool, .object):
            writer.key(1, .varint); writer.varint(1)
            if let schema = field(2) { try encodeSingle(value, schema, depth: depth, into: &writer) }
        case (.orarray, .array(let items)), (.orstringarray, .array(let items)):
            guard let list = field(2) else { return }
            for (offset, item) in items.enumerated() {
                do throws(ProtobufError) { try encodeSingle(item, list, depth: depth, into: &writer) } catch { throw error.under("[\(offset)]") }
            }
        case (.orarray, .object), (.orstringarray, .object):
            if let schema = field(1) { try encodeSingle(value, schema, depth: depth, into: &writer) }
        default:
            throw Self.wrongType(value, expected: message.form == .orbool ? "a boolean or a schema" : "a schema or an array")
        }
    }

    /// An embedded struct: the parent's JSON object read as the nested message, written when
    /// any of its fields is present.
    private func encodeInline(_ value: JSONValue, _ field: Field, depth: Int, into writer: inout ProtobufWriter) throws(ProtobufError) {
        guard case .message(let index) = field.type, case .object(let members) = value,
            messages[index].fields.contains(where: { $0.inline || (members[$0.name].map { $0 != .null } ?? false) })
        else { return }
        var nested = ProtobufWriter()
        try encodeMessage(value, index, depth: depth + 1, into: &nested)
        if !nested.bytes.isEmpty { writer.lengthDelimited(field.number, nested.bytes) }
    }

    private func encodeField(_ value: JSONValue, _ field: Field, depth: Int, into writer: inout ProtobufWriter) throws(ProtobufError) {
        if let keyType = field.mapKey {
            guard case .object(let entries) = value else { throw Self.wrongType(value, expected: "an object") }
            for key in entries.keys.sorted() {
                var entry = ProtobufWriter()
                do throws(ProtobufError) {
                    try encodeScalar(keyType == .string ? .string(key) : (Int64(key).map(JSONValue.int) ?? .string(key)),
                                     number: 1, keyType, into: &entry)
                    if let item = entries[key], item != .null {
                        try encodeSingle(item, Field(number: 2, name: key, type: field.type, repeated: false), depth: depth, into: &entry)
                    }
                } catch { throw error.under(key) }
                writer.lengthDelimited(field.number, entry.bytes)
            }
        } else if field.repeated {
            guard case .array(let items) = value else { throw Self.wrongType(value, expected: "an array") }
            for (offset, item) in items.enumerated() {
                do throws(ProtobufError) { try encodeSingle(item, field, depth: depth, into: &writer) } catch { throw error.under("[\(offset)]") }
            }
        } else {
            try encodeSingle(value, field, depth: depth, into: &writer)
        }
    }

    private func encodeSingle(_ value: JSONValue, _ field: Field, depth: Int, into writer: inout ProtobufWriter) throws(ProtobufError) {
        if case .message(let index) = field.type {
            var nested = ProtobufWriter()
            try encodeMessage(value, index, depth: depth + 1, into: &nested)
            writer.lengthDelimited(field.number, nested.bytes)
        } else {
            try encodeScalar(value, number: field.number, field.type, into: &writer)
        }
    }

    private func encodeScalar(_ value: JSONValue, number: Int, _ type: FieldType, into writer: inout ProtobufWriter) throws(ProtobufError) {
        switch type {
        case .string:
            guard case .string(let text) = value else { throw Self.wrongType(value, expected: "a string") }
            writer.lengthDelimited(number, Array(text.utf8))
        case .bytes, .message:
            guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
                throw Self.wrongType(value, expected: "base64-encoded bytes")
            }
            writer.lengthDelimited(number, [UInt8](data))
        case .bool:
            guard case .bool(let flag) = value else { throw Self.wrongType(value, expected: "a boolean") }
            writer.key(number, .varint); writer.varint(flag ? 1 : 0)
        case .int32, .int64, .uint32, .uint64:
            guard let integer = value.intValue else { throw Self.wrongType(value, expected: "an integer") }
            if type == .int32, Int32(exactly: integer) == nil { throw ProtobufError(.invalidValue, "\(integer) does not fit in int32") }
            writer.key(number, .varint); writer.varint(UInt64(bitPattern: integer))
        case .double, .float:
            let number64: Double
            switch value {
            case .double(let double): number64 = double
            case .int(let integer): number64 = Double(integer)
            default: throw Self.wrongType(value, expected: "a number")
            }
            if type == .double { writer.key(number, .fixed64); writer.fixed64(number64.bitPattern) } else { writer.key(number, .fixed32); writer.fixed32(Float(number64).bitPattern) }
        }
    }

    static func wrongType(_ value: JSONValue, expected: String) -> ProtobufError {
        ProtobufError(.wrongJSONType, "expected \(expected), got \(describe(value))")
    }

    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
