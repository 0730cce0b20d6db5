import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels

/// Scenario `list`: pods seeded into a `kube-test-server` in its own process; the full
/// paginated list (`limit` 500) into typed `Pod`s over TLS, timed per run.
struct ListPods: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Paginated list of seeded pods from a kube-test-server process, over TLS.")

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

    func validate() throws {
        guard runs >= 1, count >= 1, pageSize >= 1 else { throw ValidationError("--runs, --count and --page-size must be at least 1") }
    }

    func run() async throws {
        let pods = try PodSeed.pods(fixture: fixture, count: count)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-seed-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let seeds = try PodSeed.writeManifests(pods, in: folder)
        let server = try ServerProcess(seeds: seeds)
        defer { server.stop() }
        var config = try server.adminConfig()
        if protobuf { config.contentType = .protobuf }
        let client = try KubeClient(config: config)
        do {
            let api = Api<Pod>.all(client)
            var times: [Double] = []
            var listed = 0
            _ = try await Self.listAll(api, pageSize: pageSize)  // warm-up: connection and TLS handshake
            for _ in 0..<runs {
                let start = ContinuousClock.now
                listed = try await Self.listAll(api, pageSize: pageSize)
                times.append(milliseconds(ContinuousClock.now - start))
            }
            guard listed == count else { throw BenchError("listed \(listed) pods, seeded \(count)") }
            let stats = Stats(times)
            print(
                JSONLine().string("scenario", "list").string("client", "swift-kubernetes").string("encoding", protobuf ? "protobuf" : "json")
                    .stats("ms", stats).number("pods_per_s", Double(count) / (stats.median / 1000))
                    .int("pods", count).int("page_size", pageSize).int("runs", runs)
                    .string("server", "kube-test-server (separate process, TLS, loopback)")
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
}
