import Foundation

/// Booleans and numbers.
extension JSONReader {
    @inlinable
    public mutating func readBool() throws(JSONReadError) -> Bool {
        if _slowPath(isProtobuf) { return try protobufBool() }
        skipWhitespace()
        if index + 4 <= end, memcmp(base + index, "true", 4) == 0 {
            index += 4
            return true
        }
        if index + 5 <= end, memcmp(base + index, "false", 5) == 0 {
            index += 5
            return false
        }
        throw error("expected true or false")
    }

    /// Reads an integer; a number with a fraction or exponent that is still whole
    /// (`1.0`, `1e3`) is accepted, like Go's decoder accepts into an int.
    public mutating func readInt64() throws(JSONReadError) -> Int64 {
        if _slowPath(isProtobuf) { return try protobufInt64() }
        skipWhitespace()
        let start = index
        var negative = false
        if index < end, base[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var value: Int64 = 0
        var digits = 0
        while index < end, base[index] >= 48, base[index] <= 57 {
            // Accumulate with the sign so that Int64.min parses.
            let digit = Int64(base[index] - 48)
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflow1 || overflow2 {
                index = start
                throw error("integer out of range")
            }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else {
            index = start
            throw error("expected an integer")
        }
        if index < end, base[index] == UInt8(ascii: ".") || base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            index = start
            let double = try readDouble()
            guard double.rounded() == double, let exact = Int64(exactly: double) else {
                index = start
                throw error("expected an integer, got \(double)")
            }
            return exact
        }
        return value
    }

    public mutating func readInt() throws(JSONReadError) -> Int {
        Int(try readInt64())
    }

    public mutating func readInt32() throws(JSONReadError) -> Int32 {
        let start = index
        let value = try readInt64()
        guard let narrow = Int32(exactly: value) else {
            index = start
            throw error("integer \(value) out of range for int32")
        }
        return narrow
    }

    public mutating func readDouble() throws(JSONReadError) -> Double {
        if _slowPath(isProtobuf) { return try protobufDouble() }
        skipWhitespace()
        let start = index
        if index < end, base[index] == UInt8(ascii: "-") { index += 1 }
        while index < end {
            let byte = base[index]
            if (byte >= 48 && byte <= 57) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            {
                index += 1
            } else {
                break
            }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        guard !text.isEmpty, let value = Double(text), value.isFinite else {
            index = start
            throw error("expected a number")
        }
        return value
    }
}
