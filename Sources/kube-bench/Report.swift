import ArgumentParser
import Foundation

/// `kube-bench report`: turns saved JSON lines into `docs/benchmarks.md` (a table of the
/// latest figure per scenario, with the machine and the command) and `docs/benchmarks.svg`
/// (a bar chart of speed ratios against the published reference figures).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write docs/benchmarks.md and docs/benchmarks.svg from saved JSON lines.")

    @Option(help: "The JSON lines (kube-bench all --output ...).")
    var input = "docs/benchmarks.jsonl"

    @Option(help: "The Markdown table to write.")
    var markdown = "docs/benchmarks.md"

    @Option(help: "The SVG chart to write.")
    var svg = "docs/benchmarks.svg"

    @Option(help: "The command that produced the lines, quoted in the document.")
    var command = "swift run -c release kube-bench all --compare python --output docs/benchmarks.jsonl && swift run -c release kube-bench report"

    func run() throws {
        guard let text = try? String(contentsOfFile: input, encoding: .utf8) else { throw BenchError("cannot read \(input)") }
        var latest: [String: [String: Any]] = [:]
        var order: [String] = []
        for (number, line) in text.split(separator: "\n").enumerated() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let scenario = object["scenario"] as? String
            else { throw BenchError("\(input):\(number + 1) is not a kube-bench JSON line") }
            let key = Self.key(scenario, object)
            if latest[key] == nil { order.append(key) }
            latest[key] = object
        }
        guard !order.isEmpty else { throw BenchError("\(input) holds no JSON lines") }
        // Scenario by scenario (standalone rows first, then the A/B rows), stable otherwise.
        let scenarios = ["decode-podlist", "list", "watch-throughput", "informer-memory", "cold-start", "request-rate", "webhook", "binary-size"]
        let rows = order.enumerated().compactMap { position, key in latest[key].map { (position, Row(key: key, object: $0)) } }
            .sorted { left, right in
                let a = (left.1.object["compare"] != nil ? 1 : 0, scenarios.firstIndex(of: left.1.scenario) ?? scenarios.count, left.0)
                let b = (right.1.object["compare"] != nil ? 1 : 0, scenarios.firstIndex(of: right.1.scenario) ?? scenarios.count, right.0)
                return a < b
            }
            .map(\.1)
        let generated = Self.markdown(rows, command: command, svgName: URL(fileURLWithPath: svg).lastPathComponent)
        try Self.write(generated + Self.notes(in: markdown), to: markdown)
        try Self.write(Self.chart(rows), to: svg)
        print("wrote \(markdown) and \(svg) from \(rows.count) figures")
    }

    static func key(_ scenario: String, _ object: [String: Any]) -> String {
        var key = scenario + "|" + ((object["client"] as? String) ?? "")
        if let mode = object["mode"] as? String { key += "|" + mode }
        if let encoding = object["encoding"] as? String, encoding != "json" { key += "|" + encoding }
        if let pods = object["pods"] as? Int, scenario == "informer-memory" { key += "|\(pods)" }
        if let runtime = object["swift_runtime"] as? String, scenario == "cold-start" { key += "|" + runtime }
        if let compression = object["compression"] as? String, scenario == "list" { key += "|" + compression }
        if let server = object["server"] as? String, server.hasPrefix("kubeconfig") { key += "|" + server }
        // A/B runs against a peer are kept apart from the standalone runs of the same scenario.
        if object["compare"] != nil { key += "|interleaved" }
        return key
    }

    struct Row {
        let key: String
        let object: [String: Any]
        var scenario: String { object["scenario"] as? String ?? "" }
        /// The client measured (or, for server scenarios like `webhook`, the server).
        var client: String { object["client"] as? String ?? object["server"] as? String ?? "" }
        /// `, protobuf` for a row measured in protobuf (`--protobuf`), else empty.
        var encodingSuffix: String { (object["encoding"] as? String).map { $0 == "json" ? "" : ", \($0)" } ?? "" }
        func number(_ name: String) -> Double? { (object[name] as? NSNumber)?.doubleValue }
        func range(_ name: String) -> String? {
            guard let median = number(name + "_median") else { return nil }
            let low = number(name + "_min").map { Report.format($0) } ?? "?"
            let high = number(name + "_max").map { Report.format($0) } ?? "?"
            return "\(Report.format(median)) (\(low)–\(high))"
        }
    }

    /// The headline figure of a row: label, value text, the median, and whether higher is better.
    static func headline(_ row: Row) -> (label: String, text: String, median: Double, higherIsBetter: Bool)? {
        switch row.scenario {
        case "decode-podlist":
            guard let ms = row.number("ms_median"), let rate = row.number("mb_per_s") else { return nil }
            return ("decode pod list (\(format((row.number("bytes") ?? 0) / 1_000_000)) MB\(row.encodingSuffix))", "\(row.range("ms") ?? format(ms)) ms, \(format(rate)) MB/s, peak \(format(row.number("peak_rss_mb") ?? 0)) MB", rate, true)
        case "list":
            guard let ms = row.number("ms_median") else { return nil }
            let compression = (row.object["compression"] as? String).map { ", \($0)" } ?? ""
            return (
                "list \(Int(row.number("pods") ?? 0)) pods (pages of \(Int(row.number("page_size") ?? 0))\(compression)\(row.encodingSuffix))\(Self.where(row))",
                "\(row.range("ms") ?? "") ms\(Self.memory(row, "mallocs_per_pod", "pod"))", ms, false)
        case "watch-throughput":
            guard let rate = row.number("events_per_s_median") else { return nil }
            return (
                "watch replay \(Int(row.number("events") ?? 0)) events\(row.encodingSuffix)\(Self.where(row))",
                "\(row.range("events_per_s") ?? "") events/s\(Self.memory(row, "mallocs_per_event", "event"))", rate, true)
        case "informer-memory":
            guard let bytes = row.number("bytes_per_pod_median") else { return nil }
            let mode = (row.object["mode"] as? String).map { ", \($0)" } ?? ""
            return ("informer memory, \(Int(row.number("pods") ?? 0)) pods\(mode)", "\(row.range("bytes_per_pod") ?? "") bytes/pod (JSON: \(format(row.number("json_bytes_per_pod") ?? 0)))", bytes, false)
        case "cold-start":
            guard let ms = row.number("ms_median") else { return nil }
            let runtime = (row.object["swift_runtime"] as? String).map { ", Swift runtime \($0)" } ?? ""
            return ("cold start (in-cluster list\(runtime))", "\(row.range("ms") ?? "") ms, peak \(row.range("peak_rss_mb") ?? "") MB", ms, false)
        case "request-rate":
            guard let rate = row.number("requests_per_s_median") else { return nil }
            return ("GET ConfigMap, \(row.object["mode"] as? String ?? "")", "\(row.range("requests_per_s") ?? "") req/s, p50 \(row.range("p50_ms") ?? "") ms, p99 \(row.range("p99_ms") ?? "") ms", rate, true)
        case "webhook":
            guard let rate = row.number("reviews_per_s_median") else { return nil }
            let cpu = row.number("server_cpu_us_per_review").map { "; server CPU \(format($0)) µs/review" } ?? ""
            return ("webhook reviews, \(row.object["mode"] as? String ?? "")", "\(row.range("reviews_per_s") ?? "") reviews/s, p50 \(row.range("p50_ms") ?? "") ms, p99 \(row.range("p99_ms") ?? "") ms\(cpu)", rate, true)
        case "binary-size":
            guard let size = row.number("binary_mb") else { return nil }
            return ("kubeprobe binary, \(row.object["swift_stdlib"] as? String ?? "")", "\(format(size)) MB (stripped \(format(row.number("stripped_mb") ?? 0)) MB); whoami \(row.range("whoami_ms") ?? "") ms, peak \(row.range("whoami_peak_rss_mb") ?? "") MB", size, false)
        default:
            return nil
        }
    }

    /// Published reference figures (the fixture README; client-go and the Python client on the
    /// same class of machine against a real kube-apiserver), used when no peer was measured here.
    static let references: [String: [(client: String, value: Double)]] = [
        "decode-podlist": [("client-go (reference)", 60), ("Python client (reference)", 6.9)],
        // client-go's protobuf decode of podlist-10k.pb.gz (62.1 MB): 250–317 ms on the development
        // machine (fixture README, 2026-12-01); its best run, 250 ms, as MB/s.
        "decode-podlist|protobuf": [("client-go protobuf (reference, 250 ms)", 248.5)],
        "watch-throughput": [("client-go (reference)", 100_000), ("Python client (reference)", 27_000)],
        "cold-start": [("client-go (reference)", 13), ("Python client (reference)", 797)],
    ]

    /// Speed ratios (swift-kubernetes ÷ peer, > 1 means faster): measured peers first, else references.
    static func ratios(_ rows: [Row]) -> [(label: String, ratio: Double)] {
        var result: [(String, Double)] = []
        for row in rows where row.client == "swift-kubernetes" {
            guard let mine = headline(row) else { continue }
            // The same variant of the scenario (sizes, runtime linking, standalone or A/B) only.
            let variant = { (row: Row) in row.key.dropFirst(row.scenario.count + 1 + row.client.count) }
            let peers = rows.filter { $0.scenario == row.scenario && $0.client != row.client && variant($0) == variant(row) }
            var compared: [(String, Double)] = peers.compactMap { peer in headline(peer).map { (peer.client + " (measured)", $0.median) } }
            if compared.isEmpty {
                let protobuf = row.object["encoding"] as? String == "protobuf"
                compared = (protobuf ? references[row.scenario + "|protobuf"] : nil) ?? references[row.scenario] ?? []
            }
            for (peer, value) in compared where value > 0 && mine.median > 0 {
                let label = mine.label + (row.object["compare"] != nil ? ", A/B" : "")
                result.append(("\(label) vs \(peer)", mine.higherIsBetter ? mine.median / value : value / mine.median))
            }
        }
        return result
    }

    static func markdown(_ rows: [Row], command: String, svgName: String) -> String {
        var lines = ["# Benchmarks", "", "Generated by `kube-bench report` from `docs/benchmarks.jsonl`. Figures are medians with min–max over the runs in parentheses (release build).", ""]
        // Rows measured on different machines (or kernels) say which one, so a table that
        // keeps older lines never passes them off as figures of the newest run.
        func describe(_ machine: [String: Any]) -> String {
            "\(machine["cpu"] as? String ?? "?"), \(machine["cores"] as? Int ?? 0) cores, \(machine["memory_mb"] as? Int ?? 0) MB RAM, Linux \(machine["kernel"] as? String ?? "?")"
        }
        var machines: [String] = []
        for row in rows {
            guard let machine = row.object["machine"] as? [String: Any] else { continue }
            let text = describe(machine)
            if !machines.contains(text) { machines.append(text) }
        }
        if machines.count == 1 {
            lines += ["Machine: \(machines[0]) (shared with other builds: expect noise).", ""]
        } else if machines.count > 1 {
            lines += ["Machines (shared with other builds: expect noise; compare figures of one machine only):", ""]
            for (index, machine) in machines.enumerated() { lines.append("- \(Self.machineTag(index)): \(machine)") }
            lines.append("")
        }
        let header = machines.count > 1 ? "| scenario | client | figure | runs | machine |" : "| scenario | client | figure | runs |"
        lines += ["Command:", "", "```sh", command, "```", "", header, machines.count > 1 ? "|---|---|---|---|---|" : "|---|---|---|---|"]
        for row in rows {
            guard let headline = headline(row) else { continue }
            let label = headline.label + (row.object["compare"] != nil ? ", A/B with the peer" : "")
            var line = "| \(label) | \(row.client) | \(headline.text) | \(Int(row.number("runs") ?? 0)) |"
            if machines.count > 1 {
                let index = (row.object["machine"] as? [String: Any]).flatMap { machines.firstIndex(of: describe($0)) }
                line += " \(index.map(Self.machineTag) ?? "?") |"
            }
            lines.append(line)
        }
        lines += ["", "Speed ratios (swift-kubernetes ÷ peer; above 1 is better for swift-kubernetes):", "", "| comparison | ratio |", "|---|---|"]
        for ratio in Self.ratios(rows) { lines.append("| \(ratio.label) | \(format(ratio.ratio))x |") }
        lines += ["", "![ratios](\(svgName))", ""]
        // Each distinct method once, named by the caches it measured (a metadata-only cache holds another type).
        var methods: [(caches: String, method: String)] = []
        for row in rows where row.scenario == "informer-memory" {
            guard let method = row.object["method"] as? String, !methods.contains(where: { $0.method == method }) else { continue }
            let metadataOnly = (row.object["mode"] as? String)?.contains("metadata only") == true
            methods.append((metadataOnly ? "metadata-only caches" : "Pod caches", method))
        }
        for entry in methods {
            lines += ["Informer memory method\(methods.count > 1 ? " (\(entry.caches))" : ""): \(entry.method).", ""]
        }
        return lines.joined(separator: "\n")
    }

    /// `A`, `B`, … for the machines of a table.
    static func machineTag(_ index: Int) -> String { index < 26 ? String(UnicodeScalar(UInt8(65 + index))) : "M\(index + 1)" }

    /// A hand-written horizontal bar chart (logarithmic scale; a dashed line marks ratio 1).
    static func chart(_ rows: [Row]) -> String {
        let bars = Self.ratios(rows)
        // Room for the longest label (about 6.6 px per character at 12 px sans-serif).
        let left = max(330, Int(Double(bars.map(\.label.count).max() ?? 0) * 6.6) + 16)
        let barHeight = 22, gap = 8, width = 360, top = 40
        let height = top + bars.count * (barHeight + gap) + 30
        // Logarithmic: ratios from 0.8x to 70x both stay readable; bars start at the lowest value.
        let low = min(0.5, (bars.map(\.ratio).min() ?? 1) / 1.5), high = max(2, (bars.map(\.ratio).max() ?? 1) * 1.1)
        func x(_ ratio: Double) -> Int {
            let clamped = min(max(ratio, low), high)
            return left + Int(Double(width) * log(clamped / low) / log(high / low))
        }
        var svg = [
            #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(left + width + 90)" height="\#(height)" font-family="sans-serif" font-size="12">"#,
            #"<text x="10" y="20" font-size="14" font-weight="bold">swift-kubernetes speed ratio vs peer (above 1 = faster)</text>"#,
        ]
        for (index, ratio) in bars.enumerated() {
            let y = top + index * (barHeight + gap)
            let color = ratio.ratio >= 1 ? "#2e7d32" : "#c62828"
            svg.append(#"<text x="\#(left - 6)" y="\#(y + 15)" text-anchor="end">\#(escape(ratio.label))</text>"#)
            svg.append(#"<rect x="\#(left)" y="\#(y)" width="\#(max(1, x(ratio.ratio) - left))" height="\#(barHeight)" fill="\#(color)"/>"#)
            svg.append(#"<text x="\#(x(ratio.ratio) + 4)" y="\#(y + 15)">\#(format(ratio.ratio))x</text>"#)
        }
        svg.append(##"<line x1="\##(x(1))" y1="\##(top - 6)" x2="\##(x(1))" y2="\##(height - 24)" stroke="#333" stroke-dasharray="4 3"/>"##)
        svg.append(#"<text x="\#(x(1))" y="\#(height - 10)" text-anchor="middle">1x</text>"#)
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// `, against <server>` for a row measured through `--kubeconfig`.
    static func `where`(_ row: Row) -> String {
        guard let server = row.object["server"] as? String, server.hasPrefix("kubeconfig") else { return "" }
        return ", against " + server.dropFirst("kubeconfig ".count)
    }

    /// `; N mallocs/<unit>, peak M MB` when the row has them.
    static func memory(_ row: Row, _ field: String, _ unit: String) -> String {
        var text = ""
        if let mallocs = row.range(field) { text += "; \(mallocs) mallocs/\(unit)" }
        if let peak = row.number("peak_rss_mb") { text += ", peak \(format(peak)) MB" }
        return text
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func format(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        if value >= 10 { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }

    /// The hand-written part of an existing report, kept when it is regenerated: everything
    /// from its `## Notes` heading on.
    static func notes(in path: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let start = text.range(of: "\n## Notes") else { return "" }
        return String(text[start.lowerBound...])
    }

    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }
}
