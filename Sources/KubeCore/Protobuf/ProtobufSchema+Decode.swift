import Foundation

extension ProtobufSchema {
    /// The `k8s\0` magic that starts every `application/vnd.kubernetes.protobuf` body.
    public static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]

    /// Decodes one message (no envelope) of the named type (`api.core.v1.Pod`) into its JSON form.
    public func decode(_ bytes: [UInt8], message name: String) throws(ProtobufError) -> JSONValue {
        let message = try message(named: name)
        return try Self.withBuffer(bytes) { (buffer) throws(ProtobufError) -> JSONValue in
            try decodeMessage(ProtobufReader(buffer, range: 0..<buffer.count), message, depth: 0)
        }
    }

    /// Decodes a `k8s\0` + `runtime.Unknown` body into the object's JSON (with `apiVersion` and
    /// `kind` from the envelope's type meta).
    public func decodeObject(_ bytes: [UInt8]) throws(ProtobufError) -> JSONValue {
        try Self.withBuffer(bytes) { (buffer) throws(ProtobufError) -> JSONValue in
            try decodeEnvelope(buffer, range: 0..<buffer.count, depth: 0)
        }
    }

    /// The `apiVersion` and `kind` of a `k8s\0` + `runtime.Unknown` body, without decoding the object.
    public func typeMeta(ofObject bytes: [UInt8]) throws(ProtobufError) -> (apiVersion: String, kind: String) {
        try Self.withBuffer(bytes) { (buffer) throws(ProtobufError) -> (apiVersion: String, kind: String) in
            let unknown = try Self.unknown(buffer, range: 0..<buffer.count)
            return (unknown.apiVersion, unknown.kind)
        }
    }

    static func withBuffer<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ProtobufError) -> R) throws(ProtobufError) -> R {
        let result: Result<R, ProtobufError> = bytes.withUnsafeBytes { buffer in
            do throws(ProtobufError) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    struct Unknown {
        var apiVersion = "", kind = "", contentEncoding = ""
        var raw: Range<Int> = 0..<0
    }

    static func unknown(_ buffer: UnsafeRawBufferPointer, range: Range<Int>) throws(ProtobufError) -> Unknown {
        guard range.count >= 4, buffer[range.lowerBound] == 0x6b, buffer[range.lowerBound + 1] == 0x38,
            buffer[range.lowerBound + 2] == 0x73, buffer[range.lowerBound + 3] == 0x00
        else {
            throw ProtobufError(.notAnEnvelope, "provided protobuf data is not prefixed with the Kubernetes magic number")
        }
        var reader = ProtobufReader(buffer, range: (range.lowerBound + 4)..<range.upperBound)
        var unknown = Unknown()
        while let (number, wireType) = try reader.nextKey() {
            guard wireType == .lengthDelimited else { try reader.skip(wireType); continue }
            let value = try reader.lengthDelimited()
            switch number {
            case 1:
                var typeMeta = ProtobufReader(buffer, range: value)
                while let (field, type) = try typeMeta.nextKey() {
                    guard type == .lengthDelimited else { try typeMeta.skip(type); continue }
                    let text = try typeMeta.lengthDelimited()
                    if field == 1 { unknown.apiVersion = typeMeta.string(text) }
                    if field == 2 { unknown.kind = typeMeta.string(text) }
                }
            case 2: unknown.raw = value
            case 3: unknown.contentEncoding = reader.string(value)
            default: break
            }
        }
        return unknown
    }

    func decodeEnvelope(_ buffer: UnsafeRawBufferPointer, range: Range<Int>, depth: Int) throws(ProtobufError) -> JSONValue {
        let unknown = try Self.unknown(buffer, range: range)
        guard unknown.contentEncoding.isEmpty else {
            throw ProtobufError(.invalidValue, "unsupported content encoding \(unknown.contentEncoding)")
        }
        guard let message = kinds["\(unknown.apiVersion)/\(unknown.kind)"] else {
            throw ProtobufError(.unknownMessage, "no protobuf message for \(unknown.apiVersion), Kind=\(unknown.kind)")
        }
        var object = try decodeMessage(ProtobufReader(buffer, range: unknown.raw), message, depth: depth + 1)
        if case .object(var members) = object {
            members["apiVersion"] = .string(unknown.apiVersion)
            members["kind"] = .string(unknown.kind)
            object = .object(members)
        }
        return object
    }

    func decodeMessage(_ reader: ProtobufReader, _ index: Int, depth: Int) throws(ProtobufError) -> JSONValue {
        guard depth < Self.maxDepth else { throw ProtobufError(.tooDeep, "messages nested deeper than \(Self.maxDepth)") }
        let message = messages[index]
        if message.form == .raw { return try decodeRaw(reader, depth: depth) }
        var members: [String: JSONValue] = [:]
        var lists: [Int: [JSONValue]] = [:]
        var maps: [Int: [String: JSONValue]] = [:]
        // Singular message fields already decoded (by number: below 64 as bits, higher in the list).
        var done: UInt64 = 0
        var doneHigh: [Int] = []
        let whole = reader
        var reader = reader
        while let (number, wireType) = try reader.nextKey() {
            guard let slot = number < message.byNumber.count ? message.byNumber[number] : nil, slot >= 0 else {
                try reader.skip(wireType)
                continue
            }
            let field = message.fields[slot]
            do throws(ProtobufError) {
                if let keyType = field.mapKey {
                    let (key, value) = try decodeMapEntry(&reader, wireType, keyType: keyType, valueType: field.type, depth: depth)
                    maps[slot, default: [:]][key] = value
                } else if field.repeated {
                    if wireType == .lengthDelimited, field.type.isPackable {
                        let packed = try reader.lengthDelimited()
                        var inner = ProtobufReader(reader.base, range: packed)
                        while !inner.isAtEnd { lists[slot, default: []].append(try scalar(&inner, field.type.wireType, field.type)) }
                    } else {
                        let count = lists[slot]?.count ?? 0
                        do throws(ProtobufError) {
                            lists[slot, default: []].append(try value(&reader, wireType, field.type, depth: depth))
                        } catch { throw error.under("[\(count)]") }
                    }
                } else {
                    var decoded: JSONValue
                    if case .message(let inner) = field.type {
                        // Protobuf merges the occurrences of a singular message field (Go's generated
                        // code unmarshals each into the same struct), which is decoding their bytes
                        // concatenated: done at the first occurrence when another follows, once.
                        if number < 64 ? done & (1 &<< UInt64(number)) != 0 : doneHigh.contains(number) {
                            try reader.skip(wireType)
                            continue
                        }
                        if number < 64 { done |= 1 &<< UInt64(number) } else { doneHigh.append(number) }
                        var after = reader
                        try after.skip(wireType)
                        if Self.occurs(number, in: after) {
                            reader = after
                            decoded = try decodeMerged(whole, number: number, message: inner, depth: depth + 1)
                        } else {
                            decoded = try value(&reader, wireType, field.type, depth: depth)
                        }
                    } else {
                        decoded = try value(&reader, wireType, field.type, depth: depth)
                    }
                    if field.inline, case .object(let inlined) = decoded {
                        members.merge(inlined) { _, new in new }
                        continue
                    }
                    switch decoded {
                    case .null: continue
                    case .string(let text) where text.isEmpty && field.type == .string: continue
                    default: members[field.name] = decoded
                    }
                }
            } catch {
                throw error.under(field.name)
            }
        }
        for (slot, values) in lists { members[message.fields[slot].name] = .array(values) }
        for (slot, values) in maps { members[message.fields[slot].name] = .object(values) }
        return try Self.shape(members, form: message.form)
    }

    /// Whether field `number` occurs in the rest of the message `reader` stands in (`false` where
    /// the rest is malformed before one: decoding stops there with the error anyway).
    static func occurs(_ number: Int, in reader: ProtobufReader) -> Bool {
        var reader = reader
        while let (found, wireType) = try? reader.nextKey() {
            if found == number { return true }
            guard (try? reader.skip(wireType)) != nil else { return false }
        }
        return false
    }

    /// Every occurrence of the singular message field `number` in the message `reader` stands at,
    /// decoded as one message of type `message` (the occurrences' bytes concatenated, which is
    /// how protobuf defines merging them).
    func decodeMerged(_ reader: ProtobufReader, number: Int, message: Int, depth: Int) throws(ProtobufError) -> JSONValue {
        var reader = reader
        var bytes: [UInt8] = []
        while let (found, wireType) = try reader.nextKey() {
            guard found == number else { try reader.skip(wireType); continue }
            guard wireType == .lengthDelimited else {
                throw ProtobufError(.wrongWireType, "a message field arrived with wire type \(wireType.rawValue)", offset: reader.index)
            }
            bytes.append(contentsOf: reader.base[try reader.lengthDelimited()])
        }
        let result: Result<JSONValue, ProtobufError> = bytes.withUnsafeBytes { buffer in
            do throws(ProtobufError) {
                return .success(try decodeMessage(ProtobufReader(buffer, range: 0..<buffer.count), message, depth: depth))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The JSON of a message with a special form, from the generic decoding of its fields.
    private static func shape(_ members: [String: JSONValue], form: Form) throws(ProtobufError) -> JSONValue {
        switch form {
        case .object, .raw:
            return .object(members)
        case .time, .microtime:
            let seconds = members["seconds"]?.intValue ?? 0
            let nanos = members["nanos"]?.intValue ?? 0
            if seconds == 0 && nanos == 0 { return .null }
            // Years 0001-9999, as RFC 3339 (and Go's time.Time JSON) can write them.
            guard seconds >= -62_135_596_800, seconds < 253_402_300_800, nanos >= 0, nanos < 1_000_000_000 else {
                throw ProtobufError(.invalidValue, "timestamp \(seconds)s \(nanos)ns is out of range")
            }
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
            return .string(RFC3339.format(date, fractionalDigits: form == .time ? 0 : 6))
        case .duration:
            return .string(GoDuration.format(nanoseconds: members["duration"]?.intValue ?? 0))
        case .quantity:
            return .string(members["string"]?.stringValue ?? "0")
        case .intorstring:
            if members["type"]?.intValue == 1 { return .string(members["strVal"]?.stringValue ?? "") }
            return .int(members["intVal"]?.intValue ?? 0)
        case .list:
            return members.values.first { $0.arrayValue != nil } ?? .array([])
        case .orbool:
            if let schema = members["schema"] { return schema }
            return .bool(members["allows"]?.boolValue ?? false)
        case .orarray:
            if let array = members["jSONSchemas"] { return array }
            return members["schema"] ?? .null
        case .orstringarray:
            if let array = members["property"] { return array }
            return members["schema"] ?? .null
        }
    }

    /// `raw` bytes (field 1) as JSON: a nested `k8s\0` envelope decodes as protobuf, anything else
    /// is JSON text; empty is `null`.
    private func decodeRaw(_ reader: ProtobufReader, depth: Int) throws(ProtobufError) -> JSONValue {
        var reader = reader
        var raw: Range<Int> = 0..<0
        while let (number, wireType) = try reader.nextKey() {
            if number == 1, wireType == .lengthDelimited { raw = try reader.lengthDelimited() } else { try reader.skip(wireType) }
        }
        guard !raw.isEmpty else { return .null }
        let buffer = reader.base
        if raw.count >= 4, buffer[raw.lowerBound] == 0x6b, buffer[raw.lowerBound + 1] == 0x38,
            buffer[raw.lowerBound + 2] == 0x73, buffer[raw.lowerBound + 3] == 0
        {
            return try decodeEnvelope(buffer, range: raw, depth: depth + 1)
        }
        var json = JSONReader(UnsafeRawBufferPointer(rebasing: buffer[raw]))
        do {
            let value = try json.readValue()
            try json.expectEnd()
            return value
        } catch {
            throw ProtobufError(.invalidValue, "raw bytes are neither JSON nor protobuf: \(error)", offset: raw.lowerBound)
        }
    }

    private func value(_ reader: inout ProtobufReader, _ wireType: ProtobufReader.WireType, _ type: FieldType, depth: Int) throws(ProtobufError) -> JSONValue {
        guard case .message(let index) = type else { return try scalar(&reader, wireType, type) }
        guard wireType == .lengthDelimited else {
            throw ProtobufError(.wrongWireType, "a message field arrived with wire type \(wireType.rawValue)", offset: reader.index)
        }
        let range = try reader.lengthDelimited()
        return try decodeMessage(ProtobufReader(reader.base, range: range), index, depth: depth + 1)
    }

    private func scalar(_ reader: inout ProtobufReader, _ wireType: ProtobufReader.WireType, _ type: FieldType) throws(ProtobufError) -> JSONValue {
        guard wireType == type.wireType else {
            throw ProtobufError(.wrongWireType, "expected wire type \(type.wireType.rawValue), got \(wireType.rawValue)", offset: reader.index)
        }
        switch type {
        case .string: return .string(reader.string(try reader.lengthDelimited()))
        case .bytes, .message: return .string(Data(reader.bytes(try reader.lengthDelimited())).base64EncodedString())
        case .bool: return .bool(try reader.varint() != 0)
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try reader.varint())))
        case .int64: return .int(Int64(bitPattern: try reader.varint()))
        case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: try reader.varint())))
        case .uint64: return .int(Int64(truncatingIfNeeded: try reader.varint()))
        case .double: return .double(Double(bitPattern: try reader.fixed64()))
        case .float: return .double(Double(Float(bitPattern: try reader.fixed32())))
        }
    }

    private func decodeMapEntry(
        _ reader: inout ProtobufReader, _ wireType: ProtobufReader.WireType, keyType: FieldType, valueType: FieldType, depth: Int
    ) throws(ProtobufError) -> (String, JSONValue) {
        guard wireType == .lengthDelimited else {
            throw ProtobufError(.wrongWireType, "a map entry arrived with wire type \(wireType.rawValue)", offset: reader.index)
        }
        var entry = ProtobufReader(reader.base, range: try reader.lengthDelimited())
        var key = ""
        var value: JSONValue?
        while let (number, type) = try entry.nextKey() {
            switch number {
            case 1:
                switch try scalar(&entry, type, keyType) {
                case .string(let text): key = text
                case .int(let number): key = String(number)
                case .bool(let flag): key = String(flag)
                default: break
                }
            case 2:
                do throws(ProtobufError) { value = try self.value(&entry, type, valueType, depth: depth) } catch { throw error.under(key) }
            default: try entry.skip(type)
            }
        }
        if let value { return (key, value) }
        switch valueType {
        case .string, .bytes: return (key, .string(""))
        case .bool: return (key, .bool(false))
        case .double, .float: return (key, .double(0))
        case .message(let index): return (key, try decodeMessage(ProtobufReader(reader.base, range: 0..<0), index, depth: depth + 1))
        default: return (key, .int(0))
        }
    }
}

extension ProtobufSchema.FieldType {
    var wireType: ProtobufReader.WireType {
        switch self {
        case .string, .bytes, .message: return .lengthDelimited
        case .bool, .int32, .int64, .uint32, .uint64: return .varint
        case .double: return .fixed64
        case .float: return .fixed32
        }
    }

    var isPackable: Bool { wireType != .lengthDelimited }
}
