import Foundation
import Synchronization
import KubeCore
import KubeModels
import Testing

/// Runs the built `kube-bench` on a tiny generated pod list: the harness finds
/// every item, both decoders agree, and it prints one JSON line with the figures.
@Suite(.timeLimit(.minutes(10))) struct DecodePodListSmokeTests {
    /// The folder the test binary was built into, where `kube-bench` is too.
    static func benchBinary() throws -> URL {
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: "/proc/self/exe") {
            folder = Bundle.main.bundleURL.deletingLastPathComponent()
        }
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("kube-bench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw CancellationError()
    }

    static func podList(count: Int) throws -> Data {
        let pods = (0..<count).map { index in
            Pod(
                metadata: ObjectMeta(name: "web-\(index)", namespace: "default", labels: ["app": "web"]),
                spec: Core.V1.PodSpec(containers: [
                    Core.V1.Container(image: "nginx:1.27", name: "web", ports: [Core.V1.ContainerPort(containerPort: 8080)])
                ]),
                status: Core.V1.PodStatus(phase: "Running"))
        }
        return try JSONEncoder().encode(ObjectList(apiVersion: "v1", kind: "PodList", metadata: ListMeta(), items: pods))
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    /// kube-bench with `arguments` (and `environment` over this process's), its stdout, and its
    /// stderr too when `mergingErrors`.
    func run(_ arguments: [String], environment: [String: String] = [:], mergingErrors: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try Self.benchBinary()
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = mergingErrors ? pipe : Pipe()
        try process.run()
        // A bench that hangs is killed (with the server child it started) and fails, instead of
        // holding the test run until CI's own limit.
        let timedOut = Mutex(false)
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem {
            timedOut.withLock { $0 = true }
            Self.killTree(pid)
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(Self.deadlineSeconds), execute: watchdog)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        let text = String(decoding: output, as: UTF8.self)
        if timedOut.withLock({ $0 }) {
            return (-1, text + "\nkube-bench \(arguments.joined(separator: " ")) did not finish within \(Self.deadlineSeconds) s and was killed")
        }
        return (process.terminationStatus, text)
    }

    static let deadlineSeconds = 240

    /// SIGKILL to `pid` and, first, to every process whose parent it is (read from `/proc`).
    static func killTree(_ pid: Int32) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == pid { killTree(child) }
        }
        kill(pid, SIGKILL)
    }

    @Test(arguments: [false, true])
    func decodesATinyGzippedList(codable: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let json = folder.appendingPathComponent("pods.json")
        try Self.podList(count: 7).write(to: json)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        gzip.arguments = ["gzip", "-k", json.path]
        try gzip.run()
        gzip.waitUntilExit()
        #expect(gzip.terminationStatus == 0)

        let result = try run(
            ["decode-podlist", "--fixture", json.path + ".gz", "--runs", "3"] + (codable ? ["--codable"] : []))
        #expect(result.status == 0)
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "one JSON line, got: \(result.output)")
        let line = try JSONValue.read(from: Data((lines.first ?? "").utf8))
        #expect(line["scenario"] == .string("decode-podlist"))
        #expect(line["client"] == .string("swift-kubernetes"))
        #expect(line["items"]?.intValue == 7)
        #expect(line["runs"]?.intValue == 3)
        #expect(line["bytes"]?.intValue == Int64(try Data(contentsOf: json).count))
        #expect((Self.number(line["peak_rss_mb"]) ?? 0) > 0)
        #expect(line["machine"]?["cores"]?.intValue ?? 0 >= 1)
        for key in ["ms_median", "ms_min", "ms_max", "mb_per_s"] {
            #expect(Self.number(line[key]) != nil, "\(key) missing")
        }
    }

    @Test func badInputFailsCleanly() throws {
        let missing = try run(["decode-podlist", "--fixture", "/nonexistent/pods.json.gz"])
        #expect(missing.status != 0)
        #expect(missing.output.isEmpty)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-bad-\(UUID().uuidString).json")
        try Data(#"{"items":[{"spec":{"containers":[{}]}}]}"#.utf8).write(to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        let invalid = try run(["decode-podlist", "--fixture", folder.path, "--runs", "1"])
        #expect(invalid.status != 0)
        #expect(try run(["decode-podlist", "--runs", "0"]).status != 0)
    }
}
