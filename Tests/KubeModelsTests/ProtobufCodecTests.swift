import Foundation
import KubeCore
import KubeModels
import Testing

/// The table-driven protobuf codec (`BuiltinProtobufSchema`, generated from the `.proto` files)
/// against the shared fixture kube-apiserver's serializer wrote, and on hand-made edge cases.
@Suite(.timeLimit(.minutes(5))) struct ProtobufCodecTests {
    let schema = BuiltinProtobufSchema.schema

    /// `expected` (kube's JSON) is contained in `actual` (decoded protobuf); extra members of
    /// `actual` may only be the zero values protobuf cannot leave out. The first difference, or nil.
    static func difference(_ expected: JSONValue, _ actual: JSONValue, path: String = "$") -> String? {
        switch (expected, actual) {
        case (.object(let want), .object(let have)):
            for (key, value) in want {
                guard let other = have[key] else {
                    if value == .null { continue }
                    return "\(path).\(key) missing"
                }
                if let difference = difference(value, other, path: "\(path).\(key)") { return difference }
            }
            for (key, value) in have where want[key] == nil {
                switch value {
                case .int(0), .bool(false), .object([:]), .array([]), .string(""): continue
                default: return "\(path).\(key) unexpected \(value)"
                }
            }
            return nil
        case (.array(let want), .array(let have)):
            guard want.count == have.count else { return "\(path): \(want.count) elements, got \(have.count)" }
            for (offset, pair) in zip(want, have).enumerated() {
                if let difference = difference(pair.0, pair.1, path: "\(path)[\(offset)]") { return difference }
            }
            return nil
        case (.double(let want), .int(let have)): return want == Double(have) ? nil : "\(path): \(want) != \(have)"
        case (.int(let want), .double(let have)): return Double(want) == have ? nil : "\(path): \(want) != \(have)"
        default:
            return expected == actual ? nil : "\(path): expected \(expected), got \(actual)"
        }
    }

    /// All 10,000 pods of the shared fixture: the protobuf list decodes to kube's JSON of the same list,
    /// and re-encoding a decoded pod decodes to the same value.
    @Test func fixturePodListDecodesLikeItsJSON() throws {
        let protobuf = try TestPaths.gunzippedFixture("podlist-10k.pb.gz")
        #expect(protobuf.count == 62_132_978)
        let decoded = try schema.decodeObject(protobuf)
        let json = try TestPaths.gunzippedFixture("podlist-10k.json.gz")
        let expected = try json.withUnsafeBytes { buffer in
            var reader = JSONReader(buffer)
            return try reader.readValue()
        }
        #expect(decoded["kind"] == "PodList")
        #expect(decoded["apiVersion"] == "v1")
        #expect(decoded["items"]?.arrayValue?.count == 10_000)
        #expect(Self.difference(expected, decoded) == nil)
        for pod in (decoded["items"]?.arrayValue ?? []).prefix(200) {
            var object = pod
            object["apiVersion"] = "v1"
            object["kind"] = "Pod"
            #expect(try schema.decodeObject(try schema.encodeObject(object)) == object)
        }
    }

    @Test func specialTypesRoundTrip() throws {
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": "web", "namespace": "default", "labels": ["app": "web", "empty": ""],
                "creationTimestamp": "2026-12-01T10:20:30Z", "generation": 3,
                "managedFields": [["manager": "kubectl", "operation": "Apply", "time": "2026-12-01T10:20:30Z",
                                   "fieldsType": "FieldsV1", "fieldsV1": ["f:spec": ["f:replicas": [:]]]]],
            ],
            "spec": [
                "replicas": 0,
                "selector": ["matchLabels": ["app": "web"]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": 1]],
                "template": [
                    "metadata": ["labels": ["app": "web"]],
                    "spec": ["containers": [[
                        "name": "app", "image": "nginx:1",
                        "resources": ["limits": ["cpu": "500m", "memory": "1Gi"]],
                        "env": [["name": "A", "valueFrom": ["secretKeyRef": ["name": "s", "key": "k", "optional": true]]]],
                        "ports": [["containerPort": 80, "protocol": "TCP"]],
                    ]]],
                ],
            ],
        ]
        let bytes = try schema.encodeObject(deployment)
        #expect(Array(bytes.prefix(4)) == ProtobufSchema.magic)
        #expect(try schema.typeMeta(ofObject: bytes) == ("apps/v1", "Deployment"))
        let decoded = try schema.decodeObject(bytes)
        #expect(Self.difference(deployment, decoded) == nil)
        // The embedded LocalObjectReference (`name`) is inline in JSON, a nested message on the wire.
        #expect(decoded["spec"]?["template"]?["spec"]?["containers"]?.arrayValue?.first?["env"]?.arrayValue?.first?["valueFrom"]?["secretKeyRef"]?["name"] == "s")

        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "s"], "type": "Opaque",
                                 "data": ["k": .string(Data("päss\u{0}".utf8).base64EncodedString())]]
        #expect(try schema.decodeObject(try schema.encodeObject(secret)) == secret)

        let event: JSONValue = ["apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e"],
                                "eventTime": "2026-12-01T10:20:30.123456Z", "reportingController": "c", "reportingInstance": "i",
                                "action": "A", "reason": "R", "type": "Normal"]
        #expect(try schema.decodeObject(try schema.encodeObject(event)) == event)

        let crd: JSONValue = ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "a.b"],
                              "spec": ["group": "b", "scope": "Namespaced", "names": ["plural": "a", "kind": "A"],
                                       "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": [
                                           "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                                           "additionalProperties": false, "default": ["x": [1, "y"]],
                                           "properties": ["items": ["type": "array", "items": ["type": "string"]]],
                                       ]]]]]]
        #expect(Self.difference(crd, try schema.decodeObject(try schema.encodeObject(crd))) == nil)

        // A Duration and a RawExtension holding JSON.
        let revision: JSONValue = ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": ["name": "r"],
                                   "revision": 2, "data": ["spec": ["a": 1]]]
        #expect(try schema.decodeObject(try schema.encodeObject(revision)) == revision)
        let lease: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": "l"],
                                "spec": ["holderIdentity": "me", "renewTime": "2026-12-01T10:20:30.500000Z", "leaseDurationSeconds": 15]]
        #expect(try schema.decodeObject(try schema.encodeObject(lease)) == lease)
    }

    @Test func goDurations() throws {
        for (text, nanoseconds) in [("0s", 0), ("1h0m0s", 3_600_000_000_000), ("1m30s", 90_000_000_000), ("1.5s", 1_500_000_000),
                                    ("500ms", 500_000_000), ("2µs", 2000), ("7ns", 7), ("-2m3.25s", -123_250_000_000)] as [(String, Int64)] {
            #expect(GoDuration.format(nanoseconds: nanoseconds) == text)
            #expect(GoDuration.parse(text) == nanoseconds)
        }
        #expect(GoDuration.parse("1x") == nil)
        #expect(GoDuration.parse("") == nil)
        let status: JSONValue = ["apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "h"],
                                 "spec": ["scaleTargetRef": ["kind": "Deployment", "name": "d"], "maxReplicas": 3]]
        #expect(try schema.decodeObject(try schema.encodeObject(status)) == status)
    }

    @Test func errorsNameTheFieldPath() throws {
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                              "spec": ["containers": [["name": "a"], ["name": 5]]]]
        let error = try #require(throws: ProtobufError.self) { try schema.encodeObject(pod) }
        #expect(error.pathDescription == "spec.containers[1].name")
        #expect(throws: ProtobufError.self) { try schema.encodeObject(["apiVersion": "example.com/v1", "kind": "Widget"]) }
        let notProtobuf = try #require(throws: ProtobufError.self) { try schema.decodeObject(Array("{}".utf8)) }
        #expect(notProtobuf.isMalformed)

        // metadata (field 1) holding name (field 1) as a varint where a string belongs.
        let wrongType = try #require(throws: ProtobufError.self) {
            try schema.decode([0x0a, 0x02, 0x08, 0x01], message: "api.core.v1.ConfigMap")
        }
        #expect(wrongType.pathDescription == "metadata.name")
        #expect(wrongType.isMalformed)
        let cut = try #require(throws: ProtobufError.self) { try schema.decode([0x0a, 0x05, 0x0a, 0x01], message: "api.core.v1.ConfigMap") }
        #expect(cut.isTruncated)
    }

    /// Every prefix of a real object, and thousands of random corruptions: a typed error or a value, never a crash.
    @Test func truncatedAndCorruptedInputGivesTypedErrors() throws {
        let bytes = try schema.encodeObject(["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "labels": ["a": "b"]],
                                             "spec": ["containers": [["name": "a", "image": "i", "resources": ["limits": ["cpu": "1"]]]]]])
        var truncatedErrors = 0
        for length in 0..<bytes.count {
            do { _ = try schema.decodeObject(Array(bytes.prefix(length))) } catch { if error.isTruncated { truncatedErrors += 1 } }
        }
        #expect(truncatedErrors > bytes.count / 2)
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for _ in 0..<20_000 {
            var corrupt = bytes
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                corrupt[Int.random(in: 4..<corrupt.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            do { _ = try schema.decodeObject(corrupt) } catch { failures += 1 }
        }
        #expect(failures > 0)
        // Nesting past the limit is an error, not a stack overflow.
        var nested: [UInt8] = []
        for _ in 0..<200 { nested = [0xe2, 0x01] + varint(nested.count) + nested }  // `not` (field 28), 200 deep
        let props = try #require(throws: ProtobufError.self) {
            try schema.decode(nested, message: "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps")
        }
        #expect(props.isMalformed)
    }

    private func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var out: [UInt8] = []
        while value >= 0x80 { out.append(UInt8(truncatingIfNeeded: value) | 0x80); value >>= 7 }
        return out + [UInt8(value)]
    }

    @Test func watchFramesSplitAtAnyBoundary() throws {
        let objects: [JSONValue] = (0..<3).map { ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string("c\($0)"), "resourceVersion": .string("\($0 + 10)")], "data": ["k": "v"]] }
        var stream: [UInt8] = []
        for object in objects { stream += try schema.encodeWatchFrame(type: "ADDED", object: object) }
        stream += try schema.encodeWatchFrame(type: "ERROR", object: ["apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 410, "reason": "Expired", "metadata": [:]])
        for chunkSize in [1, 3, 7, stream.count] {
            var reader = ProtobufFrameReader()
            var events: [(String, JSONValue)] = []
            var offset = 0
            while offset < stream.count {
                reader.append(stream[offset..<min(offset + chunkSize, stream.count)])
                offset += chunkSize
                while let frame = try reader.nextFrame() {
                    let event = try schema.decodeWatchEvent(frame)
                    events.append((event.type, event.object))
                }
            }
            #expect(!reader.hasPartialFrame)
            #expect(events.map(\.0) == ["ADDED", "ADDED", "ADDED", "ERROR"])
            #expect(events.prefix(3).map(\.1) == objects)
            #expect(events.last?.1["code"] == 410)
        }
        var oversized = ProtobufFrameReader(maxFrameSize: 16)
        oversized.append([0, 0, 1, 0])
        #expect(throws: ProtobufError.self) { try oversized.nextFrame() }
    }
}
