import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Testing
@testable import KubeRuntime

/// An informer whose client speaks protobuf (`ClientConfig.contentType = .protobuf`): lists and
/// watches arrive as protobuf and are read straight into the models; after dropped watches,
/// a 410 and compaction its cache equals what the server has, object for object.
@Suite("Informer on protobuf", .timeLimit(.minutes(3)))
struct InformerProtobufTests {
    @Test(arguments: [InitialListStrategy.list(pageSize: 3), .streamingList])
    func cacheEqualsTheServerThroughFaults(strategy: InitialListStrategy) async throws {
        try await withCluster({ $0.historyWindow = 50 }) { cluster in
            var config = cluster.client.config
            config.contentType = .protobuf
            let protobuf = try KubeClient(config: config, logger: Logger(label: "pb", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { Task { try? await protobuf.shutdown() } }
            _ = try await Api<Namespace>.cluster(cluster.client).create(Namespace(metadata: ObjectMeta(name: "pb")))
            let writer = Api<Pod>.namespaced(cluster.client, "pb")
            func pod(_ name: String, _ image: String) -> Pod {
                Pod(metadata: ObjectMeta(name: name, namespace: "pb", labels: ["app": "web"]),
                    spec: Core.V1.PodSpec(containers: [Core.V1.Container(
                        image: image, name: "c", ports: [Core.V1.ContainerPort(containerPort: 80)],
                        resources: Core.V1.ResourceRequirements(requests: ["cpu": try! Quantity("100m")]))]))
            }
            for index in 0..<5 { _ = try await writer.create(pod("p-\(index)", "nginx:\(index)")) }
            let informer = Informer(api: Api<Pod>.namespaced(protobuf, "pb"), config: WatcherConfig(initialList: strategy, jitterSeed: 3))
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            await informer.waitUntilSynced()
            var counter = 0
            func write() async throws {
                for _ in 0..<12 {
                    counter += 1
                    let name = "p-\(counter % 7)"
                    if counter % 5 == 0 {
                        _ = try? await writer.delete(name)
                    } else if try await writer.getIfExists(name) == nil {
                        _ = try await writer.create(pod(name, "nginx:\(counter)"))
                    } else {
                        _ = try await writer.patch(name, .merge(["metadata": ["labels": ["n": .string("\(counter)")]]]))
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
            // The server's truth, read as JSON.
            var expected: [String: Pod] = [:]
            for try await object in writer.listAll() { expected[object.metadata.name ?? ""] = object }
            func cache() -> [String: Pod] {
                Dictionary(uniqueKeysWithValues: informer.store.list().map { ($0.metadata.name ?? "", $0) })
            }
            let converged = await eventually { cache().mapValues { $0.metadata.resourceVersion } == expected.mapValues { $0.metadata.resourceVersion } }
            #expect(converged, "cache \(cache().keys.sorted()) != server \(expected.keys.sorted())")
            for (name, object) in expected {
                #expect(cache()[name]?.metadata == object.metadata)
                #expect(cache()[name]?.spec?.containers.map(\.image) == object.spec?.containers.map(\.image))
                #expect(cache()[name]?.spec?.containers.first?.resources == object.spec?.containers.first?.resources)
            }
        }
    }
}
