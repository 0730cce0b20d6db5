import Foundation
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeClient

/// `ClientConfig.contentType = .protobuf` over the wire against KubeTestServer: the same verbs
/// give the same objects in both encodings, and protobuf is what actually travels.
@Suite("Protobuf client", .timeLimit(.minutes(3)))
struct ProtobufClientTests {
    @Test func sameResultsInBothEncodings() async throws {
        try await Cluster.run { cluster in
            var config = try cluster.adminConfig()
            config.contentType = .protobuf
            let protobufClient = try cluster.client(config)
            for (client, suffix) in [(cluster.admin, "json"), (protobufClient, "pb")] {
                let configMaps = Api<ConfigMap>.namespaced(client, "default")
                let created = try await configMaps.create(configMap("cm-\(suffix)", labels: ["enc": suffix], data: ["a": "1"]))
                #expect(created.data == ["a": "1"])
                #expect(created.metadata.labels == ["enc": suffix])
                var fetched = try await configMaps.get("cm-\(suffix)")
                #expect(fetched.metadata.uid == created.metadata.uid)
                fetched.data = ["a": "2"]
                let replaced = try await configMaps.replace("cm-\(suffix)", fetched)
                #expect(replaced.data == ["a": "2"])
                #expect(replaced.metadata.resourceVersion != created.metadata.resourceVersion)
                let list = try await configMaps.list(ListOptions(labelSelector: try LabelSelector(parsing: "enc=\(suffix)")))
                #expect(list.items.map(\.metadata.name) == ["cm-\(suffix)"])
                // Status errors decode the same way from protobuf.
                let missing = await #expect(throws: KubeError.self) { _ = try await configMaps.get("nope") }
                #expect(missing?.isNotFound == true)
                #expect(missing?.message == "configmaps \"nope\" not found")
                let conflict = await #expect(throws: KubeError.self) { _ = try await configMaps.replace("cm-\(suffix)", fetched) }
                #expect(conflict?.isConflict == true)

                let deployments = Api<Deployment>.namespaced(client, "default")
                let web = try await deployments.create(deployment("web-\(suffix)", replicas: 0))
                #expect(web.spec?.replicas == 0)
                #expect(web.spec?.template.spec?.containers.first?.ports?.first?.containerPort == 80)
                // A patch stays JSON (merge patch), and its protobuf answer decodes.
                let patched = try await deployments.patch("web-\(suffix)", .merge(["spec": ["replicas": 3]]))
                #expect(patched.spec?.replicas == 3)
            }
        }
    }

    /// The negotiated request carries protobuf for built-in kinds only, and the server answers in it.
    @Test func protobufTravelsForBuiltinKindsOnly() async throws {
        try await Cluster.run { cluster in
            var config = try cluster.adminConfig()
            config.contentType = .protobuf
            let client = try cluster.client(config)
            let configMaps = Api<ConfigMap>.namespaced(client, "default")
            let create = try configMaps.negotiated(try configMaps.builder.create(body: try configMaps.body(configMap("raw")), options: WriteOptions()))
            #expect(create.headers["Content-Type"] == "application/vnd.kubernetes.protobuf")
            #expect(create.headers["Accept"] == "application/vnd.kubernetes.protobuf, application/json")
            #expect(create.body.map { Array($0.prefix(4)) } == ProtobufSchema.magic)
            let response = try await client.execute(create, logger: client.logger)
            #expect(response.statusCode == 201)
            #expect(response.headers.first { $0.name.lowercased() == "content-type" }?.value == "application/vnd.kubernetes.protobuf")
            #expect(try JSONDecoder().decode(JSONValue.self, from: response.body)["metadata"]?["name"] == "raw")

            // Dynamic objects of a custom kind, and patches, stay JSON.
            let widgets = DynamicApi(client, resource: ResourceDescriptor(group: "example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true), namespace: "default")
            let list = try widgets.negotiated(try widgets.builder.list(ListOptions()))
            #expect(list.headers["Accept"] == "application/json")
            let patch = try configMaps.negotiated(try configMaps.builder.patch("raw", patch: .merge(["data": ["b": "2"]]), options: PatchOptions()))
            #expect(patch.headers["Content-Type"] == "application/merge-patch+json")
        }
    }
}
