/// The protobuf wire format: a bounds-checked reader over a byte buffer and an appending writer.
struct ProtobufReader {
    enum WireType: UInt8 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    let base: UnsafeRawBufferPointer
    private(set) var index: Int
    let end: Int

    init(_ base: UnsafeRawBufferPointer, range: Range<Int>) {
        self.base = base
        self.index = range.lowerBound
        self.end = range.upperBound
    }

    var isAtEnd: Bool { index >= end }

    mutating func varint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < end {
            let byte = base[index]
            index += 1
            if shift == 63 && byte > 1 { throw ProtobufError(.malformedVarint, "varint overflows 64 bits", offset: index) }
            result |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw ProtobufError(.malformedVarint, "varint longer than 10 bytes", offset: index) }
        }
        throw ProtobufError(.truncated, "input ends inside a varint", offset: index)
    }

    /// The next field's number and wire type, or `nil` at the end.
    mutating func nextKey() throws(ProtobufError) -> (number: Int, wireType: WireType)? {
        guard index < end else { return nil }
        let start = index
        let key = try varint()
        let number = key >> 3
        guard number > 0, number < 1 << 29 else { throw ProtobufError(.malformedVarint, "invalid field number \(number)", offset: start) }
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw ProtobufError(.unsupportedWireType, "unsupported wire type \(key & 7) for field \(number)", offset: start)
        }
        return (Int(number), wireType)
    }

    /// The byte range of a length-delimited value.
    mutating func lengthDelimited() throws(ProtobufError) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - index) else {
            throw ProtobufError(.truncated, "length \(length) runs past the end of the input", offset: index)
        }
        let range = index..<(index + Int(length))
        index = range.upperBound
        return range
    }

    mutating func fixed64() throws(ProtobufError) -> UInt64 {
        guard end - index >= 8 else { throw ProtobufError(.truncated, "input ends inside a fixed64", offset: index) }
        var value: UInt64 = 0
        for shift in 0..<8 { value |= UInt64(base[index + shift]) << (8 * UInt64(shift)) }
        index += 8
        return value
    }

    mutating func fixed32() throws(ProtobufError) -> UInt32 {
        guard end - index >= 4 else { throw ProtobufError(.truncated, "input ends inside a fixed32", offset: index) }
        var value: UInt32 = 0
        for shift in 0..<4 { value |= UInt32(base[index + shift]) << (8 * UInt32(shift)) }
        index += 4
        return value
    }

    /// Skips a value of an unknown field.
    mutating func skip(_ wireType: WireType) throws(ProtobufError) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed32: _ = try fixed32()
        }
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: base[range]), as: UTF8.self)
    }

    func bytes(_ range: Range<Int>) -> [UInt8] { [UInt8](base[range]) }
}

struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func key(_ number: Int, _ wireType: ProtobufReader.WireType) {
        varint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    mutating func lengthDelimited(_ number: Int, _ payload: some Collection<UInt8>) {
        key(number, .lengthDelimited)
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }

    mutating func fixed64(_ value: UInt64) {
        for shift in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
    }

    mutating func fixed32(_ value: UInt32) {
        for shift in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(shift)))) }
    }
}
