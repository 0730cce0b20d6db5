import Foundation

// `JSONReadable` for the standard types generated models hold, so generated code
// reads every field the same way: `try FieldType(reading: &reader)`.

extension String: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readString() }
}

extension Bool: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readBool() }
}

extension Int64: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readInt64() }
}

extension Int32: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readInt32() }
}

extension Int: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readInt() }
}

extension Double: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) { self = try reader.readDouble() }
}

/// `format: byte` fields: base64 text on the wire, like `JSONDecoder`'s default.
extension Data: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        let start = reader.offset
        let text = try reader.readString()
        guard let data = Data(base64Encoded: text) else {
            throw JSONReadError("invalid base64 data", offset: start)
        }
        self = data
    }
}

/// A JSON array of `Element`s (a `null` element is an error, as with `Codable`).
extension Array: JSONReadable where Element: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        var result: [Element] = []
        try reader.readArray { (reader: inout JSONReader) throws(JSONReadError) in
            result.append(try Element(reading: &reader))
        }
        self = JSONReader.exactCapacity(result)
    }
}

/// A JSON object of `Value`s.
extension Dictionary: JSONReadable where Key == String, Value: JSONReadable {
    @inlinable
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        var result: [String: Value] = [:]
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            result[reader.string(of: key)] = try Value(reading: &reader)
        }
        self = result
    }
}
