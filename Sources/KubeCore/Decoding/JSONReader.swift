import Foundation

/// A JSON value that could not be read: what was wrong, and where, as a JSON path
/// (`items[3].spec.containers[0].name`) and a byte offset.
public struct JSONReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    /// Path components from the root: keys and `[index]`es.
    public private(set) var path: [String]
    public let offset: Int

    public init(_ message: String, offset: Int, path: [String] = []) {
        self.message = message
        self.offset = offset
        self.path = path
    }

    /// The path in dotted form: `items[3].metadata.name`; `$` for the root.
    public var pathDescription: String {
        var result = ""
        for component in path {
            if component.hasPrefix("[") { result += component } else { result += result.isEmpty ? component : "." + component }
        }
        return result.isEmpty ? "$" : result
    }

    public var description: String { "\(pathDescription): \(message) (at byte \(offset))" }

    /// The same error one level further down: `component` is the key or `[index]` it was under.
    public func under(_ component: String) -> JSONReadError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }
}

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

/// An object key as read: where its bytes are and their ``hash(_:_:)``, so generated
/// code can `switch` on the hash and confirm with one comparison.
public struct JSONKey {
    public let start: UnsafePointer<UInt8>
    public let count: Int
    public let hash: UInt64
    /// The decoded text when the key had escapes (then the hash is of the decoded bytes).
    @usableFromInline let unescaped: String?

    @usableFromInline
    init(start: UnsafePointer<UInt8>, count: Int, hash: UInt64, unescaped: String?) {
        self.start = start
        self.count = count
        self.hash = hash
        self.unescaped = unescaped
    }

    /// `true` when the key's bytes are exactly `text`'s UTF-8.
    @inlinable
    public func equals(_ text: StaticString) -> Bool {
        if let unescaped { return unescaped == text.description }
        guard text.utf8CodeUnitCount == count else { return false }
        return memcmp(start, text.utf8Start, count) == 0
    }

    public var string: String { unescaped ?? String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self) }

    /// Lets a `switch` over keys use string literals: `case "name":`.
    @inlinable
    public static func ~= (pattern: StaticString, key: JSONKey) -> Bool { key.equals(pattern) }

    /// The hash generated code switches on: the length and the first and last
    /// eight bytes (little-endian), mixed. Constant time, whatever the key's length.
    public static func hash(_ text: String) -> UInt64 {
        var text = text
        return text.withUTF8 { bytes in
            guard let start = bytes.baseAddress else { return hash(UnsafePointer(bitPattern: 1)!, 0) }
            return hash(start, bytes.count)
        }
    }

    @inlinable
    public static func hash(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        var first: UInt64 = 0
        var last: UInt64 = 0
        if count >= 8 {
            first = UInt64(littleEndian: UnsafeRawPointer(start).loadUnaligned(as: UInt64.self))
            last = UInt64(littleEndian: UnsafeRawPointer(start + (count - 8)).loadUnaligned(as: UInt64.self))
        } else {
            var shift: UInt64 = 0
            for offset in 0..<count {
                first |= UInt64(start[offset]) &<< shift
                shift &+= 8
            }
        }
        var hash = (first ^ (last &* 0x9E37_79B9_7F4A_7C15)) &+ UInt64(truncatingIfNeeded: count) &* 0xFF51_AFD7_ED55_8CCD
        hash = (hash ^ (hash &>> 29)) &* 0xBF58_476D_1CE4_E5B9
        return hash ^ (hash &>> 32)
    }
}

/// A forward-only reader over JSON bytes (RFC 8259). It never builds a tree:
/// callers pull exactly the values they want and skip the rest.
///
/// The bytes must outlive the reader (it is used inside `withUnsafeBytes`).
public struct JSONReader {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var index = 0
    @usableFromInline var depth = 0
    /// Nesting deeper than this is rejected (a guard against stack exhaustion).
    public static let maxDepth = 512

    /// Repeated strings (label keys, images, phases) of large inputs share one copy.
    @usableFromInline var strings: StringTable?

    public init(_ buffer: UnsafeRawBufferPointer) {
        if let address = buffer.baseAddress {
            base = address.assumingMemoryBound(to: UInt8.self)
        } else {
            base = UnsafePointer(bitPattern: 1)!  // never read: end is 0
        }
        end = buffer.count
        if buffer.count >= StringTable.minimumInput { strings = StringTable(inputSize: buffer.count) }
    }

    /// A string from bytes known to hold no escapes, shared with an earlier equal
    /// string when the table has one.
    @inlinable
    func makeString(_ start: UnsafePointer<UInt8>, _ count: Int) -> String {
        if count >= StringTable.minimumLength, count <= StringTable.maximumLength, let strings {
            return strings.string(start, count)
        }
        return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    }

    /// The text of `key` (shared like string values).
    @inlinable
    public func string(of key: JSONKey) -> String {
        if let unescaped = key.unescaped { return unescaped }
        return makeString(key.start, key.count)
    }

    /// The byte offset of the reader.
    public var offset: Int { index }

    public func error(_ message: String) -> JSONReadError { JSONReadError(message, offset: index) }

    @inlinable
    mutating func skipWhitespace() {
        while index < end {
            let byte = base[index]
            if byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 } else { return }
        }
    }

    /// The kind of the next value, without consuming it.
    public enum Kind: Sendable { case object, array, string, number, bool, null }

    public mutating func peek() throws(JSONReadError) -> Kind {
        skipWhitespace()
        guard index < end else { throw error("unexpected end of input") }
        switch base[index] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        default: throw error("unexpected character '\(Character(Unicode.Scalar(base[index])))'")
        }
    }

    /// Fails unless only whitespace is left.
    public mutating func expectEnd() throws(JSONReadError) {
        skipWhitespace()
        guard index == end else { throw error("unexpected data after the JSON value") }
    }

    /// Consumes `null` if it is next and returns `true`; otherwise consumes nothing.
    @inlinable
    public mutating func readNull() -> Bool {
        skipWhitespace()
        guard index + 4 <= end, base[index] == UInt8(ascii: "n"), base[index + 1] == UInt8(ascii: "u"),
            base[index + 2] == UInt8(ascii: "l"), base[index + 3] == UInt8(ascii: "l")
        else { return false }
        index += 4
        return true
    }

    // MARK: objects and arrays

    /// Reads an object, calling `body` with each key; `body` must read (or skip) the value.
    @inlinable
    public mutating func readObject(_ body: (inout JSONReader, JSONKey) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try beginObject()
        while let key = try nextKey() {
            do {
                try body(&self, key)
            } catch {
                throw error.under(key.string)
            }
        }
    }

    /// Reads an array, calling `body` for each element.
    @inlinable
    public mutating func readArray(_ body: (inout JSONReader) throws(JSONReadError) -> Void) throws(JSONReadError) {
        try beginArray()
        var position = 0
        while try nextElement() {
            do {
                try body(&self)
            } catch {
                throw error.under("[\(position)]")
            }
            position += 1
        }
    }

    /// Reads an array of values of one type.
    @inlinable
    public mutating func readArray<T>(of read: (inout JSONReader) throws(JSONReadError) -> T) throws(JSONReadError) -> [T] {
        var result: [T] = []
        try readArray { (reader: inout JSONReader) throws(JSONReadError) in result.append(try read(&reader)) }
        return Self.exactCapacity(result)
    }

    /// `array` in storage of its own size: appending doubles the capacity, and decoded
    /// objects are often kept for a long time (an informer's cache), so the spare room
    /// (up to half of the array) is given back once, at the cost of one copy.
    @inlinable
    public static func exactCapacity<T>(_ array: [T]) -> [T] {
        guard array.capacity > array.count, !array.isEmpty else { return array }
        return Array(unsafeUninitializedCapacity: array.count) { buffer, count in
            let copied = array.withUnsafeBufferPointer { source in buffer.initialize(fromContentsOf: source) }
            count = copied
        }
    }

    /// Whether the open container at each depth has read its first member: bit
    /// `depth - 1` of `memberBits` for the first 64 levels, `deepMembers` below.
    @usableFromInline var memberBits: UInt64 = 0
    @usableFromInline var deepMembers: [Bool] = []

    @inlinable
    public mutating func beginObject() throws(JSONReadError) {
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: "{") else { throw error("expected an object") }
        index += 1
        try push()
    }

    @inlinable
    public mutating func beginArray() throws(JSONReadError) {
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: "[") else { throw error("expected an array") }
        index += 1
        try push()
    }

    @inlinable
    mutating func push() throws(JSONReadError) {
        depth += 1
        if depth <= 64 {
            memberBits &= ~(1 &<< UInt64(depth - 1))
        } else {
            guard depth <= Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            deepMembers.append(false)
        }
    }

    @inlinable
    mutating func pop() {
        if depth > 64 { deepMembers.removeLast() }
        depth -= 1
    }

    /// Marks the current container as having a member; returns whether it had one before.
    @inlinable
    mutating func markMember() -> Bool {
        if depth <= 64 {
            let bit: UInt64 = 1 &<< UInt64(depth - 1)
            defer { memberBits |= bit }
            return memberBits & bit != 0
        }
        defer { deepMembers[deepMembers.count - 1] = true }
        return deepMembers[deepMembers.count - 1]
    }

    /// The next key of the current object (the `:` consumed), or `nil` at its end.
    @inlinable
    public mutating func nextKey() throws(JSONReadError) -> JSONKey? {
        skipWhitespace()
        guard index < end else { throw error("unexpected end of input in an object") }
        if base[index] == UInt8(ascii: "}") {
            index += 1
            pop()
            return nil
        }
        if markMember() {
            guard base[index] == UInt8(ascii: ",") else { throw error("expected ',' or '}' in an object") }
            index += 1
            skipWhitespace()
        }
        guard index < end, base[index] == UInt8(ascii: "\"") else { throw error("expected a string key") }
        let key = try readKey()
        skipWhitespace()
        guard index < end, base[index] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
        index += 1
        return key
    }

    /// `true` when another element of the current array follows (positioned at it).
    @inlinable
    public mutating func nextElement() throws(JSONReadError) -> Bool {
        skipWhitespace()
        guard index < end else { throw error("unexpected end of input in an array") }
        if base[index] == UInt8(ascii: "]") {
            index += 1
            pop()
            return false
        }
        if markMember() {
            guard base[index] == UInt8(ascii: ",") else { throw error("expected ',' or ']' in an array") }
            index += 1
        }
        return true
    }

    @inlinable
    mutating func readKey() throws(JSONReadError) -> JSONKey {
        index += 1  // opening quote
        let start = index
        skipPlainBytes()
        guard index < end else { throw error("unterminated string") }
        let byte = base[index]
        if byte == UInt8(ascii: "\"") {
            let count = index - start
            index += 1
            return JSONKey(start: base + start, count: count, hash: JSONKey.hash(base + start, count), unescaped: nil)
        }
        if byte == UInt8(ascii: "\\") { return try readEscapedKey(from: start) }
        throw error("control character in a string")
    }

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
                index += 2
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

    // MARK: scalars

    /// Reads a string (escapes decoded, UTF-8 validated with replacement like Foundation).
    @inlinable
    public mutating func readString() throws(JSONReadError) -> String {
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

    private mutating func readHex4() throws(JSONReadError) -> UInt32 {
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

    @inlinable
    public mutating func readBool() throws(JSONReadError) -> Bool {
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

    // MARK: whole values

    /// Skips one value of any kind, checking its syntax (keys are not hashed,
    /// strings not built).
    public mutating func skipValue() throws(JSONReadError) {
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

    private mutating func skipContainer(close: UInt8, isObject: Bool) throws(JSONReadError) {
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
        skipWhitespace()
        let start = index
        try skipValue()
        let count = index - start
        if count >= StringTable.minimumBlob, let strings { return strings.bytes(base + start, count) }
        return Array(UnsafeBufferPointer(start: base + start, count: count))
    }

    /// Reads any value as a ``JSONValue``.
    public mutating func readValue() throws(JSONReadError) -> JSONValue {
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

extension JSONValue: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self = try reader.readValue()
    }
}

/// A direct-mapped cache of strings and raw values read from one input, so that
/// repeated values share storage: fewer allocations while reading, less memory after.
/// (The `managedFields[].fieldsV1` of pods of one ReplicaSet are often byte-identical.)
@usableFromInline
final class StringTable {
    @usableFromInline static let minimumInput = 32 * 1024
    /// Shorter strings are stored inline in `String` anyway.
    @usableFromInline static let minimumLength = 16
    @usableFromInline static let maximumLength = 128
    @usableFromInline static let slotCount = 4096

    @usableFromInline let hashes: UnsafeMutablePointer<UInt64>
    @usableFromInline let slots: UnsafeMutablePointer<String>

    /// Raw values get one slot per 4 KB of input (at least 1,024, at most 16,384): equal
    /// values of a large list can be far apart.
    @usableFromInline
    init(inputSize: Int) {
        var blobSlots = 1024
        while blobSlots < 16384 && blobSlots * 4096 < inputSize { blobSlots *= 2 }
        blobSlotCount = blobSlots
        hashes = .allocate(capacity: Self.slotCount)
        hashes.initialize(repeating: 0, count: Self.slotCount)
        slots = .allocate(capacity: Self.slotCount)
        slots.initialize(repeating: "", count: Self.slotCount)
        blobHashes = .allocate(capacity: blobSlotCount)
        blobHashes.initialize(repeating: 0, count: blobSlotCount)
        blobs = .allocate(capacity: blobSlotCount)
        blobs.initialize(repeating: [], count: blobSlotCount)
    }

    @usableFromInline let blobSlotCount: Int
    /// Raw values shorter than this are not worth a lookup.
    @usableFromInline static let minimumBlob = 64
    @usableFromInline let blobHashes: UnsafeMutablePointer<UInt64>
    @usableFromInline let blobs: UnsafeMutablePointer<[UInt8]>

    deinit {
        slots.deinitialize(count: Self.slotCount)
        slots.deallocate()
        hashes.deallocate()
        blobs.deinitialize(count: blobSlotCount)
        blobs.deallocate()
        blobHashes.deallocate()
    }

    /// The bytes as an array, shared with an earlier equal raw value when the table has one.
    @inlinable
    func bytes(_ start: UnsafePointer<UInt8>, _ count: Int) -> [UInt8] {
        let hash = Self.contentHash(start, count) | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: hash &>> 17) & (blobSlotCount - 1)
        if blobHashes[slot] == hash {
            let existing = blobs[slot]
            let same = existing.withUnsafeBufferPointer { stored in
                stored.count == count && memcmp(stored.baseAddress!, start, count) == 0
            }
            if same { return existing }
        }
        let copy = Array(UnsafeBufferPointer(start: start, count: count))
        blobHashes[slot] = hash
        blobs[slot] = copy
        return copy
    }

    /// A hash of every byte (8 at a time), for values that often share their ends.
    @inlinable
    static func contentHash(_ start: UnsafePointer<UInt8>, _ count: Int) -> UInt64 {
        let raw = UnsafeRawPointer(start)
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(truncatingIfNeeded: count)
        var offset = 0
        while offset + 8 <= count {
            hash = (hash ^ UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) &* 0x9E37_79B9_7F4A_7C15
            hash = (hash &<< 31) | (hash &>> 33)
            offset += 8
        }
        while offset < count {
            hash = (hash ^ UInt64(start[offset])) &* 0x0000_0100_0000_01B3
            offset += 1
        }
        return hash ^ (hash &>> 29)
    }

    @inlinable
    func string(_ start: UnsafePointer<UInt8>, _ count: Int) -> String {
        let hash = JSONKey.hash(start, count) | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        if hashes[slot] == hash {
            let existing = slots[slot]
            let same = existing.utf8.withContiguousStorageIfAvailable { stored in
                stored.count == count && memcmp(stored.baseAddress!, start, count) == 0
            }
            if same == true { return existing }
        }
        let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        hashes[slot] = hash
        slots[slot] = text
        return text
    }
}
