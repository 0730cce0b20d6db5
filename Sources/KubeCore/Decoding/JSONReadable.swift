import Foundation

/// A type that reads itself straight from JSON bytes, without `Codable`'s generic
/// machinery: the fast path for large lists and watch streams. Generated models
/// conform; `Codable` stays available for everything else.
public protocol JSONReadable {
    init(reading reader: inout JSONReader) throws(JSONReadError)
}

extension JSONReadable {
    /// Reads one value of this type from `data`, which must hold exactly one JSON value.
    public static func read(from data: Data) throws(JSONReadError) -> Self {
        try data.withUnsafeBytes { buffer in readWhole(buffer) }.get()
    }

    /// Reads one value of this type from `bytes`, which must hold exactly one JSON value.
    public static func read(from bytes: [UInt8]) throws(JSONReadError) -> Self {
        try bytes.withUnsafeBytes { buffer in readWhole(buffer) }.get()
    }

    /// Reads one value of this type from `buffer`, which must hold exactly one JSON value.
    public static func read(from buffer: UnsafeRawBufferPointer) throws(JSONReadError) -> Self {
        try readWhole(buffer).get()
    }

    private static func readWhole(_ buffer: UnsafeRawBufferPointer) -> Result<Self, JSONReadError> {
        var reader = JSONReader(buffer)
        do throws(JSONReadError) {
            let value = try Self(reading: &reader)
            try reader.expectEnd()
            return .success(value)
        } catch {
            return .failure(error)
        }
    }
}

extension JSONValue: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self = try reader.readValue()
    }
}

extension JSONReadable {
    /// Reads one value of this type straight from protobuf (no JSON text in between):
    /// a `k8s\0` + `runtime.Unknown` body, or with `message` one bare message of that type
    /// (`apimachinery.pkg.apis.meta.v1.WatchEvent`). The value equals reading the JSON the
    /// schema transcodes the bytes to; errors name the JSON path of the field.
    public static func read(protobuf buffer: UnsafeRawBufferPointer, schema: ProtobufSchema, message: String? = nil) throws(JSONReadError) -> Self {
        var reader: JSONReader
        if let message {
            reader = try JSONReader(protobuf: buffer, schema: schema, message: message)
        } else {
            reader = JSONReader(protobuf: buffer, schema: schema)
        }
        return try Self(reading: &reader)
    }

    /// ``read(protobuf:schema:message:)-(UnsafeRawBufferPointer,_,_)`` over an array's bytes.
    public static func read(protobuf bytes: [UInt8], schema: ProtobufSchema, message: String? = nil) throws(JSONReadError) -> Self {
        let result: Result<Self, JSONReadError> = bytes.withUnsafeBytes { buffer in
            do throws(JSONReadError) { return .success(try read(protobuf: buffer, schema: schema, message: message)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
