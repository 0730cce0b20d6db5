import Foundation

// Scalars, special forms and whole values of a protobuf reader (see JSONReader+Protobuf).
extension JSONReader {
    private var tables: ProtobufTables { protobufTables.unsafelyUnwrapped }

    private func form(_ message: Int) -> ProtobufSchema.Form { tables.messages[message].form }

    /// `seconds` and `nanos` of a `Time`/`MicroTime` message.
    private func timestampFields(_ range: Range<Int>) throws(JSONReadError) -> (Int64, Int64) {
        var index = range.lowerBound
        var seconds: Int64 = 0, nanos: Int64 = 0
        while index < range.upperBound {
            let (number, wire) = try pbKey(&index, range.upperBound)
            if wire == 0, number == 1 {
                seconds = Int64(bitPattern: try pbVarint(&index, range.upperBound))
            } else if wire == 0, number == 2 {
                nanos = Int64(Int32(truncatingIfNeeded: try pbVarint(&index, range.upperBound)))
            } else {
                try pbSkip(wire, &index, range.upperBound)
            }
        }
        return (seconds, nanos)
    }

    /// An `IntOrString` message: the string's bytes, or the integer.
    private func intOrString(_ range: Range<Int>) throws(JSONReadError) -> (string: Range<Int>?, int: Int64) {
        var index = range.lowerBound
        var type: UInt64 = 0, int: Int64 = 0
        var string = 0..<0
        while index < range.upperBound {
            let (number, wire) = try pbKey(&index, range.upperBound)
            switch (number, wire) {
            case (1, 0): type = try pbVarint(&index, range.upperBound)
            case (2, 0): int = Int64(Int32(truncatingIfNeeded: try pbVarint(&index, range.upperBound)))
            case (3, 2): string = try pbLength(&index, range.upperBound)
            default: try pbSkip(wire, &index, range.upperBound)
            }
        }
        return type == 1 ? (string, 0) : (nil, int)
    }

    /// The first string field (`string`, field 1) of a `Quantity` message.
    private func quantityText(_ range: Range<Int>) throws(JSONReadError) -> Range<Int> {
        var index = range.lowerBound
        var text = 0..<0
        while index < range.upperBound {
            let (number, wire) = try pbKey(&index, range.upperBound)
            if number == 1, wire == 2 { text = try pbLength(&index, range.upperBound) } else { try pbSkip(wire, &index, range.upperBound) }
        }
        return text
    }

    private func string(_ range: Range<Int>) -> String { makeString(base + range.lowerBound, range.count) }

    // MARK: the JSONReader entry points in protobuf mode

    @usableFromInline
    mutating func protobufNull() -> Bool {
        switch pending {
        case .bytes(.string, let range) where range.isEmpty:
            pending = .none
            return true
        case .message(let message, let range):
            let isNull: Bool
            switch form(message) {
            case .time, .microtime:
                guard let (seconds, nanos) = try? timestampFields(range) else { return false }
                isNull = seconds == 0 && nanos == 0
            case .raw:
                guard let raw = try? rawFieldRange(range) else { return false }
                isNull = raw.isEmpty
            case .orbool, .orarray, .orstringarray:
                let buffer = UnsafeRawBufferPointer(start: base, count: end)
                let value = try? protobufSchema.unsafelyUnwrapped.decodeMessage(ProtobufReader(buffer, range: range), message, depth: depth)
                isNull = value == .null
            default:
                isNull = false
            }
            if isNull { pending = .none }
            return isNull
        default:
            return false
        }
    }

    /// The `raw` bytes (field 1) of a raw-form message (`RawExtension`, `FieldsV1`, `JSON`).
    func rawFieldRange(_ range: Range<Int>) throws(JSONReadError) -> Range<Int> {
        var index = range.lowerBound
        var raw = 0..<0
        while index < range.upperBound {
            let (number, wire) = try pbKey(&index, range.upperBound)
            if number == 1, wire == 2 { raw = try pbLength(&index, range.upperBound) } else { try pbSkip(wire, &index, range.upperBound) }
        }
        return raw
    }

    @usableFromInline
    mutating func protobufString() throws(JSONReadError) -> String {
        switch pending {
        case .bytes(.string, let range):
            pending = .none
            return string(range)
        case .message(let message, let range) where form(message) == .quantity:
            pending = .none
            let text = try quantityText(range)
            return text.isEmpty ? "0" : string(text)
        case .message(let message, let range) where form(message) == .intorstring:
            if let text = try intOrString(range).string {
                pending = .none
                return string(text)
            }
        default:
            break
        }
        guard case .string(let text) = try protobufJSON() else { throw error("expected a string") }
        return text
    }

    @usableFromInline
    mutating func protobufBool() throws(JSONReadError) -> Bool {
        if case .number(.bool, let bits) = pending {
            pending = .none
            return bits != 0
        }
        guard case .bool(let flag) = try protobufJSON() else { throw error("expected true or false") }
        return flag
    }

    @usableFromInline
    mutating func protobufInt64() throws(JSONReadError) -> Int64 {
        switch pending {
        case .number(let kind, let bits) where kind != .bool && kind != .double && kind != .float:
            pending = .none
            return Self.integer(kind, bits)
        case .message(let message, let range) where form(message) == .intorstring:
            let value = try intOrString(range)
            if value.string == nil {
                pending = .none
                return value.int
            }
        default:
            break
        }
        switch try protobufJSON() {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value: if let exact = Int64(exactly: value) { return exact }
        default: break
        }
        throw error("expected an integer")
    }

    @usableFromInline
    mutating func protobufDouble() throws(JSONReadError) -> Double {
        switch try protobufJSON() {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: throw error("expected a number")
        }
    }

    @usableFromInline
    mutating func protobufPeek() throws(JSONReadError) -> Kind {
        switch pending {
        case .none: throw error("unexpected end of input")
        case .bytes: return .string
        case .number(.bool, _): return .bool
        case .number: return .number
        case .envelope: return .object
        case .repeated(let field, _, _): return tables.fields[field].isMap ? .object : .array
        case .message(let message, let range):
            switch form(message) {
            case .object: return .object
            case .time, .microtime:
                let (seconds, nanos) = try timestampFields(range)
                return seconds == 0 && nanos == 0 ? .null : .string
            case .duration, .quantity: return .string
            case .intorstring: return try intOrString(range).string == nil ? .number : .string
            case .list: return .array
            case .raw, .orbool, .orarray, .orstringarray:
                let buffer = UnsafeRawBufferPointer(start: base, count: end)
                let value: JSONValue
                do throws(ProtobufError) {
                    value = try protobufSchema.unsafelyUnwrapped.decodeMessage(ProtobufReader(buffer, range: range), message, depth: depth)
                } catch {
                    throw JSONReadError(error.message, offset: error.offset, path: error.path)
                }
                switch value {
                case .null: return .null
                case .bool: return .bool
                case .int, .double: return .number
                case .string: return .string
                case .array: return .array
                case .object: return .object
                }
            }
        }
    }

    @usableFromInline
    mutating func protobufRawBytes() throws(JSONReadError) -> [UInt8] {
        if case .message(let message, let range) = pending, form(message) == .raw {
            let raw = try rawFieldRange(range)
            let isEnvelope = raw.count >= 4 && base[raw.lowerBound] == 0x6b && base[raw.lowerBound + 1] == 0x38
                && base[raw.lowerBound + 2] == 0x73 && base[raw.lowerBound + 3] == 0
            if !raw.isEmpty, !isEnvelope {
                pending = .none
                let start = base + raw.lowerBound
                // Equal values (the fieldsV1 of pods of one ReplicaSet) are checked once.
                if raw.count >= StringTable.minimumBlob, let strings, let known = strings.existingBytes(start, raw.count) { return known }
                var json = JSONReader(UnsafeRawBufferPointer(start: start, count: raw.count))
                do throws(JSONReadError) {
                    try json.skipValue()
                    try json.expectEnd()
                } catch {
                    throw JSONReadError("raw bytes are neither JSON nor protobuf: \(error)", offset: raw.lowerBound)
                }
                if raw.count >= StringTable.minimumBlob, let strings { return strings.bytes(start, raw.count) }
                return Array(UnsafeBufferPointer(start: start, count: raw.count))
            }
        }
        return JSONText.bytes(try protobufJSON())
    }

    @usableFromInline
    mutating func protobufTimestamp() throws(JSONReadError) -> Date {
        if case .message(let message, let range) = pending, form(message) == .time || form(message) == .microtime {
            pending = .none
            let (seconds, nanos) = try timestampFields(range)
            // Years 0001-9999, as RFC 3339 (and Go's time.Time JSON) can write them.
            guard seconds >= -62_135_596_800, seconds < 253_402_300_800, nanos >= 0, nanos < 1_000_000_000 else {
                throw error("timestamp \(seconds)s \(nanos)ns is out of range")
            }
            // `Time` has whole seconds on the JSON wire; `MicroTime` six digits, rounded as its text is.
            if form(message) == .time || nanos == 0 { return Date(timeIntervalSince1970: Double(seconds)) }
            let text = RFC3339.format(Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9), fractionalDigits: 6)
            if let date = RFC3339.parse(text) { return date }
            throw error("invalid RFC 3339 time \"\(text)\"")
        }
        guard case .string(let text) = try protobufJSON(), let date = RFC3339.parse(text) else { throw error("expected an RFC 3339 time") }
        return date
    }

    /// The pending value as the JSON transcoder gives it (consumed; a repeated field whole).
    @usableFromInline
    mutating func protobufJSON() throws(JSONReadError) -> JSONValue {
        let value = take()
        let schema = protobufSchema.unsafelyUnwrapped
        let buffer = UnsafeRawBufferPointer(start: base, count: end)
        switch value {
        case .none:
            throw error("unexpected end of input")
        case .bytes(.string, let range):
            return .string(string(range))
        case .bytes(_, let range):
            return .string(Data(UnsafeRawBufferPointer(rebasing: buffer[range])).base64EncodedString())
        case .number(let kind, let bits):
            switch kind {
            case .bool: return .bool(bits != 0)
            case .double: return .double(Double(bitPattern: bits))
            case .float: return .double(Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))))
            default: return .int(Self.integer(kind, bits))
            }
        case .message(let message, let range):
            do throws(ProtobufError) {
                return try schema.decodeMessage(ProtobufReader(buffer, range: range), message, depth: depth)
            } catch {
                throw JSONReadError(error.message, offset: error.offset, path: error.path)
            }
        case .envelope(let range):
            do throws(ProtobufError) {
                return try schema.decodeEnvelope(buffer, range: range, depth: depth)
            } catch {
                throw JSONReadError(error.message, offset: error.offset, path: error.path)
            }
        case .repeated(let field, _, _):
            pending = value
            if tables.fields[field].isMap {
                var members: [String: JSONValue] = [:]
                try protobufObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                    members[reader.string(of: key)] = try reader.protobufJSON()
                }
                return .object(members)
            }
            var items: [JSONValue] = []
            try protobufArray { (reader: inout JSONReader) throws(JSONReadError) in items.append(try reader.protobufJSON()) }
            return .array(items)
        }
    }
}
