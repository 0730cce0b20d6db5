import Foundation
import KubeClient
import KubeCore
import KubeModels

/// `kube-bench all --compare python`: the same operations with swift-kubernetes (A) and the
/// official Python client (B), interleaved A B A B ..., against one `kube-test-server`
/// process. Prints one line per client per scenario; the Python line carries the ratio.
struct ComparePython {
    var fixture: String
    var pods: Int
    var events: Int
    var runs: Int
    var coldStartRuns: Int
    /// The cold-start program (`kube-bench-coldstart`, static or not).
    var coldstart: String

    func run() async throws -> [String] {
        let peer = try PythonPeer.locate()
        defer { peer.remove() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var lines: [String] = []

        // Decode: the same unpacked bytes; Swift's generated reader vs ApiClient().deserialize.
        let bytes = try BenchFixture.load(fixture)
        let unpacked = folder.appendingPathComponent("pods.json")
        try Data(bytes).write(to: unpacked)
        var swiftDecode: [Double] = [], pythonDecode: [Double] = [], swiftPeak: [Double] = [], pythonPeak: [Double] = []
        for _ in 0..<runs {
            let swift = try ChildRun.run(Sibling.selfPath, ["decode-podlist", "--fixture", unpacked.path, "--runs", "1"])
            guard swift.status == 0, let line = try? JSONValue.read(from: Data(swift.output.utf8)),
                let ms = Self.number(line["ms_median"]), let peak = Self.number(line["peak_rss_mb"])
            else { throw BenchError("kube-bench decode-podlist failed: \(swift.output)") }
            swiftDecode.append(ms)
            swiftPeak.append(peak)
            let python = try peer.run(["decode", unpacked.path])
            pythonDecode.append(python.figure)
            pythonPeak.append(Double(python.run.peakRSSBytes) / 1_048_576)
        }
        let megabytes = Double(bytes.count) / 1_000_000
        for (client, times, peaks) in [("swift-kubernetes", swiftDecode, swiftPeak), (peer.client, pythonDecode, pythonPeak)] {
            let stats = Stats(times)
            var line = Self.head("decode-podlist", client).stats("ms", stats).number("mb_per_s", megabytes / (stats.median / 1000))
                .number("peak_rss_mb", Stats(peaks).median).int("bytes", bytes.count)
            if client != "swift-kubernetes" { line = line.number("ratio_swift_vs_peer", stats.median / Stats(swiftDecode).median) }
            lines.append(line.int("runs", runs).raw("machine", Machine.current().json).text)
        }

        // One server for list, watch and cold start.
        let podSeed = try PodSeed.writeManifests(try PodSeed.pods(fixture: fixture, count: pods), in: folder.appendingPathComponent("seed"))
        let server = try ServerProcess(seeds: podSeed + [try ColdStart.writeRBACSeed()], historyWindow: events * 2 + 1000)
        defer { server.stop() }
        let client = try KubeClient(config: try server.adminConfig())
        do {
            let podApi = Api<Pod>.all(client)
            _ = try await ListPods.listAll(podApi, pageSize: 500)
            var swiftList: [Double] = [], pythonList: [Double] = []
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let listed = try await ListPods.listAll(podApi, pageSize: 500)
                swiftList.append(milliseconds(ContinuousClock.now - start))
                let python = try peer.run(["list", server.kubeconfigPath, "500"])
                guard listed == pods, python.run.output.hasPrefix("\(pods)\n") else {
                    throw BenchError("list: Swift listed \(listed), Python printed \(python.run.output)")
                }
                pythonList.append(python.figure)
            }
            lines += Self.pair("list", peer, swiftList, pythonList, field: "ms", higherIsBetter: false) {
                $0.int("pods", pods).int("page_size", 500).int("runs", runs)
            }

            let configMaps = Api<ConfigMap>.namespaced(client, "default")
            let start = try await configMaps.list(ListOptions(limit: 1)).metadata.resourceVersion ?? "0"
            let run = "py" + UUID().uuidString.prefix(8).lowercased()
            let selector = try LabelSelector(parsing: "kube-bench=\(run)")
            try await WatchThroughput.write(configMaps, events: events, run: run)
            var swiftWatch: [Double] = [], pythonWatch: [Double] = []
            for _ in 0..<runs {
                swiftWatch.append(try await WatchThroughput.replay(configMaps, from: start, events: events, selector: selector))
                let python = try peer.run(["watch", server.kubeconfigPath, "default", start, String(events)])
                guard python.run.output.hasPrefix("\((events + 1) / 2)\n") else {
                    throw BenchError("watch: Python cached \(python.run.output)")
                }
                pythonWatch.append(python.figure)
            }
            lines += Self.pair("watch-throughput", peer, swiftWatch, pythonWatch, field: "events_per_s", higherIsBetter: true) {
                $0.int("events", events).int("runs", runs)
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()

        try await ColdStart.seedPods(server, count: 10)
        var swiftCold: [Double] = [], pythonCold: [Double] = [], swiftColdPeak: [Double] = [], pythonColdPeak: [Double] = []
        for index in 0...coldStartRuns {
            let swift = try ChildRun.run(coldstart, [server.podDirectory], environment: server.podEnvironment)
            let python = try ChildRun.run(peer.python, [peer.script, "coldstart", server.podDirectory], environment: server.podEnvironment)
            guard swift.status == 0, python.status == 0, swift.output == python.output else {
                throw BenchError("cold start: Swift \(swift.status) \(swift.output), Python \(python.status) \(python.output)")
            }
            if index == 0 { continue }
            swiftCold.append(swift.wallMilliseconds)
            pythonCold.append(python.wallMilliseconds)
            swiftColdPeak.append(Double(try ChildRun.peakRSS(coldstart, [server.podDirectory], environment: server.podEnvironment)) / 1_048_576)
            pythonColdPeak.append(
                Double(try ChildRun.peakRSS(peer.python, [peer.script, "coldstart", server.podDirectory], environment: server.podEnvironment))
                    / 1_048_576)
        }
        lines += Self.pair("cold-start", peer, swiftCold, pythonCold, field: "ms", higherIsBetter: false) { $0.int("runs", coldStartRuns).string("swift_runtime", StaticBuild.linking(of: coldstart)) }
            .enumerated().map { index, text in
                // Peak RSS per client, spliced before the machine member.
                let peaks = Stats(index == 0 ? swiftColdPeak : pythonColdPeak)
                let extra = JSONLine().stats("peak_rss_mb", peaks).text.dropFirst().dropLast()
                return text.replacingOccurrences(of: ",\"machine\":", with: ",\(extra),\"machine\":")
            }
        return lines
    }

    static func head(_ scenario: String, _ client: String) -> JSONLine {
        JSONLine().string("scenario", scenario).string("client", client).string("compare", "interleaved with the other client, same server process")
    }

    static func pair(
        _ scenario: String, _ peer: PythonPeer, _ swift: [Double], _ python: [Double], field: String, higherIsBetter: Bool,
        _ extra: (JSONLine) -> JSONLine
    ) -> [String] {
        let mine = Stats(swift), theirs = Stats(python)
        let ratio = higherIsBetter ? mine.median / theirs.median : theirs.median / mine.median
        return [
            extra(head(scenario, "swift-kubernetes").stats(field, mine)).raw("machine", Machine.current().json).text,
            extra(head(scenario, peer.client).stats(field, theirs).number("ratio_swift_vs_peer", ratio)).raw("machine", Machine.current().json).text,
        ]
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }
}
