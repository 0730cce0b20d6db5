import AsyncHTTPClient
import Foundation
import KubeCore
import KubeModels
import Testing
@testable import KubeTestServer

/// `application/vnd.kubernetes.protobuf` over the wire: request bodies, responses chosen by
/// Accept (objects, lists, Status errors, watch streams), JSON where a kind has no message.
@Suite(.timeLimit(.minutes(3))) struct ProtobufWireTests {
    static let protobuf = "application/vnd.kubernetes.protobuf"
    static let accept = [("Accept", "application/vnd.kubernetes.protobuf, application/json")]
    let schema = BuiltinProtobufSchema.schema

    @Test func createGetListAndErrorsInProtobuf() async throws {
        try await withServer { _, wire in
            let body = try schema.encodeObject(configMap("pb", data: ["a": "1"]))
            let created = try await wire.request(.POST, "/api/v1/namespaces/default/configmaps", body: Data(body),
                                                 contentType: Self.protobuf, headers: Self.accept)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.headers.first(name: "Content-Type") == Self.protobuf)
            let object = try schema.decodeObject([UInt8](created.body))
            #expect(object["kind"] == "ConfigMap")
            #expect(object["data"] == ["a": "1"])
            #expect(object["metadata"]?["resourceVersion"]?.stringValue?.isEmpty == false)

            // Stored as JSON: a JSON client sees the same object.
            let json = try await wire.get("/api/v1/namespaces/default/configmaps/pb")
            #expect(json.headers.first(name: "Content-Type") == "application/json")
            #expect(json.json["data"] == ["a": "1"])
            #expect(json.json["metadata"]?["uid"] == object["metadata"]?["uid"])

            // Update in protobuf.
            var changed = json.json
            changed["data"] = ["a": "2"]
            let updated = try await wire.request(.PUT, "/api/v1/namespaces/default/configmaps/pb", body: Data(try schema.encodeObject(changed)),
                                                 contentType: Self.protobuf, headers: Self.accept)
            #expect(updated.status == 200, "\(updated.text)")
            #expect(try schema.decodeObject([UInt8](updated.body))["data"] == ["a": "2"])

            let list = try await wire.get("/api/v1/namespaces/default/configmaps", headers: Self.accept)
            #expect(list.headers.first(name: "Content-Type") == Self.protobuf)
            let items = try schema.decodeObject([UInt8](list.body))
            #expect(items["kind"] == "ConfigMapList")
            #expect(items["items"]?.arrayValue?.contains { $0["metadata"]?["name"] == "pb" } == true)

            let missing = try await wire.get("/api/v1/namespaces/default/configmaps/nope", headers: Self.accept)
            #expect(missing.status == 404)
            #expect(missing.headers.first(name: "Content-Type") == Self.protobuf)
            let status = try schema.decodeObject([UInt8](missing.body))
            #expect(status["kind"] == "Status")
            #expect(status["reason"] == "NotFound")
            #expect(status["code"] == 404)

            // Malformed protobuf: a 400 naming the problem, never a crash.
            let cut = try await wire.request(.POST, "/api/v1/namespaces/default/configmaps", body: Data(body.dropLast(3)),
                                             contentType: Self.protobuf)
            #expect(cut.status == 400)
            #expect(cut.statusObject?.message?.contains("protobuf") == true, "\(cut.text)")
            // A kind without a message: 415.
            let custom = try await wire.request(.POST, "/api/v1/namespaces/default/configmaps", body: Data(ProtobufSchema.magic + [0x0a, 0x0e, 0x0a, 0x04] + Array("x/v1".utf8) + [0x12, 0x06] + Array("Widget".utf8)),
                                                contentType: Self.protobuf)
            #expect(custom.status == 415, "\(custom.text)")
            // JSON stays the default, and `as=Table` stays JSON.
            let table = try await wire.get("/api/v1/namespaces/default/configmaps",
                                           headers: [("Accept", "application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1, application/json")])
            #expect(table.headers.first(name: "Content-Type") == "application/json")
            #expect(table.json["kind"] == "Table")
        }
    }

    @Test func watchStreamsProtobufFrames() async throws {
        try await withServer { _, wire in
            #expect(try await wire.post("/api/v1/namespaces/default/configmaps", configMap("w1")).status == 201)
            var request = HTTPClientRequest(url: wire.base + "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=0")
            request.headers.add(name: "Authorization", value: "Bearer \(wire.token ?? "")")
            request.headers.add(name: "Accept", value: "application/vnd.kubernetes.protobuf;stream=watch, application/json")
            let response = try await wire.client.execute(request, timeout: .seconds(30))
            #expect(response.headers.first(name: "Content-Type") == "application/vnd.kubernetes.protobuf;stream=watch")
            let poster = Task {
                try await Task.sleep(for: .milliseconds(200))
                _ = try await wire.post("/api/v1/namespaces/default/configmaps", configMap("w2"))
            }
            var reader = ProtobufFrameReader()
            var events: [(String, JSONValue)] = []
            let deadline = ContinuousClock.now + .seconds(15)
            for try await chunk in response.body {
                reader.append(chunk.readableBytesView)
                while let frame = try reader.nextFrame() {
                    let event = try schema.decodeWatchEvent(frame)
                    events.append((event.type, event.object))
                }
                if events.count >= 2 || ContinuousClock.now > deadline { break }
            }
            poster.cancel()
            let names = events.map { $0.1["metadata"]?["name"]?.stringValue ?? "" }
            #expect(events.map(\.0).prefix(2) == ["ADDED", "ADDED"])
            #expect(names.contains("w1"))
            #expect(events.first?.1["kind"] == "ConfigMap")
        }
    }
}
