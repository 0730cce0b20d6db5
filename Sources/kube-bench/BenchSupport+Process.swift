import Foundation
import KubeClient
#if canImport(Glibc)
import Glibc
#endif
import KubeCore

/// Median, minimum and maximum of several runs (never a single run).
struct Stats {
    let median: Double
    let min: Double
    let max: Double

    init(_ values: [Double]) {
        let sorted = values.sorted()
        precondition(!sorted.isEmpty, "Stats needs at least one value")
        let middle = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        min = sorted[0]
        max = sorted[sorted.count - 1]
    }

    /// Percentile (0...100) by nearest rank.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
    }
}

extension JSONLine {
    /// `<name>_median`, `<name>_min`, `<name>_max`.
    func stats(_ name: String, _ stats: Stats) -> JSONLine {
        number("\(name)_median", stats.median).number("\(name)_min", stats.min).number("\(name)_max", stats.max)
    }
}

func milliseconds(_ duration: Duration) -> Double {
    let (seconds, attoseconds) = duration.components
    return Double(seconds) * 1000 + Double(attoseconds) / 1e15
}

/// Executables built next to `kube-bench` (`kube-test-server`, `kube-bench-coldstart`).
enum Sibling {
    static var folder: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// The executable `name` built next to this kube-bench; if it is missing (as after
    /// `swift run -c release kube-bench`, which builds kube-bench alone), it is built first
    /// with the same configuration into the same build folder.
    static func path(_ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        let configuration = folder.lastPathComponent
        guard configuration == "release" || configuration == "debug" else {
            throw BenchError("\(path) not found: build it first (swift build -c release --product \(name))")
        }
        // <scratch>/<triple>/<configuration>/kube-bench
        let scratch = folder.deletingLastPathComponent().deletingLastPathComponent()
        try StaticBuild.swiftBuild(["-c", configuration, "--scratch-path", scratch.path, "--product", name])
        guard FileManager.default.isExecutableFile(atPath: path) else { throw BenchError("\(path) was not built") }
        return path
    }

    static var selfPath: String { URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path }
}

/// The current resident set of this process in bytes (`/proc/self/statm`).
func currentRSS() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(getpagesize())
}

/// A child process run to completion with `posix_spawn` + `wait4`: its wall time from
/// spawn to exit, its own peak RSS (`ru_maxrss` of that child alone) and its stdout.
struct ChildRun {
    var wallMilliseconds: Double
    var peakRSSBytes: Int
    /// The child's CPU time, user + system, in ms.
    var cpuMilliseconds: Double
    var status: Int32
    var output: String

    static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ChildRun {
        var pipe: [Int32] = [0, 0]
        guard pipe.withUnsafeMutableBufferPointer({ Glibc.pipe($0.baseAddress!) }) == 0 else { throw BenchError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in env { free(pointer) }
        }
        var pid: pid_t = 0
        let start = ContinuousClock.now
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, env)
        close(pipe[1])
        guard spawned == 0 else {
            close(pipe[0])
            throw BenchError("cannot start \(path): error \(spawned)")
        }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(pipe[0], $0.baseAddress!, 65536) }
            if count <= 0 { break }
            output += buffer[0..<count]
        }
        close(pipe[0])
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let wall = milliseconds(ContinuousClock.now - start)
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ChildRun(
            wallMilliseconds: wall, peakRSSBytes: usage.ru_maxrss * 1024,
            cpuMilliseconds: Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000
                + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000,
            status: exitStatus,
            output: String(decoding: output, as: UTF8.self))
    }
}

extension ChildRun {
    /// The peak RSS in bytes of one run of a program, read with GNU `/usr/bin/time -f %M`,
    /// which forks it from its own tiny image. (`wait4`'s `ru_maxrss` of a child spawned
    /// straight from kube-bench also counts kube-bench's resident pages at the fork, so it
    /// overstates a small program's peak.)
    static func peakRSS(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Int {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-time-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: report) }
        let result = try run("/usr/bin/time", ["-f", "%M", "-o", report.path, path] + arguments, environment: environment)
        guard result.status == 0, let text = try? String(contentsOf: report, encoding: .utf8),
            let kilobytes = Int(text.split(separator: "\n").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "")
        else { throw BenchError("/usr/bin/time \(path) failed with status \(result.status)") }
        return kilobytes * 1024
    }
}

/// A `kube-test-server` running in its own process, with its certificates, admin
/// kubeconfig and a pod filesystem written to a temporary folder. Stopped with SIGTERM.
final class ServerProcess {
    let folder: URL
    let url: String
    let port: Int
    let process: Process
    let podDirectory: String
    let kubeconfigPath: String

    /// Starts the server and waits until it has written its files (seeding happens before
    /// it listens, so a large seed delays this).
    init(seeds: [String] = [], historyWindow: Int = 100_000, extra: [String] = []) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        podDirectory = folder.appendingPathComponent("pod").path
        kubeconfigPath = folder.appendingPathComponent("kubeconfig").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Sibling.path("kube-test-server"))
        var arguments = [
            "--cert-dir", folder.appendingPathComponent("certs").path, "--kubeconfig", kubeconfigPath,
            "--pod-dir", podDirectory, "--history-window", String(historyWindow), "--bookmark-interval", "3600",
        ]
        for seed in seeds { arguments += ["--seed", seed] }
        process.arguments = arguments + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let handle = output.fileHandleForReading
        while !text.contains("certificates: ") {
            let data = handle.availableData
            if data.isEmpty {
                throw BenchError("kube-test-server exited before it was ready: \(text)")
            }
            text += String(decoding: data, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
            let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...])
        else { throw BenchError("kube-test-server printed no listening address: \(text)") }
        url = String(line.dropFirst("listening on ".count))
        self.port = port
        // Keep draining its stdout so it never blocks on a full pipe.
        handle.readabilityHandler = { handle in
            if handle.availableData.isEmpty { handle.readabilityHandler = nil }
        }
    }

    /// The admin's configuration (token from the written kubeconfig, the server's CA).
    func adminConfig() throws -> ClientConfig {
        try ClientConfig.kubeconfig(paths: [kubeconfigPath], environment: [:])
    }

    /// The environment of a pod whose service account is the written pod filesystem.
    var podEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["KUBERNETES_SERVICE_HOST"] = "127.0.0.1"
        environment["KUBERNETES_SERVICE_PORT"] = String(port)
        environment["POD_NAMESPACE"] = nil
        return environment
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    deinit { stop() }
}

/// CPU time (user + system) in milliseconds: this process's (`getrusage`), or another's
/// (`/proc/<pid>/stat`, clock-tick resolution).
enum CPUTime {
    static func ownMilliseconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let user = Double(usage.ru_utime.tv_sec) * 1000 + Double(usage.ru_utime.tv_usec) / 1000
        let system = Double(usage.ru_stime.tv_sec) * 1000 + Double(usage.ru_stime.tv_usec) / 1000
        return user + system
    }

    static func milliseconds(of pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
