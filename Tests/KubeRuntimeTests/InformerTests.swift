import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeRuntime

@Suite("Informer against KubeTestServer", .timeLimit(.minutes(3)))
struct InformerTests {
    func makeNamespace(_ client: KubeClient, _ name: String) async throws {
        _ = try await Api<Namespace>.cluster(client).create(Namespace(metadata: ObjectMeta(name: name)))
    }

    /// name → resourceVersion of what the server has, for comparing with a cache.
    func serverState(_ api: Api<ConfigMap>) async throws -> [String: String] {
        var state: [String: String] = [:]
        for try await object in api.listAll() { state[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? "" }
        return state
    }

    func cacheState(_ store: Store<ConfigMap>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: store.list().map { ($0.metadata.name ?? "", $0.metadata.resourceVersion ?? "") })
    }

    @Test func aTransformAppliesToTheStoreAndSubscribers() async throws {
        try await withCluster { cluster in
            try await makeNamespace(cluster.client, "trf")
            let api = Api<ConfigMap>.namespaced(cluster.client, "trf")
            _ = try await api.create(configMap("listed", namespace: "trf"))
            // The server records managedFields on every write, as kube-apiserver does.
            #expect(try await api.get("listed").metadata.managedFields?.isEmpty == false)
            let informer = Informer(api: api, transform: Informer<ConfigMap>.stripManagedFields)
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            await informer.waitUntilSynced()
            var events = informer.subscribe().makeAsyncIterator()
            // The namespace also holds its kube-root-ca.crt ConfigMap.
            var initial: [ConfigMap] = []
            for _ in 0..<informer.store.count {
                if case .added(let object) = await events.next() { initial.append(object) }
            }
            #expect(initial.contains { $0.metadata.name == "listed" })
            #expect(initial.allSatisfy { $0.metadata.managedFields == nil })
            _ = try await api.create(configMap("watched", namespace: "trf"))
            guard case .added(let watched) = await events.next() else { Issue.record("expected added"); return }
            #expect(watched.metadata.name == "watched" && watched.metadata.managedFields == nil)
            #expect(informer.store.get(namespace: "trf", name: "watched") != nil)
            #expect(informer.store.list().allSatisfy { $0.metadata.managedFields == nil && $0.metadata.resourceVersion != nil })
        }
    }

    @Test func syncsFollowsChangesAndNotifiesSubscribers() async throws {
        try await withCluster { cluster in
            try await makeNamespace(cluster.client, "inf")
            let api = Api<ConfigMap>.namespaced(cluster.client, "inf")
            for index in 0..<3 { _ = try await api.create(configMap("cm-\(index)", namespace: "inf", data: ["i": "\(index)"])) }
            let informer = Informer(api: api, config: WatcherConfig(initialList: .list(pageSize: 2)), indexers: ["data": { [$0.data?["i"] ?? ""] }])
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            await informer.waitUntilSynced()
            #expect(Set(informer.store.keys).isSuperset(of: ["inf/cm-0", "inf/cm-1", "inf/cm-2"]))

            var events = informer.subscribe().makeAsyncIterator()
            var initial: Set<String> = []
            for _ in 0..<informer.store.count {
                if case .added(let object) = await events.next() { initial.insert(object.metadata.name ?? "") }
            }
            #expect(initial.isSuperset(of: ["cm-0", "cm-1", "cm-2"]))

            _ = try await api.create(configMap("cm-new", namespace: "inf"))
            guard case .added(let added) = await events.next() else { Issue.record("expected added"); return }
            #expect(added.metadata.name == "cm-new")

            _ = try await api.patch("cm-0", .merge(["data": ["i": "changed"]]))
            guard case .modified(let old, let new) = await events.next() else { Issue.record("expected modified"); return }
            #expect(old.data?["i"] == "0" && new.data?["i"] == "changed")
            #expect(informer.store.byIndex("data", "changed").map(\.metadata.name) == ["cm-0"])

            _ = try await api.delete("cm-1")
            guard case .deleted(let deleted) = await events.next() else { Issue.record("expected deleted"); return }
            #expect(deleted.metadata.name == "cm-1")
            #expect(informer.store.get(namespace: "inf", name: "cm-1") == nil)
            #expect(cacheState(informer.store) == (try await serverState(api)))
        }
    }

    @Test(arguments: [InitialListStrategy.list(pageSize: 500), .streamingList])
    func recoversFromDroppedWatchesGoneAndRestarts(strategy: InitialListStrategy) async throws {
        try await withCluster({ $0.historyWindow = 50 }) { cluster in
            try await makeNamespace(cluster.client, "faults")
            let api = Api<ConfigMap>.namespaced(cluster.client, "faults")
            let informer = Informer(api: api, config: WatcherConfig(initialList: strategy, jitterSeed: 7))
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            await informer.waitUntilSynced()
            var counter = 0
            func write() async throws {
                for _ in 0..<20 {
                    counter += 1
                    let name = "cm-\(counter % 7)"
                    if counter % 5 == 0 {
                        _ = try? await api.delete(name)
                    } else if try await api.getIfExists(name) == nil {
                        _ = try await api.create(configMap(name, namespace: "faults", data: ["n": "\(counter)"]))
                    } else {
                        _ = try await api.patch(name, .merge(["data": ["n": .string("\(counter)")]]))
                    }
                }
            }
            try await write()
            await cluster.server.faults.dropAllWatches()
            try await write()
            cluster.server.faults.expireNextWatch()
            await cluster.server.faults.dropAllWatches()
            try await write()
            await cluster.server.faults.compactHistory()
            await cluster.server.faults.dropAllWatches()
            try await write()
            try await cluster.server.stopListener(0)
            try await cluster.server.startListener(0)
            try await write()
            let expected = try await serverState(api)
            let converged = await eventually { cacheState(informer.store) == expected }
            #expect(converged, "cache \(cacheState(informer.store)) != server \(expected)")
        }
    }
}

@Suite("Shared informers", .timeLimit(.minutes(3)))
struct SharedInformerFactoryTests {
    @Test func oneInformerPerResourceNamespaceAndSelector() async throws {
        try await withCluster { cluster in
            let factory = SharedInformerFactory(client: cluster.client)
            let a = factory.informer(ConfigMap.self, namespace: "default")
            let b = factory.informer(ConfigMap.self, namespace: "default")
            let other = factory.informer(ConfigMap.self, namespace: "default", config: WatcherConfig(labelSelector: try LabelSelector(parsing: "x=y")))
            #expect(a === b)
            #expect(a !== other)
            #expect(factory.count == 2)
            let run = Task { try await factory.run() }
            defer { run.cancel() }
            // An informer asked for after the factory started runs too.
            let late = factory.informer(Secret.self, namespace: "default")
            await a.waitUntilSynced()
            await late.waitUntilSynced()
            var first = a.subscribe().makeAsyncIterator()
            var second = b.subscribe().makeAsyncIterator()
            _ = try await Api<ConfigMap>.namespaced(cluster.client, "default").create(configMap("shared"))
            func nextShared(_ iterator: inout AsyncStream<InformerEvent<ConfigMap>>.AsyncIterator) async -> String? {
                while let event = await iterator.next() {
                    if event.object.metadata.name == "shared" { return event.object.metadata.name }
                }
                return nil
            }
            #expect(await nextShared(&first) == "shared")
            #expect(await nextShared(&second) == "shared")
        }
    }
}
