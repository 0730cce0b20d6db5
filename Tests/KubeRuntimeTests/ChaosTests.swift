import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Synchronization
import Testing
@testable import KubeRuntime

/// The reliability promise: after any sequence of dropped watches, 410s, compaction,
/// listener restarts and 429s, an informer's cache equals the server's state, and the
/// reconciler saw every object's final state.
///
/// Seeds come from `KUBE_CHAOS_SEEDS` (comma-separated) and the number of writes from
/// `KUBE_CHAOS_OPS` (default 2,000): set `KUBE_CHAOS_OPS=20000` for a soak run.
@Suite("Chaos: informer and reconciler against injected faults", .timeLimit(.minutes(10)))
struct ChaosTests {
    static let seeds: [UInt64] = {
        let text = ProcessInfo.processInfo.environment["KUBE_CHAOS_SEEDS"] ?? "11,2024,777"
        return text.split(separator: ",").compactMap { UInt64($0.trimmingCharacters(in: .whitespaces)) }
    }()
    static let operations = Int(ProcessInfo.processInfo.environment["KUBE_CHAOS_OPS"] ?? "") ?? 2000

    /// What the reconciler saw last per key: the resourceVersion, or nil when the object was gone.
    final class Observations: Sendable {
        let seen = Mutex<[String: String?]>([:])
        func record(_ key: String, _ version: String?) { seen.withLock { $0[key] = .some(version) } }
        func snapshot() -> [String: String?] { seen.withLock { $0 } }
    }

    @Test(arguments: seeds)
    func cacheConvergesUnderFaults(seed: UInt64) async throws {
        print("chaos seed \(seed), \(Self.operations) operations")
        try await withCluster({ $0.historyWindow = 200; $0.bookmarkInterval = .milliseconds(500) }) { cluster in
            _ = try await Api<Namespace>.cluster(cluster.client).create(Namespace(metadata: ObjectMeta(name: "chaos")))
            let api = Api<ConfigMap>.namespaced(cluster.client, "chaos")
            let informer = Informer(api: api, config: WatcherConfig(jitterSeed: seed))
            let observations = Observations()
            let store = informer.store
            let reconciler = ReconcileFunction { key in
                let object = store.get(namespace: key.namespace, name: key.name)
                observations.record(key.description, object?.metadata.resourceVersion)
                return .done
            }
            let controller = Controller(primary: informer, reconciler: reconciler, workers: 3)
            let services = Task {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await informer.run() }
                    group.addTask { try await controller.run() }
                }
            }
            defer { services.cancel() }
            await informer.waitUntilSynced()

            var random = SplitMix64(seed: seed)
            var faults: [String] = []
            for operation in 0..<Self.operations {
                let name = "cm-\(random.next() % 60)"
                let choice = random.next() % 10
                // The writer is not under test: it retries the injected 5xx until its write lands.
                try await retryingInjectedFaults {
                    switch choice {
                    case 0..<3:
                        do { _ = try await api.delete(name) } catch let error as KubeError where error.isNotFound {}
                    case 3..<6:
                        do { _ = try await api.create(configMap(name, namespace: "chaos", data: ["op": "\(operation)"])) } catch let error as KubeError where error.isAlreadyExists {}
                    default:
                        do { _ = try await api.patch(name, .merge(["data": ["op": .string("\(operation)")]])) } catch let error as KubeError where error.isNotFound {}
                    }
                }
                guard random.next() % 40 == 0 else { continue }
                switch random.next() % 6 {
                case 0: faults.append("drop"); await cluster.server.faults.dropAllWatches()
                case 1: faults.append("410"); cluster.server.faults.expireNextWatch(); await cluster.server.faults.dropAllWatches()
                case 2: faults.append("compact"); await cluster.server.faults.compactHistory(); await cluster.server.faults.dropAllWatches()
                case 3:
                    faults.append("restart")
                    try await cluster.server.stopListener(0)
                    try await cluster.server.startListener(0)
                case 4: faults.append("429"); cluster.server.faults.failNextRequests(3, status: 429, retryAfterSeconds: 0)
                default: faults.append("500"); cluster.server.faults.failNextRequests(2, status: 500)
                }
            }
            print("chaos seed \(seed) injected \(faults.count) faults: \(faults.joined(separator: " "))")

            cluster.server.faults.clear()
            var truth: [String: String] = [:]
            for try await object in api.listAll() { truth[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? "" }
            let cacheConverged = await eventually(timeout: .seconds(60)) {
                Dictionary(uniqueKeysWithValues: store.list().map { ($0.metadata.name ?? "", $0.metadata.resourceVersion ?? "") }) == truth
            }
            #expect(cacheConverged, "seed \(seed): the cache differs from the server")

            // Every key the reconciler ever saw ends at the server's final state (present with the
            // final resourceVersion, or absent).
            let reconciled = await eventually(timeout: .seconds(60)) {
                let seen = observations.snapshot()
                for (name, version) in truth where seen["chaos/\(name)"] != .some(version) { return false }
                for (key, version) in seen where version != nil && truth[String(key.dropFirst("chaos/".count))] == nil { return false }
                return true
            }
            #expect(reconciled, "seed \(seed): the reconciler did not see every final state")
        }
    }
}

/// Runs `body` again while it fails with an injected server error or a dropped connection.
func retryingInjectedFaults(_ body: () async throws -> Void) async throws {
    for attempt in 0..<50 {
        do {
            return try await body()
        } catch let error as KubeError where ((error.statusCode ?? 0) >= 500 || error.code == .transport) && attempt < 49 {
            // An injected 5xx, or a listener restart under a write.
            try await Task.sleep(for: .milliseconds(20))
            continue
        }
    }
}
