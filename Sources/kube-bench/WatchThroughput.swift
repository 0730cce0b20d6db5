import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime

/// Scenario `watch-throughput`: ConfigMap events written to a `kube-test-server` process,
/// then replayed by a watch from the resourceVersion before them, over TLS; every event is
/// decoded and applied to a `Store`. The clock runs from opening the watch to the last event.
struct WatchThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-throughput", abstract: "Replay ConfigMap watch events from a resourceVersion into a Store.")

    @Option(help: "Events to replay (half creates, half updates).")
    var events = 10_000

    @Flag(help: "Ask for protobuf (ClientConfig.contentType = .protobuf), as client-go's typed clients can.")
    var protobuf = false

    @Option(help: "Timed replays.")
    var runs = 5

    func validate() throws {
        guard runs >= 1, events >= 2 else { throw ValidationError("--runs must be at least 1 and --events at least 2") }
    }

    func run() async throws {
        let server = try ServerProcess(historyWindow: events * 2 + 1000)
        defer { server.stop() }
        var config = try server.adminConfig()
        if protobuf { config.contentType = .protobuf }
        let client = try KubeClient(config: config)
        do {
            let api = Api<ConfigMap>.namespaced(client, "default")
            let start = try await api.list(ListOptions(limit: 1)).metadata.resourceVersion ?? "0"
            try await Self.write(api, events: events)
            var rates: [Double] = []
            var clientCPU: [Double] = []
            var serverCPU: [Double] = []
            for _ in 0..<runs {
                let (client0, server0) = (CPUTime.ownMilliseconds(), CPUTime.milliseconds(of: server.process.processIdentifier))
                rates.append(try await Self.replay(api, from: start, events: events))
                clientCPU.append((CPUTime.ownMilliseconds() - client0) * 1000 / Double(events))
                serverCPU.append((CPUTime.milliseconds(of: server.process.processIdentifier) - server0) * 1000 / Double(events))
            }
            let stats = Stats(rates)
            print(
                JSONLine().string("scenario", "watch-throughput").string("client", "swift-kubernetes").string("encoding", protobuf ? "protobuf" : "json")
                    .stats("events_per_s", stats).int("events", events).int("runs", runs)
                    .number("client_cpu_us_per_event", Stats(clientCPU).median).number("server_cpu_us_per_event", Stats(serverCPU).median)
                    .string("server", "kube-test-server (separate process, TLS, loopback)")
                    .raw("machine", Machine.current().json).text)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Watches from `start` until `events` events were applied to a fresh `Store`; events/s.
    static func replay(_ api: Api<ConfigMap>, from start: String, events: Int) async throws -> Double {
        let store = Store<ConfigMap>()
        let clock = ContinuousClock.now
        var seen = 0
        for try await event in try api.watch(WatchOptions(resourceVersion: start, allowWatchBookmarks: false)) {
            switch event {
            case .added(let object), .modified(let object): store.apply(object)
            case .deleted(let object): store.delete(object)
            case .bookmark: continue
            case .error(let status): throw BenchError("watch error: \(status.message ?? "")")
            }
            seen += 1
            if seen == events { break }
        }
        let elapsed = milliseconds(ContinuousClock.now - clock)
        guard seen == events, store.count == (events + 1) / 2 else {
            throw BenchError("replayed \(seen) events into \(store.count) objects; expected \(events) into \((events + 1) / 2)")
        }
        return Double(events) / (elapsed / 1000)
    }

    /// Creates `(events + 1) / 2` ConfigMaps, then updates them until `events` writes were made
    /// (32 requests in flight).
    static func write(_ api: Api<ConfigMap>, events: Int) async throws {
        let objects = (events + 1) / 2
        try await inParallel(objects) { index in
            _ = try await api.create(ConfigMap(data: ["index": String(index), "payload": String(repeating: "x", count: 64)],
                metadata: ObjectMeta(name: "bench-\(index)")))
        }
        try await inParallel(events - objects) { index in
            _ = try await api.patch("bench-\(index)", .merge(["data": ["updated": "yes"]]))
        }
    }

    static func inParallel(_ count: Int, width: Int = 32, _ body: @escaping @Sendable (Int) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var next = 0
            while next < min(width, count) {
                let index = next
                group.addTask { try await body(index) }
                next += 1
            }
            while try await group.next() != nil {
                if next < count {
                    let index = next
                    group.addTask { try await body(index) }
                    next += 1
                }
            }
        }
    }
}
