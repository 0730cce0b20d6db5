import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Strategic merge patch as the recorded kube-apiserver v1.36 applies it (exchanges 067, 068,
/// 070), over TLS: where merged list items land, `$patch: replace` on a missing map, and the
/// 500 for an unknown `$patch` value.
@Suite("Strategic merge patch fidelity", .timeLimit(.minutes(2)))
struct StrategicMergeFidelityTests {
    let services = "/api/v1/namespaces/default/services"
    let deployments = "/apis/apps/v1/namespaces/default/deployments"

    func smp(_ wire: Wire, _ path: String, _ body: String) async throws -> WireResponse {
        try await wire.request(.PATCH, path, body: Data(body.utf8), contentType: "application/strategic-merge-patch+json")
    }

    @Test func serviceAndContainerPortsLandWhereKubePutsThem() async throws {
        try await withServer { _, wire in
            let service: JSONValue = [
                "apiVersion": "v1", "kind": "Service", "metadata": ["name": "s"],
                "spec": ["selector": ["app": "a"], "ports": [["name": "http", "port": 80], ["name": "https", "port": 443]]],
            ]
            #expect(try await wire.post(services, service).status == 201)
            // Ports merge on `port`; a new port goes right after the patched one (070).
            let merged = try await smp(wire, services + "/s", #"{"spec":{"ports":[{"port":80,"targetPort":8080,"name":"http"},{"port":8443,"name":"alt"}]}}"#)
            #expect(merged.status == 200, "\(merged.text)")
            let ports = merged.json["spec"]?["ports"]?.arrayValue ?? []
            #expect(ports.map { $0["name"] } == ["http", "alt", "https"])
            #expect(ports.first?["targetPort"] == 8080)
            let deleted = try await smp(wire, services + "/s", #"{"spec":{"ports":[{"port":443,"$patch":"delete"}]}}"#)
            #expect(deleted.json["spec"]?["ports"]?.arrayValue?.map { $0["name"] } == ["http", "alt"])

            // An unknown directive value: the library's Go error as a 500 without a reason.
            let unknown = try await smp(wire, services + "/s", #"{"spec":{"ports":[{"port":80,"$patch":"frobnicate"}]}}"#)
            #expect(unknown.status == 500)
            #expect(unknown.json["message"] == "unknown patch type: frobnicate in map: map[$patch:frobnicate port:80]")
            #expect(unknown.json["reason"] == nil)
            #expect(unknown.json["details"] == nil)

            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": [
                    "selector": ["matchLabels": ["app": "web"]],
                    "template": [
                        "metadata": ["labels": ["app": "web"]],
                        "spec": ["containers": [
                            ["name": "web", "image": "registry.example/nginx:1", "ports": [["containerPort": 80, "name": "http"], ["containerPort": 443, "name": "https"]]],
                            ["name": "sidecar", "image": "registry.example/side:1"],
                        ]],
                    ],
                ],
            ]
            #expect(try await wire.post(deployments, deployment).status == 201)
            // A new container port goes first, a new container right after the patched one (067).
            let patched = try await smp(wire, deployments + "/web", #"""
                {"spec":{"template":{"spec":{"containers":[{"name":"web","ports":[{"containerPort":8080,"name":"alt"}]},{"name":"new","image":"registry.example/new:1"}]}}}}
                """#)
            #expect(patched.status == 200, "\(patched.text)")
            let containers = patched.json["spec"]?["template"]?["spec"]?["containers"]?.arrayValue ?? []
            #expect(containers.map { $0["name"] } == ["web", "new", "sidecar"])
            #expect(containers.first?["ports"]?.arrayValue?.map { $0["name"] } == ["alt", "http", "https"])

            // `$patch: replace` on labels the object does not have leaves it without labels (068).
            let replaced = try await smp(wire, deployments + "/web", #"{"metadata":{"labels":{"$patch":"replace","only":"this"}}}"#)
            #expect(replaced.status == 200)
            #expect(replaced.json["metadata"]?["labels"] == nil)
            _ = try await smp(wire, deployments + "/web", #"{"metadata":{"labels":{"a":"1"}}}"#)
            let again = try await smp(wire, deployments + "/web", #"{"metadata":{"labels":{"$patch":"replace","only":"this"}}}"#)
            #expect(again.json["metadata"]?["labels"] == ["only": "this"])
        }
    }
}
