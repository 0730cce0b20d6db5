import Foundation
import KubeCore
import Testing

/// Runs every scenario of the built `kube-bench` with tiny sizes through `kube-bench all`,
/// then `kube-bench report` on its output: the harness's correctness, never its speed.
@Suite(.timeLimit(.minutes(10))) struct ScenarioSmokeTests {
    let smoke = DecodePodListSmokeTests()

    func line(_ lines: [JSONValue], _ scenario: String, where extra: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
        lines.first { $0["scenario"] == .string(scenario) && extra($0) }
    }

    func expectStats(_ line: JSONValue?, _ name: String) {
        let median = DecodePodListSmokeTests.number(line?[name + "_median"])
        let low = DecodePodListSmokeTests.number(line?[name + "_min"])
        let high = DecodePodListSmokeTests.number(line?[name + "_max"])
        #expect(median != nil && low != nil && high != nil, "\(name) figures missing in \(String(describing: line))")
        if let median, let low, let high { #expect(low <= median && median <= high) }
    }

    @Test func everyScenarioWithTinySizesThenReport() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-all-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixture = folder.appendingPathComponent("pods.json")
        try DecodePodListSmokeTests.podList(count: 7).write(to: fixture)
        let jsonl = folder.appendingPathComponent("bench.jsonl")
        let bench = try DecodePodListSmokeTests.benchBinary()
        var arguments = [
            "all", "--fixture", fixture.path, "--pods", "12", "--events", "20", "--requests", "20", "--runs", "2",
            "--cold-start-runs", "2", "--output", jsonl.path,
            // The built siblings (debug), not a static release build: this checks the harness.
            "--kubeprobe", bench.deletingLastPathComponent().appendingPathComponent("kubeprobe").path,
            "--coldstart", bench.deletingLastPathComponent().appendingPathComponent("kube-bench-coldstart").path,
        ]
        if let python = ProcessInfo.processInfo.environment["KUBE_PYTHON"], !python.isEmpty {
            arguments += ["--compare", "python"]
        }
        let result = try smoke.run(arguments)
        #expect(result.status == 0, "kube-bench all failed: \(result.output)")
        let lines = try result.output.split(separator: "\n").map { try JSONValue.read(from: Data($0.utf8)) }
        let saved = try String(contentsOf: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(saved.count == lines.count)

        let decode = line(lines, "decode-podlist")
        #expect(decode?["items"]?.intValue == 7)

        let list = line(lines, "list")
        #expect(list?["pods"]?.intValue == 12)
        expectStats(list, "ms")

        let watch = line(lines, "watch-throughput")
        #expect(watch?["events"]?.intValue == 20)
        expectStats(watch, "events_per_s")

        for count in [12, 60] {
            let memory = line(lines, "informer-memory") { $0["pods"]?.intValue == Int64(count) }
            #expect(memory != nil, "no informer-memory line for \(count) pods")
            expectStats(memory, "bytes_per_pod")
            #expect(memory?["method"] != nil)
            let stripped = line(lines, "informer-memory") { $0["pods"]?.intValue == Int64(count) && $0["mode"] == "managedFields stripped" }
            expectStats(stripped, "bytes_per_pod")
            for mode in ["metadata only", "metadata only, managedFields stripped"] {
                let metadata = line(lines, "informer-memory") { $0["pods"]?.intValue == Int64(count) && $0["mode"] == .string(mode) }
                #expect(metadata != nil, "no informer-memory line for \(count) pods, \(mode)")
                expectStats(metadata, "bytes_per_pod")
            }
        }

        let colds = lines.filter { $0["scenario"] == "cold-start" && $0["client"] == "swift-kubernetes" && $0["compare"] == nil }
        #expect(colds.count == 2, "cold start as built and with the given program")
        for cold in colds {
            #expect(cold["runs"]?.intValue == 2)
            #expect(cold["swift_runtime"] == "dynamic", "a debug build links the Swift runtime dynamically")
            expectStats(cold, "ms")
            expectStats(cold, "peak_rss_mb")
        }

        for inFlight in [1, 64] {
            let rate = line(lines, "request-rate") { $0["in_flight"]?.intValue == Int64(inFlight) }
            expectStats(rate, "requests_per_s")
            expectStats(rate, "p50_ms")
            expectStats(rate, "p99_ms")
        }

        let size = line(lines, "binary-size")
        let built = DecodePodListSmokeTests.number(size?["binary_mb"]) ?? 0
        let stripped = DecodePodListSmokeTests.number(size?["stripped_mb"]) ?? 0
        #expect(built > 0 && stripped > 0 && stripped <= built)
        expectStats(size, "whoami_ms")

        if ProcessInfo.processInfo.environment["KUBE_PYTHON"].map({ !$0.isEmpty }) == true {
            for scenario in ["decode-podlist", "list", "watch-throughput", "cold-start"] {
                let peer = line(lines, scenario) { $0["client"]?.stringValue?.hasPrefix("python-kubernetes") == true }
                #expect(DecodePodListSmokeTests.number(peer?["ratio_swift_vs_peer"]) != nil, "no Python \(scenario) line")
            }
        }

        for entry in lines { #expect(entry["machine"]?["cores"]?.intValue ?? 0 >= 1) }

        let markdown = folder.appendingPathComponent("docs/benchmarks.md")
        let svg = folder.appendingPathComponent("docs/benchmarks.svg")
        let report = try smoke.run(["report", "--input", jsonl.path, "--markdown", markdown.path, "--svg", svg.path])
        #expect(report.status == 0)
        let table = try String(contentsOf: markdown, encoding: .utf8)
        for scenario in ["list", "watch-throughput", "informer-memory", "cold-start", "request-rate", "binary-size", "decode-podlist"] {
            #expect(table.contains("| swift-kubernetes |"), "no rows")
            #expect(lines.contains { $0["scenario"] == .string(scenario) }, "no \(scenario) line")
        }
        #expect(table.contains("Machine:"))
        // A regenerated report keeps its hand-written notes.
        try Data((table + "\n## Notes\n\nmeasured by hand\n").utf8).write(to: markdown)
        #expect(try smoke.run(["report", "--input", jsonl.path, "--markdown", markdown.path, "--svg", svg.path]).status == 0)
        let again = try String(contentsOf: markdown, encoding: .utf8)
        #expect(again.hasSuffix("\n## Notes\n\nmeasured by hand\n") && again.components(separatedBy: "## Notes").count == 2)
        let chart = try String(contentsOf: svg, encoding: .utf8)
        #expect(chart.hasPrefix("<svg") && chart.contains("<rect"))
    }

    @Test func badInputFailsCleanly() throws {
        #expect(try smoke.run(["list", "--fixture", "/nonexistent/pods.json", "--runs", "1"]).status != 0)
        #expect(try smoke.run(["watch-throughput", "--events", "1"]).status != 0)
        #expect(try smoke.run(["informer-memory", "--fixture", "/nonexistent/pods.json"]).status != 0)
        #expect(try smoke.run(["cold-start", "--runs", "0"]).status != 0)
        #expect(try smoke.run(["request-rate", "--concurrency", "0"]).status != 0)
        #expect(try smoke.run(["binary-size", "--kubeprobe", "/nonexistent/kubeprobe"]).status != 0)
        #expect(try smoke.run(["report", "--input", "/nonexistent/bench.jsonl"]).status != 0)
    }
}
