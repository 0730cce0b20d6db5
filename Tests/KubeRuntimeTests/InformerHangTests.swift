import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeRuntime

/// An informer through the hangs of a half-dead network (the test server's stall and
/// black-hole faults, over TLS/HTTP/2): each is detected within the client's configured
/// bound, the watcher lists or watches again, and the cache ends equal to the server.
@Suite("Informer through stalled and black-holed connections", .timeLimit(.minutes(3)))
struct InformerHangTests {
    /// The admin client with small bounds: 2 s per request, PING after 1 s idle, 1 s to answer.
    func fastClient(_ cluster: Cluster) throws -> KubeClient {
        var config = try ClientConfig.kubeconfig(paths: [cluster.directory.appendingPathComponent("kubeconfig").path], environment: [:])
        config.timeouts.request = .seconds(2)
        config.timeouts.connectionReadIdle = .seconds(1)
        config.timeouts.pingTimeout = .seconds(1)
        return try KubeClient(config: config)
    }

    func serverState(_ api: Api<ConfigMap>) async throws -> [String: String] {
        var state: [String: String] = [:]
        for try await object in api.listAll() { state[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? "" }
        return state
    }

    func cacheState(_ store: Store<ConfigMap>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: store.list().map { ($0.metadata.name ?? "", $0.metadata.resourceVersion ?? "") })
    }

    /// Waits for the informer's first sync, failing after `seconds`.
    func synced(_ informer: Informer<ConfigMap>, within seconds: Double) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                await informer.waitUntilSynced()
                return true
            }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
    }

    func seed(_ client: KubeClient, namespace: String, count: Int) async throws -> Api<ConfigMap> {
        _ = try await Api<Namespace>.cluster(client).create(Namespace(metadata: ObjectMeta(name: namespace)))
        let api = Api<ConfigMap>.namespaced(client, namespace)
        for index in 0..<count {
            _ = try await api.create(configMap("cm-\(index)", namespace: namespace, data: ["k": String(repeating: "v", count: 100)]))
        }
        return api
    }

    @Test func anInformerRelistsAfterAListWhoseBodyStalled() async throws {
        try await withCluster { cluster in
            let client = try fastClient(cluster)
            let api = try await seed(client, namespace: "stall-list", count: 10)
            cluster.server.faults.stallNextResponseBodies(1, afterBytes: 500, pathContains: "/namespaces/stall-list/configmaps")
            let informer = Informer(api: api, config: WatcherConfig(jitterSeed: 7))
            let started = ContinuousClock.now
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(try await synced(informer, within: 15), "the informer never synced after the stalled list")
            let elapsed = ContinuousClock.now - started
            print("informer after a stalled list body: synced after \(elapsed)")
            #expect(cluster.server.faults.stalledResponses == 1)
            // The first list waited out its 2 s request timeout, then the watcher backed off and relisted.
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(6), "took \(elapsed)")
            #expect(cacheState(informer.store) == (try await serverState(api)))
            run.cancel()
            try? await client.shutdown()
        }
    }

    @Test func theWatcherReconnectsWhenAWatchHeadNeverComes() async throws {
        try await withCluster { cluster in
            let client = try fastClient(cluster)
            let api = try await seed(client, namespace: "stall-watch", count: 3)
            let informer = Informer(api: api, config: WatcherConfig(jitterSeed: 7))
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(try await synced(informer, within: 10))
            // The open watch is cut; the one the watcher opens next is accepted and never answered.
            cluster.server.faults.stallNextResponses(1, pathContains: "/namespaces/stall-watch/configmaps", watchesOnly: true)
            let cut = ContinuousClock.now
            await cluster.server.faults.dropAllWatches()
            _ = try await Api<ConfigMap>.namespaced(cluster.client, "stall-watch").create(configMap("after-stall", namespace: "stall-watch"))
            let seen = await eventually(timeout: .seconds(15)) { informer.store.get(namespace: "stall-watch", name: "after-stall") != nil }
            let elapsed = ContinuousClock.now - cut
            print("watch head stall: the watcher reconnected and delivered after \(elapsed)")
            #expect(seen, "the watcher never got past the stalled watch")
            #expect(cluster.server.faults.stalledResponses == 1)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(6), "took \(elapsed)")
            #expect(await eventually(timeout: .seconds(5)) { cacheState(informer.store) == (try? await serverState(api)) })
            run.cancel()
            try? await client.shutdown()
        }
    }

    @Test func theCacheStaysCorrectThroughABlackHoledConnection() async throws {
        try await withCluster { cluster in
            // Only the informer's client is connected when the network dies under it; the writer
            // (`cluster.client`) connects afterwards.
            let client = try fastClient(cluster)
            let api = try await seed(client, namespace: "black-hole", count: 5)
            let informer = Informer(api: api, config: WatcherConfig(jitterSeed: 7))
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(try await synced(informer, within: 10))
            let blackHoled = await cluster.server.faults.blackHoleConnections()
            #expect(blackHoled >= 1)
            let started = ContinuousClock.now
            // Writes during the outage, over a new connection.
            let writer = Api<ConfigMap>.namespaced(cluster.client, "black-hole")
            _ = try await writer.create(configMap("during-1", namespace: "black-hole"))
            _ = try await writer.create(configMap("during-2", namespace: "black-hole"))
            _ = try await writer.patch("cm-0", .merge(["data": ["k": "changed"]]))
            _ = try await writer.delete("cm-1")
            let truth = try await serverState(writer)
            let converged = await eventually(timeout: .seconds(15)) { cacheState(informer.store) == truth }
            let elapsed = ContinuousClock.now - started
            print("black-holed connection: \(blackHoled) connection(s); the cache converged \(elapsed) after the black hole")
            #expect(converged, "the cache differs from the server after the black hole")
            // PING after 1 s without frames, 1 s for its answer, then the watcher's backoff and a new watch.
            #expect(elapsed < .seconds(6), "took \(elapsed)")
            run.cancel()
            try? await client.shutdown()
        }
    }
}
