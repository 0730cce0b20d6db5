import Foundation

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
