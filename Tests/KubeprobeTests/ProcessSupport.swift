import Foundation
import KubeTestServer
import Testing

/// The result of running the kubeprobe binary.
struct ProcessResult: Sendable {
    var exitCode: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

enum Kubeprobe {
    /// The built `kubeprobe` next to the test bundle (`swift build --build-tests` builds it).
    static let binary: String = {
        var candidates: [URL] = []
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0])
        candidates.append(argument0.deletingLastPathComponent().appendingPathComponent("kubeprobe"))
        // macOS: .../debug/X.xctest/Contents/MacOS/X
        candidates.append(argument0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kubeprobe"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kubeprobe"))
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/kubeprobe"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }?.path ?? candidates.last!.path
    }()

    /// Runs kubeprobe with exactly `environment` (plus PATH), killing it after `timeout` seconds.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil, timeout: Double = 30) async throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        var env = environment
        env["PATH"] = env["PATH"] ?? "/usr/bin:/bin"
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let started = Date()
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        async let outData = read(out.fileHandleForReading)
        async let errData = read(err.fileHandleForReading)
        let killer = Task {
            try await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            if process.isRunning { process.terminate() }
        }
        let (stdout, stderr) = await (outData, errData)
        process.waitUntilExit()
        killer.cancel()
        return ProcessResult(
            exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
            seconds: Date().timeIntervalSince(started))
    }

    private static func read(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
}

/// A KubeTestServer with an admin kubeconfig and a temporary directory, removed by ``close()``.
struct Cluster: Sendable {
    let server: KubeTestServer
    let directory: String
    var kubeconfig: String { directory + "/kubeconfig" }

    static func start() async throws -> Cluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kubeprobe-tests-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = KubeTestServer.Configuration()
        configuration.logger.logLevel = .critical
        let server = try await KubeTestServer.start(configuration)
        try server.writeAdminKubeconfig(to: directory + "/kubeconfig")
        return Cluster(server: server, directory: directory)
    }

    /// The environment of a process outside any Pod, using the admin kubeconfig through `--kubeconfig`.
    var outsideEnvironment: [String: String] { ["HOME": directory] }

    /// A service account `name` in `namespace` (created with its namespace) and its Pod environment.
    func pod(namespace: String = "team", serviceAccount: String = "app") async throws -> (PodFilesystem, [String: String]) {
        try await server.apply(json: Data(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"\#(namespace)"}}"#.utf8))
        try await server.apply(json: Data(#"{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"\#(serviceAccount)","namespace":"\#(namespace)"}}"#.utf8))
        let pod = try await server.writePodFilesystem(namespace: namespace, serviceAccount: serviceAccount, directory: directory + "/sa-\(namespace)-\(serviceAccount)")
        var environment = pod.environment
        environment["KUBEPROBE_SERVICEACCOUNT_DIR"] = pod.directory
        environment["HOME"] = directory
        return (pod, environment)
    }

    func close() async {
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs `body` with a fresh cluster, closed afterwards whatever happens.
func withCluster(_ body: (Cluster) async throws -> Void) async throws {
    let cluster = try await Cluster.start()
    do {
        try await body(cluster)
    } catch {
        await cluster.close()
        throw error
    }
    await cluster.close()
}
