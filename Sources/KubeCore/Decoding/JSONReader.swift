import Foundation

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

    /// A reader over protobuf (``init(protobuf:schema:)``, JSONReader+Protobuf): every entry
    /// point then reads the pending field instead of JSON text.
    @usableFromInline var isProtobuf = false
    var protobufSchema: ProtobufSchema?
    var protobufTables: ProtobufTables?
    var pending: ProtobufPending = .none
    /// Where the message being read continues after a repeated field was read whole (-1: unset).
    var resume = -1

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
        if _slowPath(isProtobuf) { return try protobufPeek() }
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
        if isProtobuf { return }
        skipWhitespace()
        guard index == end else { throw error("unexpected data after the JSON value") }
    }

    /// Consumes `null` if it is next and returns `true`; otherwise consumes nothing.
    @inlinable
    public mutating func readNull() -> Bool {
        if _slowPath(isProtobuf) { return protobufNull() }
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
        if _slowPath(isProtobuf) { return try protobufObject(body) }
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
        if _slowPath(isProtobuf) { return try protobufArray(body) }
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
}
