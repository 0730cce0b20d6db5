import Foundation
import Testing
@testable import KubeTestServer

/// Running real client programs (kubectl, the Python client) against the server.
enum Peers {
    /// Under `CI=true` a missing peer is a failure, not a skip: CI installs every peer, so a
    /// missing one means the install step broke and the peer tests would pass vacuously.
    static let requiredByCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// Whether a peer suite runs: the peer is there, or CI requires it (and the suite's
    /// `peerIsInstalled` test then fails with the reason).
    static func shouldRun(_ peer: String?) -> Bool { peer != nil || requiredByCI }

    /// The peer's path, or a failed test that says what is missing.
    static func require(_ peer: String?, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        guard let peer else {
            Issue.record("\(what) is missing; CI=true requires every peer (.ci/run installs them)", sourceLocation: sourceLocation)
            throw PeerMissing(what: what)
        }
        return peer
    }

    struct PeerMissing: Error, CustomStringConvertible {
        var what: String
        var description: String { "\(what) is missing" }
    }

    /// `kubectl` from `PATH`, or `nil` when it is not installed.
    static let kubectl: String? = executable("kubectl")

    /// The Python interpreter of a venv with the `kubernetes` package (`KUBE_PYTHON`, set by `.ci/run`).
    static let python: String? = {
        guard let path = ProcessInfo.processInfo.environment["KUBE_PYTHON"], !path.isEmpty,
            FileManager.default.isExecutableFile(atPath: path)
        else { return nil }
        return path
    }()

    /// `../shared/kubernetes-openapi/v3` next to the package root (found from this file's path).
    static let openAPIDirectory: String? = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { root.deleteLastPathComponent() }
        let directory = root.appendingPathComponent("../shared/kubernetes-openapi/v3").standardized.path
        if let shared = ProcessInfo.processInfo.environment["SHARED_DIR"] {
            let fromEnvironment = shared + "/kubernetes-openapi/v3"
            if FileManager.default.fileExists(atPath: fromEnvironment) { return fromEnvironment }
        }
        return FileManager.default.fileExists(atPath: directory) ? directory : nil
    }()

    static func executable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A fresh temporary directory (removed by the caller with `cleanUp`).
    static func temporaryDirectory(_ prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// What a finished process printed.
struct ProcessResult: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// A child process whose output goes to files (no pipe can fill up and block it), awaited
/// without blocking a thread of the cooperative pool (the server runs there too).
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let stdoutPath: String
    private let stderrPath: String
    private let exited: AsyncStream<Int32>
    private let exitContinuation: AsyncStream<Int32>.Continuation

    /// Starts `executable` with `arguments` and exactly `environment`.
    init(_ executable: String, _ arguments: [String], environment: [String: String], directory: String) throws {
        stdoutPath = directory + "/stdout-\(UUID().uuidString.prefix(8))"
        stderrPath = directory + "/stderr-\(UUID().uuidString.prefix(8))"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        (exited, exitContinuation) = AsyncStream<Int32>.makeStream()
        let continuation = exitContinuation
        process.terminationHandler = { process in
            continuation.yield(process.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    /// What it printed to stdout so far.
    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits until stdout satisfies `condition` (or `timeout`); returns whether it did.
    func waitForOutput(timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(stdout) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition(stdout)
    }

    /// Sends SIGTERM (for long-running commands such as `kubectl get -w`).
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Waits for the exit (killing the process after `timeout`).
    func wait(timeout: Duration = .seconds(60)) async -> ProcessResult {
        let killer = Task { [process] in
            try await Task.sleep(for: timeout)
            if process.isRunning { process.terminate() }
        }
        var status: Int32 = -1
        for await code in exited { status = code }
        killer.cancel()
        return ProcessResult(status: status, stdout: stdout, stderr: stderr)
    }
}

extension Peers {
    /// Runs a command to completion.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], directory: String,
                    timeout: Duration = .seconds(60)) async throws -> ProcessResult {
        let child = try ChildProcess(executable, arguments, environment: environment, directory: directory)
        return await child.wait(timeout: timeout)
    }
}
