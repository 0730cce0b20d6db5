import Foundation

/// Prints a check report for people: one line per step with its mark and timing, the
/// facts indented under it, and for a failure the cause, the fix and any YAML to apply.
struct CheckPrinter: Sendable {
    let console: Console
    let verbose: Bool

    func header(mode: String) {
        console.line(console.styled("kubeprobe check", .bold) + " — the Pod → API server path, step by step (\(mode))")
        console.line()
    }

    func mark(_ status: StepStatus) -> String {
        switch status {
        case .ok: console.styled("✓", .green)
        case .warning: console.styled("⚠", .yellow)
        case .failed: console.styled("✗", .red)
        case .skipped: console.styled("–", .dim)
        }
    }

    func step(_ result: StepResult) {
        let timing = result.status == .skipped ? "" : String(format: "%6.0f ms", result.durationMilliseconds)
        let title = "\(result.number). \(result.title)".padding(toLength: 26, withPad: " ", startingAt: 0)
        console.line("\(mark(result.status)) \(console.styled(title, .bold)) \(console.styled(timing.padding(toLength: 9, withPad: " ", startingAt: 0), .dim)) \(result.summary)")
        let indent = "      "
        for detail in result.details { console.line(indent + detail) }
        if let table = result.table, table.count > 1 {
            for line in renderTable(table, indent: indent) { console.line(line) }
        }
        if let cause = result.cause { console.line(indent + console.styled("cause: ", .yellow) + cause) }
        if let fix = result.fix { console.line(indent + console.styled("fix: ", .cyan) + fix) }
        if let yaml = result.fixYAML {
            for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
                console.line(indent + "  " + line)
            }
        }
    }

    func footer(_ report: CheckReport) {
        console.line()
        let failed = report.steps.filter { $0.status == .failed }
        let warned = report.steps.filter { $0.status == .warning }
        let skipped = report.steps.filter { $0.status == .skipped && $0.summary.hasPrefix("skipped:") }
        var line = failed.isEmpty
            ? console.styled("All steps passed", .green) + (warned.isEmpty ? "" : " (\(warned.count) warning\(warned.count == 1 ? "" : "s"))")
            : console.styled("\(failed.count) step\(failed.count == 1 ? "" : "s") failed", .red) + ": " + failed.map { "\($0.number) (\($0.title))" }.joined(separator: ", ")
        if !skipped.isEmpty { line += "; skipped: " + skipped.map { "\($0.number)" }.joined(separator: ", ") }
        line += String(format: " — %.0f ms", report.durationMilliseconds)
        console.line(line)
    }
}
