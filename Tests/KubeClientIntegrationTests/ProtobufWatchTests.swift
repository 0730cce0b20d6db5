import Foundation
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeClient

/// Watches with `ClientConfig.contentType = .protobuf` over the wire against KubeTestServer:
/// length-prefixed `WatchEvent` frames read straight into the models, the same events as the
/// JSON watch, bookmarks, ERROR Status events, resume; and a server that answers JSON.
@Suite("Protobuf watch", .timeLimit(.minutes(3)))
struct ProtobufWatchTests {
    private static func collect<K: KubeObject>(
        _ stream: WatchStream<K>, within seconds: Double = 10, until done: @escaping @Sendable ([WatchEvent<K>]) -> Bool
    ) async throws -> [WatchEvent<K>] {
        try await withDeadline(seconds) {
            var events: [WatchEvent<K>] = []
            for try await event in stream {
                events.append(event)
                if done(events) { break }
            }
            return events
        }
    }

    private static func summary<K: KubeObject>(_ events: [WatchEvent<K>]) -> [String] {
        events.compactMap { event in event.object.map { "\(event.type.rawValue) \($0.metadata.name ?? "")" } }
    }

    private func protobufClient(_ cluster: Cluster) throws -> KubeClient {
        var config = try cluster.adminConfig()
        config.contentType = .protobuf
        return try cluster.client(config)
    }

    @Test func sameEventsInBothEncodingsAndResume() async throws {
        try await Cluster.run { cluster in
            let protobuf = try protobufClient(cluster)
            let writer = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await writer.list().metadata.resourceVersion
            var results: [[WatchEvent<ConfigMap>]] = []
            let watches = [cluster.admin, protobuf].map { client in
                Api<ConfigMap>.namespaced(client, "default")
            }
            let streams = try watches.map { try $0.watch(WatchOptions(resourceVersion: start)) }
            let tasks = streams.map { stream in Task { try await Self.collect(stream) { $0.last?.type == .deleted } } }
            let created = try await writer.create(configMap("watched", labels: ["a": "b"], data: ["v": "1", "empty": ""]))
            var next = created
            next.data = ["v": "2"]
            let updated = try await writer.replace("watched", next)
            _ = try await writer.delete("watched")
            for task in tasks { results.append(try await task.value.filter { $0.type != .bookmark }) }
            #expect(Self.summary(results[1]) == ["ADDED watched", "MODIFIED watched", "DELETED watched"])
            #expect(results[1].map(\.object) == results[0].map(\.object))
            #expect(results[1].first?.object?.data == ["v": "1", "empty": ""])
            #expect(results[1][1].object == updated)

            // Resume from the ADDED event's resourceVersion, in protobuf.
            let resumed = try watches[1].watch(WatchOptions(resourceVersion: created.metadata.resourceVersion))
            let replay = try await Self.collect(resumed) { $0.last?.type == .deleted }.filter { $0.type != .bookmark }
            #expect(Self.summary(replay) == ["MODIFIED watched", "DELETED watched"])
        }
    }

    /// What travels is protobuf: the negotiated watch asks for it and the frames decode.
    @Test func framesTravelAndDecode() async throws {
        try await Cluster.run { cluster in
            let client = try protobufClient(cluster)
            let pods = Api<Pod>.namespaced(client, "default")
            let start = try await pods.list().metadata.resourceVersion
            _ = try await Api<Pod>.namespaced(cluster.admin, "default").create(
                Pod(metadata: ObjectMeta(name: "p"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx", name: "c")])))
            let request = try pods.negotiated(try pods.builder.watch(WatchOptions(resourceVersion: start, timeoutSeconds: 1)))
            #expect(request.headers["Accept"] == "application/vnd.kubernetes.protobuf, application/json")
            let response = try await client.execute(request, logger: client.logger, transcode: false)
            #expect(response.header("Content-Type") == "application/vnd.kubernetes.protobuf;stream=watch")
            var frames = ProtobufFrameReader()
            frames.append(response.body)
            let frame = try #require(try frames.nextFrame())
            let event = try WatchEvent<Pod>.read(
                protobuf: frame, schema: BuiltinProtobufSchema.schema, message: "apimachinery.pkg.apis.meta.v1.WatchEvent")
            #expect(event.type == .added)
            #expect(event.object?.spec?.containers.first?.image == "nginx")
        }
    }

    @Test func bookmarksAndErrorEventsInProtobuf() async throws {
        try await Cluster.run({ $0.bookmarkInterval = .milliseconds(200) }) { cluster in
            let configMaps = Api<ConfigMap>.namespaced(try protobufClient(cluster), "default")
            let start = try await configMaps.list().metadata.resourceVersion
            let events = try await Self.collect(
                try configMaps.watch(WatchOptions(resourceVersion: start, timeoutSeconds: 1, allowWatchBookmarks: true))) { _ in false }
            let bookmark = try #require(events.first { $0.type == .bookmark })
            guard case .bookmark(let mark) = bookmark else { return }
            #expect(!mark.resourceVersion.isEmpty)

            cluster.server.faults.expireNextWatch()
            let expired = try await Self.collect(try configMaps.watch(WatchOptions(resourceVersion: start))) { _ in false }
            guard case .error(let status) = expired.first else {
                Issue.record("expected an ERROR event, got \(expired.map(\.type))")
                return
            }
            #expect(status.code == 410)
            #expect(KubeError(status: status).isGone)
        }
    }

    /// A server that answers JSON to `Accept: application/vnd.kubernetes.protobuf, application/json`
    /// (custom resources have no protobuf form, on kube-apiserver as on KubeTestServer): lists and
    /// watches still decode.
    @Test func aServerAnsweringJSONStillWorks() async throws {
        try await Cluster.run { cluster in
            let admin = cluster.admin
            let crd = CustomResourceDefinition(
                metadata: ObjectMeta(name: "gadgets.example.com"),
                spec: APIExtensions.V1.CustomResourceDefinitionSpec(
                    group: "example.com", names: APIExtensions.V1.CustomResourceDefinitionNames(kind: "Gadget", plural: "gadgets"),
                    scope: "Namespaced",
                    versions: [APIExtensions.V1.CustomResourceDefinitionVersion(
                        name: "v1", schema: APIExtensions.V1.CustomResourceValidation(
                            openAPIV3Schema: APIExtensions.V1.JSONSchemaProps(type: "object", xKubernetesPreserveUnknownFields: true)),
                        served: true, storage: true)]))
            _ = try await Api<CustomResourceDefinition>.cluster(admin).create(crd)
            let descriptor = ResourceDescriptor(group: "example.com", version: "v1", kind: "Gadget", plural: "gadgets", namespaced: true)
            try await waitUntil(10, "the CRD to serve") {
                (try? await DynamicApi(admin, resource: descriptor, namespace: "default").list()) != nil
            }
            let client = try protobufClient(cluster)
            let gadgets = DynamicApi(client, resource: descriptor, namespace: "default")
            _ = try await gadgets.create(DynamicObject(metadata: ObjectMeta(name: "g1"), fields: ["spec": ["size": 3]]))

            var list = try gadgets.builder.list(ListOptions())
            list.headers["Accept"] = "application/vnd.kubernetes.protobuf, application/json"
            let listed = try await client.request(list, as: ObjectList<DynamicObject>.self)
            #expect(listed.items.map(\.metadata.name) == ["g1"])

            var watch = try gadgets.builder.watch(WatchOptions(resourceVersion: listed.metadata.resourceVersion))
            watch.headers["Accept"] = "application/vnd.kubernetes.protobuf, application/json"
            let stream = WatchStream<DynamicObject>(client: client, request: watch, logger: client.logger, idleTimeout: .seconds(30))
            let task = Task { try await Self.collect(stream) { $0.contains { $0.type == .added } } }
            _ = try await gadgets.create(DynamicObject(metadata: ObjectMeta(name: "g2"), fields: ["spec": ["size": 4]]))
            let added = try #require(try await task.value.first { $0.type == .added }?.object)
            #expect(added.metadata.name == "g2")
            #expect(added["spec"] == ["size": 4])
        }
    }
}

/// The protobuf bodies recorded from a real kube-apiserver v1.36 (the first 64 bytes of each,
/// base64): what they hold decodes with the client's path, and the cut gives a typed error.
@Suite("Recorded protobuf exchanges", .timeLimit(.minutes(1)))
struct RecordedProtobufTests {
    private static func recordedBodies(_ file: String) throws -> [(contentType: String, bytes: [UInt8])] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/apiserver-v1.36/\(file)")
        let exchange = try JSONDecoder().decode(JSONValue.self, from: Data(contentsOf: url))
        return (exchange["steps"]?.arrayValue ?? []).compactMap { step in
            guard let type = step["response"]?["headers"]?["Content-Type"]?.stringValue, type.hasPrefix("application/vnd.kubernetes.protobuf"),
                let text = step["response"]?["body"]?.stringValue, let data = Data(base64Encoded: text)
            else { return nil }
            return (type, [UInt8](data))
        }
    }

    @Test func watchFrameAndStatusBodiesDecodeAsFarAsRecorded() throws {
        let schema = BuiltinProtobufSchema.schema
        let watch = try #require(try Self.recordedBodies("124-watch-content-types.json").first)
        #expect(watch.contentType == "application/vnd.kubernetes.protobuf;stream=watch")
        var frames = ProtobufFrameReader()
        frames.append(watch.bytes)
        // The first frame (a ConfigMap ADDED event) is longer than the 64 recorded bytes.
        #expect(try frames.nextFrame() == nil)
        #expect(frames.hasPartialFrame)
        let length = Int(watch.bytes[0]) << 24 | Int(watch.bytes[1]) << 16 | Int(watch.bytes[2]) << 8 | Int(watch.bytes[3])
        #expect(length > watch.bytes.count - 4)
        let cut = try #require(throws: JSONReadError.self) {
            try WatchEvent<ConfigMap>.read(protobuf: Array(watch.bytes.dropFirst(4)), schema: schema, message: "apimachinery.pkg.apis.meta.v1.WatchEvent")
        }
        #expect(cut.message.contains("past the end"))

        // The envelopes' type meta (field 1 of runtime.Unknown) is within the recorded bytes; the
        // objects are cut, which the direct reader reports as a typed error.
        func typeMeta(_ bytes: [UInt8]) throws -> JSONValue {
            #expect(Array(bytes.prefix(5)) == ProtobufSchema.magic + [0x0a])
            return try schema.decode(Array(bytes[6..<(6 + Int(bytes[5]))]), message: "apimachinery.pkg.runtime.TypeMeta")
        }
        let notAcceptable = try #require(try Self.recordedBodies("121-protobuf-custom-resources.json").first)
        #expect(try typeMeta(notAcceptable.bytes) == ["apiVersion": "v1", "kind": "Status"])
        let cutStatus = try #require(throws: JSONReadError.self) { try Status.read(protobuf: notAcceptable.bytes, schema: schema) }
        #expect(cutStatus.message.contains("past the end"))
        let discovery = try #require(try Self.recordedBodies("123-content-type-of-errors-and-discovery.json").first)
        #expect(try typeMeta(discovery.bytes) == ["apiVersion": "v1", "kind": "APIResourceList"])
    }
}
