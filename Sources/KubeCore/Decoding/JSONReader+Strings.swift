import Foundation

/// Strings: scanning past plain bytes eight at a time, escapes, and keys with escapes.
extension JSONReader {
    /// Whether any of the eight bytes is `"`, `\\` or a control character.
    @inlinable @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ 0x2222_2222_2222_2222
        let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        let found = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- 0x2020_2020_2020_2020) & ~word)
        return found & 0x8080_8080_8080_8080 != 0
    }

    /// Advances over string bytes up to the next `"`, `\\` or control character (or the end).
    @inlinable @inline(__always)
    mutating func skipPlainBytes() {
        while index &+ 8 <= end {
            if Self.hasSpecialByte(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)) { break }
            index &+= 8
        }
        while index < end {
            let byte = base[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { return }
            index &+= 1
        }
    }

    /// Skips a string (the reader is at its opening quote), checking for control characters.
    @inlinable
    mutating func skipString() throws(JSONReadError) {
        index += 1
        while true {
            skipPlainBytes()
            guard index < end else { throw error("unterminated string") }
            let byte = base[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                // A backslash as the last byte must not step past the end (the error's offset
                // would point outside the input: found by kube-json-fuzz); the escape is checked
                // like `readEscapedString` checks it, so skipping accepts what reading accepts.
                guard index + 1 < end else { throw error("unterminated escape") }
                switch base[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
                    UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    index += 2
                    _ = try readHex4()
                default:
                    index += 1
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(base[index])))'")
                }
                continue
            }
            throw error("control character in a string")
        }
    }

    @usableFromInline
    mutating func readEscapedKey(from start: Int) throws(JSONReadError) -> JSONKey {
        index = start - 1
        let text = try readString()
        return JSONKey(start: base + start, count: 0, hash: JSONKey.hash(text), unescaped: text)
    }

    /// Reads a string (escapes decoded, UTF-8 validated with replacement like Foundation).
    @inlinable
    public mutating func readString() throws(JSONReadError) -> String {
        if _slowPath(isProtobuf) { return try protobufString() }
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        skipPlainBytes()
        guard index < end else { throw error("unterminated string") }
        let byte = base[index]
        if byte == UInt8(ascii: "\"") {
            let text = makeString(base + start, index - start)
            index += 1
            return text
        }
        if byte == UInt8(ascii: "\\") { return try readEscapedString(from: start) }
        throw error("control character in a string")
    }

    /// The bytes of the next string when it has no escapes (then consumed);
    /// `nil` when it has escapes (the position is then unspecified).
    @usableFromInline
    mutating func readPlainStringBytes() throws(JSONReadError) -> UnsafeBufferPointer<UInt8>? {
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        skipPlainBytes()
        guard index < end else { throw error("unterminated string") }
        let byte = base[index]
        if byte == UInt8(ascii: "\"") {
            index += 1
            return UnsafeBufferPointer(start: base + start, count: index - 1 - start)
        }
        if byte == UInt8(ascii: "\\") { return nil }
        throw error("control character in a string")
    }

    @usableFromInline
    mutating func readEscapedString(from start: Int) throws(JSONReadError) -> String {
        var bytes = Array(UnsafeBufferPointer(start: base + start, count: index - start))
        while index < end {
            let byte = base[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: bytes, as: UTF8.self)
            case UInt8(ascii: "\\"):
                index += 1
                guard index < end else { throw error("unterminated escape") }
                let escaped = base[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escaped)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard index + 1 < end, base[index] == UInt8(ascii: "\\"), base[index + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        index += 2
                        let low = try readHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    bytes.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw error("invalid escape '\\\(Character(Unicode.Scalar(escaped)))'")
                }
            default:
                if byte < 0x20 { throw error("control character in a string") }
                bytes.append(byte)
                index += 1
            }
        }
        throw error("unterminated string")
    }

    @usableFromInline
    mutating func readHex4() throws(JSONReadError) -> UInt32 {
        guard index + 4 <= end else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - 55
            default: throw error("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
