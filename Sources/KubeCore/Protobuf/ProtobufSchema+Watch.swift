extension ProtobufSchema {
    /// One frame of a protobuf watch stream (`application/vnd.kubernetes.protobuf;stream=watch`):
    /// the 4-byte big-endian length, then a `meta.v1.WatchEvent` whose `object.raw` is the object's
    /// `k8s\0` envelope.
    public func encodeWatchFrame(type: String, object: JSONValue) throws(ProtobufError) -> [UInt8] {
        var raw = ProtobufWriter()
        raw.lengthDelimited(1, try encodeObject(object))
        var event = ProtobufWriter()
        event.lengthDelimited(1, Array(type.utf8))
        event.lengthDelimited(2, raw.bytes)
        let length = UInt32(event.bytes.count)
        return [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                UInt8(truncatingIfNeeded: length)] + event.bytes
    }

    /// The type and object of one `meta.v1.WatchEvent` message (a frame without its length prefix).
    public func decodeWatchEvent(_ bytes: [UInt8]) throws(ProtobufError) -> (type: String, object: JSONValue) {
        try Self.withBuffer(bytes) { (buffer) throws(ProtobufError) -> (type: String, object: JSONValue) in
            var reader = ProtobufReader(buffer, range: 0..<buffer.count)
            var type = ""
            var object: JSONValue = .null
            while let (number, wireType) = try reader.nextKey() {
                guard wireType == .lengthDelimited, number == 1 || number == 2 else { try reader.skip(wireType); continue }
                let value = try reader.lengthDelimited()
                if number == 1 { type = reader.string(value); continue }
                var raw = ProtobufReader(buffer, range: value)
                while let (field, rawType) = try raw.nextKey() {
                    guard field == 1, rawType == .lengthDelimited else { try raw.skip(rawType); continue }
                    let envelope = try raw.lengthDelimited()
                    do throws(ProtobufError) {
                        object = try decodeEnvelope(buffer, range: envelope, depth: 0)
                    } catch { throw error.under("object") }
                }
            }
            return (type, object)
        }
    }
}

/// Splits a length-prefixed protobuf watch stream into frames as bytes arrive.
public struct ProtobufFrameReader: Sendable {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The largest frame accepted; a larger length prefix is an error (a corrupt stream).
    public let maxFrameSize: Int

    public init(maxFrameSize: Int = 64 << 20) { self.maxFrameSize = maxFrameSize }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        if start > 0 && start == buffer.count { buffer.removeAll(keepingCapacity: true); start = 0 }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame's message bytes, or `nil` until more bytes arrive.
    public mutating func nextFrame() throws(ProtobufError) -> [UInt8]? {
        guard buffer.count - start >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        guard length <= maxFrameSize else { throw ProtobufError(.invalidValue, "watch frame of \(length) bytes exceeds \(maxFrameSize)") }
        guard buffer.count - start - 4 >= length else { return nil }
        let frame = Array(buffer[(start + 4)..<(start + 4 + length)])
        start += 4 + length
        if start > 1 << 20 { buffer.removeFirst(start); start = 0 }
        return frame
    }

    /// Whether bytes of an incomplete frame are left over (a cut stream when the body ends).
    public var hasPartialFrame: Bool { buffer.count > start }
}
