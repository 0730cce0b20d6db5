import ArgumentParser
import Foundation

/// `kube-bench all`: every scenario, each in its own child process (so one scenario's
/// memory does not affect the next), their JSON lines printed and optionally appended to a file.
struct RunAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every scenario; print (and optionally save) their JSON lines.")

    @Option(help: "The pod list fixture.")
    var fixture = "../shared/fixtures/podlist-10k.json.gz"

    @Option(help: "Pods for list (informer-memory measures this and 5x this).")
    var pods = 10_000

    @Option(help: "Watch events to replay.")
    var events = 10_000

    @Option(help: "Requests per request-rate run.")
    var requests = 5_000

    @Option(help: "Runs per scenario (cold start: at least 20 unless fewer are asked for).")
    var runs = 5

    @Option(help: "Cold-start runs.")
    var coldStartRuns = 20

    @Option(help: "A kubeprobe binary for binary-size (default: built with --static-swift-stdlib into .build-static).")
    var kubeprobe: String?

    @Option(help: "The cold-start program for the static figure and the Python comparison (default: kube-bench-coldstart built with --static-swift-stdlib into .build-static).")
    var coldstart: String?

    @Option(help: "Also measure a peer client, interleaved against the same server: python (the official kubernetes client; $KUBE_PYTHON or a private venv).")
    var compare: String?

    @Option(help: "Append every JSON line to this file (e.g. docs/benchmarks.jsonl).")
    var output: String?

    func validate() throws {
        if let compare, compare != "python" { throw ValidationError("--compare: only python is supported") }
        guard runs >= 1, coldStartRuns >= 1, pods >= 1, events >= 2, requests >= 1 else {
            throw ValidationError("--runs, --cold-start-runs, --pods and --requests must be at least 1, --events at least 2")
        }
    }

    func run() async throws {
        let runs = String(self.runs)
        var scenarios: [[String]] = [
            ["decode-podlist", "--fixture", fixture, "--runs", runs],
            ["list", "--fixture", fixture, "--count", String(pods), "--runs", runs],
            // The same without gzip: what compression changes, in one run.
            ["list", "--fixture", fixture, "--count", String(pods), "--runs", runs, "--no-compression"],
            ["watch-throughput", "--events", String(events), "--runs", runs],
            ["informer-memory", "--fixture", fixture, "--counts", String(pods), String(pods * 5), "--runs", String(min(self.runs, 3))],
            ["request-rate", "--requests", String(requests), "--runs", String(min(self.runs, 3))],
        ]
        // Cold start twice: as `swift build` links it (the Swift runtime as shared libraries),
        // and linked statically like a container image's binary; binary-size is the static kubeprobe.
        let staticColdstart = try coldstart ?? StaticBuild.binary("kube-bench-coldstart")
        let probe = try kubeprobe ?? StaticBuild.binary("kubeprobe")
        if let dynamic = try? Sibling.path("kube-bench-coldstart") {
            scenarios.append(["cold-start", "--runs", String(coldStartRuns), "--program", dynamic])
        }
        scenarios.append(["cold-start", "--runs", String(coldStartRuns), "--program", staticColdstart])
        scenarios.append(["binary-size", "--kubeprobe", probe, "--runs", String(coldStartRuns)])
        var lines: [String] = []
        for arguments in scenarios {
            let result = try ChildRun.run(Sibling.selfPath, arguments)
            guard result.status == 0 else {
                throw BenchError("kube-bench \(arguments.joined(separator: " ")) exited with status \(result.status)")
            }
            for line in result.output.split(separator: "\n") where line.hasPrefix("{") {
                print(line)
                lines.append(String(line))
            }
        }
        if compare == "python" {
            let compared = try await ComparePython(
                fixture: fixture, pods: pods, events: events, runs: self.runs, coldStartRuns: coldStartRuns, coldstart: staticColdstart
            ).run()
            for line in compared { print(line) }
            lines += compared
        }
        if let output {
            let handle: FileHandle
            if FileManager.default.fileExists(atPath: output) {
                guard let existing = FileHandle(forWritingAtPath: output) else { throw BenchError("cannot write \(output)") }
                handle = existing
                try handle.seekToEnd()
            } else {
                guard FileManager.default.createFile(atPath: output, contents: nil), let created = FileHandle(forWritingAtPath: output) else {
                    throw BenchError("cannot create \(output)")
                }
                handle = created
            }
            defer { try? handle.close() }
            try handle.write(contentsOf: Data(lines.map { $0 + "\n" }.joined().utf8))
        }
    }
}
