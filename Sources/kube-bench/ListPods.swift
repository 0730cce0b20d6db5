import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels

/// Scenario `list`: the full paginated list (`limit` 500) into typed `Pod`s over TLS, timed per
/// run. By default the pods are seeded into a `kube-test-server` in its own process; with
/// `--kubeconfig` the pods of `--namespace` on that API server are listed (`--seed` first
/// creates pods from the fixture there until `--count` exist).
struct ListPods: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Paginated list of pods over TLS, from a kube-test-server process or a kubeconfig's server.")

    @Option(help: "The pod list the pods come from (.json.gz or .json).")
    var fixture = "../shared/fixtures/podlist-10k.json.gz"

    @Option(help: "How many pods to seed (renamed copies beyond the fixture's).")
    var count = 10_000

    @Option(help: "Page size (the list's limit).")
    var pageSize = 500

    @Flag(help: "Ask for protobuf (ClientConfig.contentType = .protobuf), as client-go's typed clients can.")
    var protobuf = false

    @Option(help: "Timed lists.")
    var runs = 5

    @Flag(help: "With --kubeconfig: create pods from the fixture in --namespace until --count exist (they stay).")
    var seed = false

    @OptionGroup var target: TargetOptions

    func validate() throws {
        guard runs >= 1, count >= 1, pageSize >= 1 else { throw ValidationError("--runs, --count and --page-size must be at least 1") }
        if seed && target.kubeconfig == nil { throw ValidationError("--seed needs --kubeconfig (the test server is always seeded)") }
    }

    func run() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-seed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let target = try BenchTarget(self.target, defaultNamespace: "") {
            let pods = try PodSeed.pods(fixture: fixture, count: count)
            return try ServerProcess(seeds: try PodSeed.writeManifests(pods, in: folder))
        }
        defer { target.stop() }
        var config = target.config
        if protobuf { config.contentType = .protobuf }
        let client = try KubeClient(config: config)
        do {
            // The test server's pods span the fixture's namespaces; a kubeconfig's are in --namespace.
            let api = target.isExternal ? Api<Pod>.namespaced(client, target.namespace) : Api<Pod>.all(client)
            if seed { try await Self.seed(api, fixture: fixture, count: count, namespace: target.namespace) }
            var times: [Double] = []
            var mallocs: [Double] = []
            var listed = try await Self.listAll(api, pageSize: pageSize)  // warm-up: connection and TLS handshake
            MemoryProbe.resetPeak()
            for _ in 0..<runs {
                let (start, malloc0) = (ContinuousClock.now, MemoryProbe.mallocCalls)
                listed = try await Self.listAll(api, pageSize: pageSize)
                times.append(milliseconds(ContinuousClock.now - start))
                mallocs.append(Double(MemoryProbe.mallocCalls - malloc0) / Double(max(listed, 1)))
            }
            let peak = MemoryProbe.peakRSSMegabytes
            if !target.isExternal, listed != count { throw BenchError("listed \(listed) pods, seeded \(count)") }
            guard listed > 0 else { throw BenchError("no pods to list in namespace \(target.namespace)") }
            let stats = Stats(times)
            print(
                JSONLine().string("scenario", "list").string("client", "swift-kubernetes").string("encoding", protobuf ? "protobuf" : "json")
                    .stats("ms", stats).number("pods_per_s", Double(listed) / (stats.median / 1000))
                    .int("pods", listed).int("page_size", pageSize).int("runs", runs)
                    .stats("mallocs_per_pod", Stats(mallocs)).number("peak_rss_mb", peak)
                    .string("compression", target.config.compression ? "gzip" : "identity")
                    .string("server", target.description)
                    .raw("machine", Machine.current().json).text)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func listAll(_ api: Api<Pod>, pageSize: Int) async throws -> Int {
        var pods: [Pod] = []
        for try await pod in api.listAll(pageSize: pageSize) { pods.append(pod) }
        return pods.count
    }

    /// Creates pods from the fixture in `namespace` (without node, status or owner references, so
    /// nothing acts on them) until it holds `count`.
    static func seed(_ api: Api<Pod>, fixture: String, count: Int, namespace: String) async throws {
        let existing = try await listAll(api, pageSize: 500)
        guard existing < count else { return }
        let run = UUID().uuidString.prefix(6).lowercased()
        let pods = try PodSeed.pods(fixture: fixture, count: count - existing).enumerated().map { index, source in
            var pod = source
            pod.metadata = ObjectMeta(
                name: "bench-\(run)-\(index)", namespace: namespace, labels: pod.metadata.labels, annotations: pod.metadata.annotations)
            pod.spec?.nodeName = nil
            pod.status = nil
            return pod
        }
        try await WatchThroughput.inParallel(pods.count) { index in _ = try await api.create(pods[index]) }
    }
}
