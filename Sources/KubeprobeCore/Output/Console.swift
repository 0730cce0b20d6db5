import Foundation

/// Where kubeprobe writes: standard output, with colour and a spinner only when it is a
/// terminal (and `NO_COLOR` is unset), plain text otherwise, so pipes and tests see
/// exactly the report.
public final class Console: @unchecked Sendable {
    /// Standard output is a terminal.
    public let isTTY: Bool
    /// ANSI colours are used.
    public let colour: Bool
    private let lock = NSLock()
    private var spinner: Task<Void, Never>?
    private var collected: [String]?
    private var collectedErrors: [String] = []

    public init(isTTY: Bool? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let tty = isTTY ?? (isatty(STDOUT_FILENO) == 1)
        self.isTTY = tty
        self.colour = tty && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// A console that keeps what is written (for tests and embedding).
    public static func capturing() -> Console {
        let console = Console(isTTY: false, environment: [:])
        console.collected = []
        return console
    }

    /// Everything written to a capturing console.
    public var captured: String { lock.withLock { (collected ?? []).joined() } }

    /// Writes one line (a newline is added).
    public func line(_ text: String = "") { write(text + "\n") }

    public func write(_ text: String) {
        lock.withLock {
            if collected != nil {
                collected?.append(text)
                return
            }
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// Writes to standard error (diagnostics, request logs); a capturing console keeps it too.
    public func error(_ text: String, newline: Bool = true) {
        let text = newline ? text + "\n" : text
        let kept = lock.withLock { () -> Bool in
            guard collected != nil else { return false }
            collectedErrors.append(text)
            return true
        }
        if !kept { FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// What was written to standard error of a capturing console.
    public var capturedErrors: String { lock.withLock { collectedErrors.joined() } }

    enum Style: String {
        case green = "32", red = "31", yellow = "33", dim = "2", bold = "1", cyan = "36"
    }

    func styled(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Shows a spinner with `label` until ``stopSpinner()`` (terminal only).
    func startSpinner(_ label: String) {
        guard isTTY else { return }
        stopSpinner()
        let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
        let task = Task { [weak self] in
            var index = 0
            while !Task.isCancelled {
                self?.write("\r\u{1B}[2K\(frames[index % frames.count]) \(label)")
                index += 1
                try? await Task.sleep(for: .milliseconds(80))
            }
        }
        lock.withLock { spinner = task }
    }

    func stopSpinner() {
        let task = lock.withLock { () -> Task<Void, Never>? in
            defer { spinner = nil }
            return spinner
        }
        guard let task else { return }
        task.cancel()
        write("\r\u{1B}[2K")
    }
}

/// Left-aligned columns separated by three spaces, like kubectl's tables.
func renderTable(_ rows: [[String]], indent: String = "") -> [String] {
    guard let header = rows.first else { return [] }
    let columns = rows.map(\.count).max() ?? header.count
    var widths = [Int](repeating: 0, count: columns)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    return rows.map { row in
        var line = indent
        for (index, cell) in row.enumerated() {
            line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 3, withPad: " ", startingAt: 0)
        }
        return line
    }
}
