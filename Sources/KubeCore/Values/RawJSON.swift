/// One JSON value kept as it was read, parsed into a ``JSONValue`` only when asked
/// for: the cheap way to carry free-form JSON that is rarely looked at
/// (`managedFields[].fieldsV1`).
///
/// Equality and hashing are by value (`{"a":1}` read as bytes equals the same
/// object built as a ``JSONValue``). Encoding writes the value.
public struct RawJSON: Sendable, Hashable, Codable {
    private enum Storage: Sendable {
        case bytes([UInt8])
        case value(JSONValue)
    }

    private let storage: Storage

    /// The bytes of one JSON value; fails unless they are exactly one valid value.
    public init(bytes: [UInt8]) throws(JSONReadError) {
        _ = try JSONValue.read(from: bytes)
        storage = .bytes(bytes)
    }

    /// Bytes the reader has already checked (``JSONReader/readRawBytes()``).
    init(checkedBytes: [UInt8]) { storage = .bytes(checkedBytes) }

    public init(_ value: JSONValue) { storage = .value(value) }

    /// The JSON bytes as read, or `nil` when this was built from a ``JSONValue``.
    public var bytes: [UInt8]? {
        if case .bytes(let bytes) = storage { return bytes }
        return nil
    }

    /// The value (parsed from the bytes on each call).
    public var value: JSONValue {
        switch storage {
        case .value(let value):
            return value
        case .bytes(let bytes):
            // The bytes were checked when stored, so this cannot fail.
            return (try? JSONValue.read(from: bytes)) ?? .null
        }
    }

    public static func == (lhs: RawJSON, rhs: RawJSON) -> Bool {
        if case .bytes(let left) = lhs.storage, case .bytes(let right) = rhs.storage, left == right { return true }
        return lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    public init(from decoder: any Decoder) throws {
        storage = .value(try JSONValue(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}

extension RawJSON: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init(checkedBytes: try reader.readRawBytes())
    }
}
