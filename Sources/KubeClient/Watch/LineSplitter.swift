import Foundation
import NIOCore

/// Splits a byte stream into `\n`-terminated lines, whatever the chunking: a line may
/// span many chunks, a chunk may hold many lines. Pure; no I/O.
///
/// A line longer than `maxLineLength` is an error rather than unbounded buffering.
struct LineSplitter {
    struct LineTooLong: Error {}

    private var pending: [UInt8] = []
    let maxLineLength: Int

    init(maxLineLength: Int = 128 << 20) {
        self.maxLineLength = maxLineLength
    }

    /// The complete lines the chunk finishes (without `\n` or a trailing `\r`, empty lines dropped).
    mutating func append(_ chunk: ByteBuffer) throws(LineTooLong) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        do {
            try forEachLine(in: chunk) { line in lines.append(Array(line)) }
        } catch let error as LineTooLong {
            throw error
        } catch {
            preconditionFailure("the body does not throw")
        }
        return lines
    }

    /// Calls `body` with each complete line the chunk finishes (without `\n` or a trailing
    /// `\r`, empty lines dropped), in order. A line that lies within the chunk is passed
    /// without copying; the bytes are valid only during the call. If `body` throws, the
    /// rest of the chunk is dropped and the error is rethrown.
    mutating func forEachLine(in chunk: ByteBuffer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try chunk.withUnsafeReadableBytes { bytes in
            var start = 0
            let end = bytes.count
            while start < end {
                guard let newline = Self.index(of: UInt8(ascii: "\n"), in: bytes, from: start) else { break }
                if pending.isEmpty {
                    try emit(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), body)
                } else {
                    pending.append(contentsOf: bytes[start..<newline])
                    defer { pending.removeAll(keepingCapacity: true) }
                    try pending.withUnsafeBytes { try emit($0, body) }
                }
                start = newline + 1
            }
            if start < end {
                pending.append(contentsOf: bytes[start..<end])
                guard pending.count <= maxLineLength else { throw LineTooLong() }
            }
        }
    }

    private func emit(_ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var line = line
        if line.last == UInt8(ascii: "\r") { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        guard !line.isEmpty else { return }
        guard line.count <= maxLineLength else { throw LineTooLong() }
        try body(line)
    }

    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        guard let found = memchr(base + start, Int32(byte), bytes.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// What is left after the stream ended without a final newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? nil : pending
    }
}
