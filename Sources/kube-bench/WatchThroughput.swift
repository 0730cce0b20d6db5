import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime

/// Scenario `watch-throughput`: ConfigMap events written to a `kube-test-server` process (or,
/// with `--kubeconfig`, to `--namespace` on that API server), then replayed by a watch from the
/// resourceVersion before them, over TLS; every event is decoded and applied to a `Store`. The
/// clock runs from opening the watch to the last event. The objects carry a per-run label the
/// watch selects on (other writers in the namespace do not count); against a kubeconfig they are
/// deleted afterwards.
struct WatchThroughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch-throughput", abstract: "Replay ConfigMap watch events from a resourceVersion into a Store.")

    @Option(help: "Events to replay (half creates, half updates).")
    var events = 10_000

    @Flag(help: "Ask for protobuf (ClientConfig.contentType = .protobuf), as client-go's typed clients can.")
    var protobuf = false

    @Option(help: "Timed replays.")
    var runs = 5

    @OptionGroup var target: TargetOptions

    func validate() throws {
        guard runs >= 1, events >= 2 else { throw ValidationError("--runs must be at least 1 and --events at least 2") }
    }

    func run() async throws {
        let events = self.events
        let target = try BenchTarget(self.target, defaultNamespace: "default") { try ServerProcess(historyWindow: events * 2 + 1000) }
        defer { target.stop() }
        var config = target.config
        if protobuf { config.contentType = .protobuf }
        let client = try KubeClient(config: config)
        let api = Api<ConfigMap>.namespaced(client, target.namespace)
        let run = "r" + UUID().uuidString.prefix(8).lowercased()
        let selector = try LabelSelector(parsing: "kube-bench=\(run)")
        do {
            let start = try await api.list(ListOptions(limit: 1)).metadata.resourceVersion ?? "0"
            try await Self.write(api, events: events, run: run)
            var rates: [Double] = []
            var clientCPU: [Double] = []
            var serverCPU: [Double] = []
            var mallocs: [Double] = []
            let serverPID = target.server?.process.processIdentifier
            MemoryProbe.resetPeak()
            for _ in 0..<runs {
                let (client0, server0, malloc0) = (CPUTime.ownMilliseconds(), serverPID.map(CPUTime.milliseconds(of:)), MemoryProbe.mallocCalls)
                rates.append(try await Self.replay(api, from: start, events: events, selector: selector))
                mallocs.append(Double(MemoryProbe.mallocCalls - malloc0) / Double(events))
                clientCPU.append((CPUTime.ownMilliseconds() - client0) * 1000 / Double(events))
                if let serverPID, let server0 { serverCPU.append((CPUTime.milliseconds(of: serverPID) - server0) * 1000 / Double(events)) }
            }
            let peak = MemoryProbe.peakRSSMegabytes
            if target.isExternal { try await Self.cleanUp(api, selector: selector) }
            let stats = Stats(rates)
            var line = JSONLine().string("scenario", "watch-throughput").string("client", "swift-kubernetes").string("encoding", protobuf ? "protobuf" : "json")
                .stats("events_per_s", stats).int("events", events).int("runs", runs)
                .number("client_cpu_us_per_event", Stats(clientCPU).median)
            if !serverCPU.isEmpty { line = line.number("server_cpu_us_per_event", Stats(serverCPU).median) }
            print(
                line.stats("mallocs_per_event", Stats(mallocs)).number("peak_rss_mb", peak)
                    .string("server", target.description)
                    .raw("machine", Machine.current().json).text)
        } catch {
            if target.isExternal { try? await Self.cleanUp(api, selector: selector) }
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Watches from `start` until `events` events were applied to a fresh `Store`; events/s.
    static func replay(_ api: Api<ConfigMap>, from start: String, events: Int, selector: LabelSelector) async throws -> Double {
        let store = Store<ConfigMap>()
        let clock = ContinuousClock.now
        var seen = 0
        for try await event in try api.watch(WatchOptions(labelSelector: selector, resourceVersion: start, allowWatchBookmarks: false)) {
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

    /// Creates `(events + 1) / 2` ConfigMaps labelled `kube-bench=<run>`, then updates them until
    /// `events` writes were made (32 requests in flight).
    static func write(_ api: Api<ConfigMap>, events: Int, run: String) async throws {
        let objects = (events + 1) / 2
        try await inParallel(objects) { index in
            _ = try await api.create(ConfigMap(data: ["index": String(index), "payload": String(repeating: "x", count: 64)],
                metadata: ObjectMeta(name: "bench-\(run)-\(index)", labels: ["kube-bench": run])))
        }
        try await inParallel(events - objects) { index in
            _ = try await api.patch("bench-\(run)-\(index)", .merge(["data": ["updated": "yes"]]))
        }
    }

    static func cleanUp(_ api: Api<ConfigMap>, selector: LabelSelector) async throws {
        _ = try await api.deleteCollection(listOptions: ListOptions(labelSelector: selector))
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
