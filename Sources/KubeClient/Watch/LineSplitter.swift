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
        let view = chunk.readableBytesView
        var start = view.startIndex
        while let newline = view[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line: [UInt8]
            if pending.isEmpty {
                line = Array(view[start..<newline])
            } else {
                line = pending
                line.append(contentsOf: view[start..<newline])
                pending.removeAll(keepingCapacity: true)
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if !line.isEmpty {
                guard line.count <= maxLineLength else { throw LineTooLong() }
                lines.append(line)
            }
            start = view.index(after: newline)
        }
        pending.append(contentsOf: view[start...])
        guard pending.count <= maxLineLength else { throw LineTooLong() }
        return lines
    }

    /// What is left after the stream ended without a final newline.
    mutating func finish() -> [UInt8]? {
        defer { pending = [] }
        if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
        return pending.isEmpty ? nil : pending
    }
}
