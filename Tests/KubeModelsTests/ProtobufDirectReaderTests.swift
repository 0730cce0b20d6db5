import Foundation
import KubeCore
import KubeModels
import Testing

/// Protobuf read straight into the models (`JSONReader(protobuf:schema:)`): the same values as
/// reading the JSON the transcoder makes of the same bytes, on the shared fixture and on the
/// special forms, with wire-level cases the transcoding never sees (split repeated fields,
/// packed scalars) and errors that name the path.
@Suite(.timeLimit(.minutes(5))) struct ProtobufDirectReaderTests {
    let schema = BuiltinProtobufSchema.schema

    /// The model read from protobuf directly, and the model read from the transcoded JSON.
    private func bothWays<T: JSONReadable>(_ type: T.Type, _ bytes: [UInt8]) throws -> (direct: T, viaJSON: T) {
        let direct = try T.read(protobuf: bytes, schema: schema)
        let viaJSON = try T.read(from: JSONText.bytes(try schema.decodeObject(bytes)))
        return (direct, viaJSON)
    }

    @Test func fixturePodListEqualsTheTranscodedPath() throws {
        let protobuf = try TestPaths.gunzippedFixture("podlist-10k.pb.gz")
        let (direct, viaJSON) = try bothWays(ObjectList<Pod>.self, protobuf)
        #expect(direct.items.count == 10_000)
        #expect(direct.kind == "PodList")
        #expect(direct.apiVersion == "v1")
        #expect(direct.metadata == viaJSON.metadata)
        var differing = 0
        for (left, right) in zip(direct.items, viaJSON.items) where left != right { differing += 1 }
        #expect(differing == 0)
        // Spot checks against the JSON fixture of the same pods (protobuf carries zero numbers
        // that JSON leaves out, such as `generation: 0`, so whole values differ there).
        let json = try ObjectList<Pod>.read(from: try TestPaths.gunzippedFixture("podlist-10k.json.gz"))
        for index in [0, 4_321, 9_999] {
            let (left, right) = (direct.items[index].metadata, json.items[index].metadata)
            #expect(left.name == right.name && left.uid == right.uid && left.labels == right.labels && left.annotations == right.annotations)
            #expect(left.creationTimestamp == right.creationTimestamp && left.ownerReferences == right.ownerReferences)
            #expect(left.managedFields?.map(\.fieldsV1) == right.managedFields?.map(\.fieldsV1))
            #expect(direct.items[index].spec?.containers.map(\.image) == json.items[index].spec?.containers.map(\.image))
            #expect(direct.items[index].spec?.containers.map(\.resources) == json.items[index].spec?.containers.map(\.resources))
            #expect(direct.items[index].status?.conditions?.map(\.lastTransitionTime) == json.items[index].status?.conditions?.map(\.lastTransitionTime))
        }
    }

    @Test func specialFormsEqualTheTranscodedPath() throws {
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": "web", "namespace": "default", "labels": ["app": "web", "empty": ""],
                "creationTimestamp": "2026-12-01T10:20:30Z", "generation": 3,
                "managedFields": [["manager": "kubectl", "operation": "Apply", "time": "2026-12-01T10:20:30Z",
                                   "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:]]]]],
            ],
            "spec": [
                "replicas": 0, "selector": ["matchLabels": ["app": "web"]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": 1]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [[
                        "name": "app", "image": "nginx:1", "args": ["-a", ""],
                        "resources": ["limits": ["cpu": "500m", "memory": "1Gi"]],
                        "env": [["name": "A", "valueFrom": ["secretKeyRef": ["name": "s", "key": "k", "optional": true]]]],
                        "ports": [["containerPort": 80, "protocol": "TCP"]],
                        "livenessProbe": ["httpGet": ["path": "/", "port": "http"], "periodSeconds": 5],
                        "readinessProbe": ["tcpSocket": ["port": 8080]],
                    ]]],
                ],
            ],
        ]
        let (direct, viaJSON) = try bothWays(Deployment.self, try schema.encodeObject(deployment))
        #expect(direct == viaJSON)
        let container = try #require(direct.spec?.template.spec?.containers.first)
        #expect(container.livenessProbe?.httpGet?.port == .string("http"))
        #expect(container.readinessProbe?.tcpSocket?.port == .int(8080))
        #expect(container.env?.first?.valueFrom?.secretKeyRef?.name == "s")
        #expect(container.resources?.limits?["cpu"] == (try Quantity("500m")))
        #expect(direct.spec?.strategy?.rollingUpdate?.maxSurge == .string("25%"))
        #expect(direct.metadata.managedFields?.first?.fieldsV1 == ["f:spec": ["f:replicas": [:]]])
        #expect(direct.metadata.creationTimestamp?.description == "2026-12-01T10:20:30Z")

        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "type": "Opaque",
                                 "data": ["k": .string(Data("päss\u{0}".utf8).base64EncodedString())]]
        let secrets = try bothWays(Secret.self, try schema.encodeObject(secret))
        #expect(secrets.direct == secrets.viaJSON)
        #expect(secrets.direct.data?["k"] == Data("päss\u{0}".utf8))

        let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"],
                                "spec": ["holderIdentity": "me", "renewTime": "2026-12-01T10:20:30.500001Z", "leaseDurationSeconds": 15]]
        let leases = try bothWays(Lease.self, try schema.encodeObject(lease))
        #expect(leases.direct == leases.viaJSON)
        #expect(leases.direct.spec?.renewTime?.description == "2026-12-01T10:20:30.500001Z")

        let crd: JSONValue = ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "a.b"],
                              "spec": ["group": "b", "scope": "Namespaced", "names": ["plural": "a", "kind": "A"],
                                       "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": [
                                           "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                           "additionalProperties": false, "default": ["x": [1, "y"]], "enum": ["a", 2],
                                           "properties": ["items": ["type": "array", "items": ["type": "string"]]],
                                       ]]]]]]
        let crds = try bothWays(CustomResourceDefinition.self, try schema.encodeObject(crd))
        #expect(crds.direct == crds.viaJSON)
        let schemaProps = crds.direct.spec.versions.first?.schema?.openAPIV3Schema
        #expect(schemaProps?.additionalProperties == false)
        #expect(schemaProps?.default == ["x": [1, "y"]])
        #expect(schemaProps?.properties?["items"]?.items == ["type": "string"])

        let revision: JSONValue = ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": ["name": "r"],
                                   "revision": 2, "data": ["spec": ["a": 1]]]
        let revisions = try bothWays(Apps.V1.ControllerRevision.self, try schema.encodeObject(revision))
        #expect(revisions.direct == revisions.viaJSON)
        #expect(revisions.direct.data == ["spec": ["a": 1]])

        // Reading only the metadata of a full object (the metadata-only cache's type).
        let partial = try PartialObjectMetadata.read(protobuf: try schema.encodeObject(deployment), schema: schema)
        #expect(partial.metadata.name == "web")
        #expect(partial.kind == "Deployment")
    }

    /// A repeated field split by another field, and packed scalars: both are valid protobuf
    /// (Go writes neither, other encoders may).
    @Test func splitRepeatedFieldsAndPackedScalarsRead() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(payload.count) + payload }
        func string(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }
        // PodSpec: containers (2) = a, restartPolicy (3), containers (2) = b, initContainers (20) = i.
        let spec = field(2, string(1, "a")) + string(3, "Always") + field(2, string(1, "b")) + field(20, string(1, "i"))
        let pod = field(1, string(1, "p")) + field(2, spec)
        let read = try Pod.read(protobuf: pod, schema: schema, message: "api.core.v1.Pod")
        #expect(read.spec?.containers.map(\.name) == ["a", "b"])
        #expect(read.spec?.restartPolicy == "Always")
        #expect(read.spec?.initContainers?.map(\.name) == ["i"])
        #expect(read.metadata.name == "p")
        // PodSecurityContext.supplementalGroups (repeated int64, field 4): packed, then one unpacked.
        let context = field(4, varint(1000) + varint(2000) + varint(3)) + [0x20] + varint(7)
        let groups = try Core.V1.PodSecurityContext.read(protobuf: context, schema: schema, message: "api.core.v1.PodSecurityContext")
        #expect(groups.supplementalGroups == [1000, 2000, 3, 7])
    }

    /// A singular message field that occurs more than once: protobuf merges the occurrences (Go's
    /// generated code unmarshals each into the same struct), in the transcoder and in the direct
    /// reader alike, embedded structs (`Probe.handler`) included. Go never writes it; the fuzz
    /// target found the two readers disagreeing on it.
    @Test func repeatedSingularMessagesMergeAsProtobufMergesThem() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(payload.count) + payload }
        func string(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }
        func label(_ key: String, _ value: String) -> [UInt8] { field(11, string(1, key) + string(2, value)) }
        // Pod: metadata {name, label a}, spec {container a}, metadata {namespace, label c}, spec {restartPolicy, container b}.
        let pod = field(1, string(1, "p") + label("a", "b")) + field(2, field(2, string(1, "a")))
            + field(1, string(3, "ns") + label("c", "d")) + field(2, string(3, "Always") + field(2, string(1, "b")))
        let envelope = ProtobufSchema.magic + field(1, string(1, "v1") + string(2, "Pod")) + field(2, pod)
        let (direct, viaJSON) = try bothWays(Pod.self, envelope)
        #expect(direct == viaJSON)
        #expect(direct.metadata.name == "p" && direct.metadata.namespace == "ns")
        #expect(direct.metadata.labels == ["a": "b", "c": "d"])
        #expect(direct.spec?.containers.map(\.name) == ["a", "b"])
        #expect(direct.spec?.restartPolicy == "Always")

        // Probe: handler (an embedded ProbeHandler) {httpGet {path}}, initialDelaySeconds, handler {httpGet {port 80}}.
        let probe = field(1, field(2, string(1, "/a"))) + [0x10, 5] + field(1, field(2, field(2, [0x10, 80])))
        let read = try Core.V1.Probe.read(protobuf: probe, schema: schema, message: "api.core.v1.Probe")
        #expect(read.httpGet?.path == "/a")
        #expect(read.httpGet?.port == .int(80))
        #expect(read.initialDelaySeconds == 5)
        let transcoded = try schema.decode(probe, message: "api.core.v1.Probe")
        #expect(try Core.V1.Probe.read(from: JSONText.bytes(transcoded)) == read)

        // The fuzz target's input: metadata {ownerReferences [{}]} then metadata {}: merged, the
        // owner reference lacks its required fields, so both ways fail and say where.
        let crash: [UInt8] = [0x0a, 0x06, 0x6a, 0x04, 0x10, 0x8a, 0xb1, 0x08, 0x0a, 0x00]
        let crashEnvelope = ProtobufSchema.magic + field(1, string(1, "v1") + string(2, "Pod")) + field(2, crash)
        let error = try #require(throws: JSONReadError.self) { try PartialObjectMetadata.read(protobuf: crashEnvelope, schema: schema) }
        #expect(error.pathDescription.hasPrefix("metadata.ownerReferences[0]"))
        #expect(throws: JSONReadError.self) { try PartialObjectMetadata.read(from: JSONText.bytes(try schema.decodeObject(crashEnvelope))) }
    }

    @Test func errorsNameTheJSONPath() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(payload.count) + payload }
        // spec.containers[1].name sent as a varint.
        let spec = field(2, field(1, Array("a".utf8))) + field(2, [0x08, 0x01])
        let pod = field(2, spec)
        let wrongType = try #require(throws: JSONReadError.self) { try Pod.read(protobuf: pod, schema: schema, message: "api.core.v1.Pod") }
        #expect(wrongType.pathDescription == "spec.containers[1].name")
        // A container without its required name.
        let missing = try #require(throws: JSONReadError.self) {
            try Pod.read(protobuf: field(2, field(2, field(2, Array("img".utf8)))), schema: schema, message: "api.core.v1.Pod")
        }
        #expect(missing.pathDescription == "spec.containers[0].name")
        #expect(throws: JSONReadError.self) { try Pod.read(protobuf: Array("{}".utf8), schema: schema) }
        #expect(throws: JSONReadError.self) {
            try Pod.read(protobuf: try schema.encodeObject(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c"]]) + [0xff], schema: schema)
        }
    }

    /// Every prefix and thousands of corruptions of a real pod: a typed error or a value, never a crash.
    @Test func truncatedAndCorruptedInputGivesTypedErrors() throws {
        let bytes = try schema.encodeObject([
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "labels": ["a": "b"], "creationTimestamp": "2026-12-01T10:20:30Z"],
            "spec": ["containers": [["name": "a", "image": "i", "resources": ["limits": ["cpu": "1"]],
                                     "ports": [["containerPort": 80]], "livenessProbe": ["httpGet": ["port": 80]]]]],
        ])
        var failures = 0
        for length in 0..<bytes.count {
            do { _ = try Pod.read(protobuf: Array(bytes.prefix(length)), schema: schema) } catch { failures += 1 }
        }
        #expect(failures > bytes.count / 2)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupt[Int.random(in: 4..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? Pod.read(protobuf: corrupt, schema: schema)
            _ = try? ObjectList<Pod>.read(protobuf: corrupt, schema: schema)
        }
    }

    private func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        while value >= 0x80 { out.append(UInt8(truncatingIfNeeded: value) | 0x80); value >>= 7 }
        return out + [UInt8(value)]
    }
}
