import Foundation
import Testing

/// Where the replay suites find the recordings and the committed files.
enum ReplayFixtures {
    /// The package root (found from this file's path).
    static let packageRoot: String = {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.standardized.path
    }()

    /// `../shared` beside the package, or `$SHARED_DIR`.
    static let sharedDirectory: String = ProcessInfo.processInfo.environment["SHARED_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        ?? URL(fileURLWithPath: packageRoot + "/../shared").standardized.path

    /// The recorded kube-apiserver v1.36 exchanges, or `nil` when they are not there.
    static let recordings: String? = {
        let path = sharedDirectory + "/fixtures/apiserver-v1.36"
        return FileManager.default.fileExists(atPath: path + "/README.md") ? path : nil
    }()

    /// `../shared/kubernetes-openapi/v3` (served under `/openapi/v3` during the replay).
    static let openAPIDirectory: String? = {
        let path = sharedDirectory + "/kubernetes-openapi/v3"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }()

    static let allowList = packageRoot + "/Tests/Fixtures/replay-allowlist.json"
    static let expected = packageRoot + "/Tests/Fixtures/replay-expected.txt"

    /// Under `CI=true` missing recordings fail the suite instead of skipping it.
    static let requiredByCI = ProcessInfo.processInfo.environment["CI"] == "true"

    static func temporaryDirectory(_ prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}

/// What a finished process printed.
struct ProcessOutput: Sendable, CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\nstdout:\n\(stdout)\nstderr:\n\(stderr)" }
}

/// The built `kube-test-server` (`swift build --build-tests` builds it next to the test bundle).
enum KubeTestServerBinary {
    static let path: String = {
        var candidates: [URL] = []
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("kube-test-server"))
        candidates.append(argument0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kube-test-server"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kube-test-server"))
        candidates.append(URL(fileURLWithPath: ReplayFixtures.packageRoot + "/.build/debug/kube-test-server"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates.last!.path
    }()

    /// Runs it with `arguments`, output to files (no pipe can fill up), killed after `timeout`.
    static func run(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> ProcessOutput {
        let directory = try ReplayFixtures.temporaryDirectory("kts-run")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: directory + "/err", contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("kube-test-server \(arguments.joined(separator: " ")) ran longer than \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let stdout = (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? ""
        return ProcessOutput(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}
