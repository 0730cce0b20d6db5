import Foundation

/// Whole values: skipped, kept as raw bytes, or read as a `JSONValue` or a string map.
extension JSONReader {
    /// Skips one value of any kind, checking its syntax (keys are not hashed,
    /// strings not built).
    public mutating func skipValue() throws(JSONReadError) {
        if _slowPath(isProtobuf) {
            // The enclosing message has already stepped over the field's bytes.
            pending = .none
            return
        }
        skipWhitespace()
        guard index < end else { throw error("unexpected end of input") }
        switch base[index] {
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "{"): try skipContainer(close: UInt8(ascii: "}"), isObject: true)
        case UInt8(ascii: "["): try skipContainer(close: UInt8(ascii: "]"), isObject: false)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
        case UInt8(ascii: "n"):
            guard readNull() else { throw error("expected null") }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): _ = try readDouble()
        default: throw error("unexpected character '\(Character(Unicode.Scalar(base[index])))'")
        }
    }

    mutating func skipContainer(close: UInt8, isObject: Bool) throws(JSONReadError) {
        index += 1
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
        skipWhitespace()
        if index < end, base[index] == close {
            index += 1
            depth -= 1
            return
        }
        while true {
            if isObject {
                skipWhitespace()
                guard index < end, base[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                try skipString()
                skipWhitespace()
                guard index < end, base[index] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
                index += 1
            }
            try skipValue()
            skipWhitespace()
            guard index < end else {
                throw error(isObject ? "unexpected end of input in an object" : "unexpected end of input in an array")
            }
            if base[index] == UInt8(ascii: ",") {
                index += 1
            } else if base[index] == close {
                index += 1
                depth -= 1
                return
            } else {
                throw error(isObject ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array")
            }
        }
    }

    /// The exact bytes of the next value (syntax checked), for fields kept as raw JSON.
    public mutating func readRawBytes() throws(JSONReadError) -> [UInt8] {
        if _slowPath(isProtobuf) { return try protobufRawBytes() }
        skipWhitespace()
        let start = index
        try skipValue()
        let count = index - start
        if count >= StringTable.minimumBlob, let strings { return strings.bytes(base + start, count) }
        return Array(UnsafeBufferPointer(start: base + start, count: count))
    }

    /// Reads any value as a ``JSONValue``.
    public mutating func readValue() throws(JSONReadError) -> JSONValue {
        if _slowPath(isProtobuf) { return try protobufJSON() }
        switch try peek() {
        case .object:
            var members: [String: JSONValue] = [:]
            try readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
                members[reader.string(of: key)] = try reader.readValue()
            }
            return .object(members)
        case .array:
            return .array(try readArray { (reader: inout JSONReader) throws(JSONReadError) in try reader.readValue() })
        case .string: return .string(try readString())
        case .bool: return .bool(try readBool())
        case .null:
            _ = readNull()
            return .null
        case .number:
            let start = index
            var isInteger = true
            var probe = index
            while probe < end, (base[probe] >= 48 && base[probe] <= 57) || base[probe] == UInt8(ascii: "-") || base[probe] == UInt8(ascii: ".")
                || base[probe] == UInt8(ascii: "e") || base[probe] == UInt8(ascii: "E") || base[probe] == UInt8(ascii: "+")
            {
                if base[probe] == UInt8(ascii: ".") || base[probe] == UInt8(ascii: "e") || base[probe] == UInt8(ascii: "E") { isInteger = false }
                probe += 1
            }
            if isInteger, let value = try? readInt64() { return .int(value) }
            index = start
            let double = try readDouble()
            // Like Foundation's decoder: a whole number in range is an integer (`1e3` → 1000).
            if double.rounded() == double, let exact = Int64(exactly: double), !(double == 0 && double.sign == .minus) {
                return .int(exact)
            }
            return .double(double)
        }
    }

    /// Reads an object of strings (`labels`, `annotations`, `data`).
    public mutating func readStringMap() throws(JSONReadError) -> [String: String] {
        var result: [String: String] = [:]
        try readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            result[reader.string(of: key)] = try reader.readString()
        }
        return result
    }

    /// Reads an array of strings.
    public mutating func readStringArray() throws(JSONReadError) -> [String] {
        try readArray { (reader: inout JSONReader) throws(JSONReadError) in try reader.readString() }
    }
}
