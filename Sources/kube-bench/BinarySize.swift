import ArgumentParser
import Foundation

/// Scenario `binary-size`: the size of a built `kubeprobe` (whether the Swift runtime is
/// linked statically is read from `ldd`), and its cold start: `kubeprobe whoami` against a
/// `kube-test-server` process with the admin kubeconfig, exec→exit.
struct BinarySize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binary-size", abstract: "Size of a kubeprobe binary and the exec→exit time of `kubeprobe whoami`.")

    @Option(help: "The kubeprobe binary (default: kubeprobe next to kube-bench).")
    var kubeprobe: String?

    @Option(help: "Timed runs of `kubeprobe whoami` (after one warm-up).")
    var runs = 20

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    func run() async throws {
        let path = try kubeprobe ?? Sibling.path("kubeprobe")
        guard let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int else {
            throw BenchError("cannot read the size of \(path)")
        }
        let staticStdlib = StaticBuild.linking(of: path) == "static"
        let stripped = try Self.strippedSize(path)
        let server = try ServerProcess()
        defer { server.stop() }
        var walls: [Double] = []
        var peaks: [Double] = []
        for index in 0...runs {
            let result = try ChildRun.run(path, ["whoami", "--kubeconfig", server.kubeconfigPath])
            guard result.status == 0, !result.output.isEmpty else {
                throw BenchError("kubeprobe whoami exited with status \(result.status): \(result.output)")
            }
            if index == 0 { continue }
            walls.append(result.wallMilliseconds)
            peaks.append(Double(try ChildRun.peakRSS(path, ["whoami", "--kubeconfig", server.kubeconfigPath])) / 1_048_576)
        }
        print(
            JSONLine().string("scenario", "binary-size").string("client", "swift-kubernetes")
                .number("binary_mb", Double(size) / 1_048_576).int("binary_bytes", size)
                .number("stripped_mb", Double(stripped) / 1_048_576)
                .string("swift_stdlib", staticStdlib ? "static (--static-swift-stdlib)" : "dynamic (libswiftCore.so from the toolchain)")
                .stats("whoami_ms", Stats(walls)).stats("whoami_peak_rss_mb", Stats(peaks)).int("runs", runs)
                .raw("machine", Machine.current().json).text)
    }

    /// The size without symbols and debug information (`strip -o` into a temporary file), as a
    /// container image would usually carry it.
    static func strippedSize(_ path: String) throws -> Int {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-stripped-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: copy) }
        let strip = try ChildRun.run("/usr/bin/strip", ["-o", copy.path, path])
        guard strip.status == 0, let size = try FileManager.default.attributesOfItem(atPath: copy.path)[.size] as? Int else {
            throw BenchError("strip -o \(copy.path) \(path) failed with status \(strip.status)")
        }
        return size
    }
}
