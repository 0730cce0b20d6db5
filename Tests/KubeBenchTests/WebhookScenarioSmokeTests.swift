import Foundation
import KubeCore
import Testing

/// `kube-bench webhook` with tiny sizes: both modes print their figures, bad input fails.
@Suite(.timeLimit(.minutes(5))) struct WebhookScenarioSmokeTests {
    let smoke = DecodePodListSmokeTests()

    @Test func bothModesReportReviewsPerSecondAndLatency() throws {
        let result = try smoke.run(["webhook", "--reviews", "128", "--runs", "2", "--concurrency", "8"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        #expect(lines.map { $0["mode"]?.stringValue ?? "" } == ["8 HTTP/2 streams", "8 HTTP/1.1 connections"])
        for line in lines {
            #expect(line["scenario"] == "webhook")
            #expect(line["runs"]?.intValue == 2)
            // The server runs in a process of its own: its CPU per review is measured apart from the load generator's.
            #expect(line["load_generator"] == "raw NIO channels, own process")
            #expect((DecodePodListSmokeTests.number(line["server_cpu_us_per_review"]) ?? 0) > 0)
            #expect((DecodePodListSmokeTests.number(line["client_cpu_us_per_review"]) ?? 0) > 0)
            for name in ["reviews_per_s", "p50_ms", "p99_ms"] {
                let low = DecodePodListSmokeTests.number(line[name + "_min"]) ?? -1
                let median = DecodePodListSmokeTests.number(line[name + "_median"]) ?? -1
                let high = DecodePodListSmokeTests.number(line[name + "_max"]) ?? -1
                #expect(low > 0 && low <= median && median <= high, "\(name) in \(line)")
            }
        }

        // `report` renders both modes as rows of the table.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-webhook-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let jsonl = folder.appendingPathComponent("lines.jsonl"), markdown = folder.appendingPathComponent("benchmarks.md")
        try Data(result.output.utf8).write(to: jsonl)
        let report = try smoke.run([
            "report", "--input", jsonl.path, "--markdown", markdown.path, "--svg", folder.appendingPathComponent("chart.svg").path,
        ])
        #expect(report.status == 0)
        let table = try String(contentsOf: markdown, encoding: .utf8)
        #expect(table.contains("webhook reviews, 8 HTTP/2 streams") && table.contains("webhook reviews, 8 HTTP/1.1 connections"))
        #expect(table.contains("reviews/s, p50 "))
        #expect(table.contains("Machine: ") && !table.contains("| machine |"))

        // Lines of two machines: each row says which one it was measured on.
        var other = try #require(lines.first)
        other["mode"] = "other machine"
        other["machine"]?["kernel"] = "0.0-test"
        try Data((result.output + String(decoding: other.jsonBytes, as: UTF8.self) + "\n").utf8).write(to: jsonl)
        #expect(try smoke.run(["report", "--input", jsonl.path, "--markdown", markdown.path, "--svg", folder.appendingPathComponent("chart.svg").path]).status == 0)
        let mixed = try String(contentsOf: markdown, encoding: .utf8)
        #expect(mixed.contains("Machines (") && mixed.contains("- B: ") && mixed.contains("Linux 0.0-test"))
        #expect(mixed.contains("| machine |") && mixed.contains("webhook reviews, other machine"))
        let tagged = mixed.split(separator: "\n").first { $0.contains("webhook reviews, other machine") } ?? ""
        #expect(tagged.hasSuffix("| B |"))
    }

    @Test func asyncHTTPClientAsTheLoadGenerator() throws {
        let result = try smoke.run(["webhook", "--reviews", "64", "--runs", "1", "--concurrency", "4", "--load-generator", "asynchttpclient"])
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n").compactMap { try? JSONValue.read(from: Data($0.utf8)) }
        #expect(lines.map { $0["mode"]?.stringValue ?? "" } == ["4 HTTP/2 streams, AsyncHTTPClient", "4 HTTP/1.1 connections, AsyncHTTPClient"])
    }

    /// h2load (installed by .ci/run) drives both modes; its per-request log gives the latencies.
    @Test func h2loadAsTheLoadGenerator() throws {
        let result = try smoke.run(["webhook", "--reviews", "200", "--runs", "2", "--concurrency", "8", "--load-generator", "h2load"], mergingErrors: true)
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        #expect(lines.map { $0["mode"]?.stringValue ?? "" } == ["8 HTTP/2 streams, h2load", "8 HTTP/1.1 connections, h2load"])
        for line in lines {
            #expect(line["load_generator"] == "h2load (nghttp2), own process")
            #expect((DecodePodListSmokeTests.number(line["reviews_per_s_median"]) ?? 0) > 0)
            let p50 = DecodePodListSmokeTests.number(line["p50_ms_median"]) ?? 0, p99 = DecodePodListSmokeTests.number(line["p99_ms_median"]) ?? 0
            #expect(p50 > 0 && p99 >= p50, "\(line)")
            #expect((DecodePodListSmokeTests.number(line["client_cpu_us_per_review"]) ?? 0) > 0)
            #expect((DecodePodListSmokeTests.number(line["server_cpu_us_per_review"]) ?? 0) > 0)
        }
    }

    /// An h2load whose log is not a full run of 200s (a stand-in on the PATH that writes one)
    /// fails the scenario and says why; so does a missing h2load.
    @Test func anH2loadRunThatIsNotAllAnsweredFails() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-fake-h2load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("h2load")
        let path = folder.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        for (lines, message) in [(#"1000\t200\t1500\n1200\t503\t2500\n"#, "review 2 answered HTTP 503"), (#"1000\t200\t1500\n"#, "answered 1 of 2 reviews"),
                                 (#"1000 200\n1200\t200\t2500\n"#, "log line 1 is not start, status, duration")] {
            try """
                #!/bin/sh
                for a in "$@"; do case "$a" in --log-file=*) log="${a#--log-file=}";; esac; done
                printf '\(lines)' > "$log"
                """.write(to: script, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
            let result = try smoke.run(["webhook", "--reviews", "2", "--runs", "1", "--concurrency", "1", "--load-generator", "h2load"],
                                       environment: ["PATH": path], mergingErrors: true)
            #expect(result.status != 0)
            #expect(result.output.contains(message), "\(result.output)")
        }
        let missing = try smoke.run(["webhook", "--load-generator", "h2load"], environment: ["PATH": "/nonexistent"], mergingErrors: true)
        #expect(missing.status != 0)
        #expect(missing.output.contains("apt-get install nghttp2-client"), "\(missing.output)")
    }

    @Test func badInputFails() throws {
        #expect(try smoke.run(["webhook", "--concurrency", "0"]).status != 0)
        #expect(try smoke.run(["webhook", "--runs", "0"]).status != 0)
        #expect(try smoke.run(["webhook", "--load-generator", "curl"]).status != 0)
    }
}
