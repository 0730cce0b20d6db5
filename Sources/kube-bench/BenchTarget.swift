import ArgumentParser
import Foundation
import KubeBenchMalloc
import KubeClient

/// Where a client scenario runs: a `kube-test-server` process it starts (the default), or the
/// API server of a kubeconfig (`--kubeconfig`), so the same figures can be taken against a real
/// cluster.
struct TargetOptions: ParsableArguments {
    @Option(help: "Run against the API server of this kubeconfig (its current context) instead of a kube-test-server it starts.")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (default: the current one).")
    var context: String?

    @Option(help: "With --kubeconfig: the namespace the scenario reads and writes (it must exist).")
    var namespace = "default"

    @Flag(help: "Do not ask for gzip (client-go's DisableCompression).")
    var noCompression = false

    func validate() throws {
        if let kubeconfig, !FileManager.default.isReadableFile(atPath: kubeconfig) {
            throw ValidationError("--kubeconfig \(kubeconfig) is not a readable file")
        }
        if kubeconfig == nil && context != nil { throw ValidationError("--context needs --kubeconfig") }
    }
}

/// The API server a scenario talks to, and how to describe it in the JSON line.
final class BenchTarget {
    let config: ClientConfig
    /// The kube-test-server process, when the scenario started one.
    let server: ServerProcess?
    /// The namespace to use: `--namespace` against a kubeconfig, else the scenario's own.
    let namespace: String
    let description: String

    /// `start` makes the kube-test-server (with the scenario's seeds) when no kubeconfig is given.
    init(_ options: TargetOptions, defaultNamespace: String, start: () throws -> ServerProcess) throws {
        var config: ClientConfig
        if let path = options.kubeconfig {
            config = try ClientConfig.kubeconfig(paths: [path], context: options.context, environment: ProcessInfo.processInfo.environment)
            server = nil
            namespace = options.namespace
            description = "kubeconfig \(config.server) (namespace \(options.namespace))"
        } else {
            let process = try start()
            config = try process.adminConfig()
            server = process
            namespace = defaultNamespace
            description = "kube-test-server (separate process, TLS, loopback)"
        }
        config.compression = !options.noCompression
        self.config = config
    }

    var isExternal: Bool { server == nil }

    func stop() { server?.stop() }
}

/// Allocation counts and the memory high-water mark around the timed part of a scenario.
enum MemoryProbe {
    /// Calls to malloc/calloc/realloc by this process so far (0 where they cannot be counted).
    static var mallocCalls: Int { Int(kube_bench_malloc_calls()) }

    /// Resets the peak RSS (`VmHWM`) to the current RSS, so a later ``peakRSSMegabytes`` covers
    /// only what follows (Linux: `echo 5 > /proc/self/clear_refs`); `false` if the kernel refused.
    @discardableResult
    static func resetPeak() -> Bool {
        (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    }

    /// `VmHWM` of `/proc/self/status` in MB: the peak resident set since start or the last reset.
    static var peakRSSMegabytes: Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }
}
