import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

@Suite("Serving: TLS, discovery, health", .timeLimit(.minutes(3)))
struct ServingTests {
    @Test func servesHealthVersionAndDiscoveryOverHTTP2() async throws {
        try await withServer { server, wire in
            let health = try await wire.get("/healthz")
            #expect(health.status == 200)
            #expect(health.text == "ok")
            #expect(health.version.major == 2)
            let version = try await wire.get("/version")
            #expect(version.json["major"] == "1")
            let api = try await wire.get("/api")
            #expect(api.json["versions"] == ["v1"])
            let core = try await wire.get("/api/v1")
            let names = core.json["resources"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("pods"))
            #expect(names.contains("pods/status"))
            #expect(names.contains("serviceaccounts/token"))
            let groups = try await wire.get("/apis")
            let groupNames = groups.json["groups"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(groupNames.contains("apps"))
            #expect(groupNames.contains("rbac.authorization.k8s.io"))
            let apps = try await wire.get("/apis/apps/v1")
            #expect(apps.json["groupVersion"] == "apps/v1")
            let missing = try await wire.get("/apis/nope.example.com/v1")
            #expect(missing.status == 404)
            // An unserved group is not routed: kube's mux answers plain text (recorded in 111, 114).
            #expect(missing.headers.first(name: "content-type") == "text/plain; charset=utf-8")
            #expect(String(decoding: missing.body, as: UTF8.self) == "404 page not found\n")
            let unknown = try await wire.get("/apis/apps/v1/nopes")
            #expect(unknown.statusObject?.reason == "NotFound")
        }
    }

    @Test func anonymousMayReadHealthButNotResources() async throws {
        try await withServer { server, _ in
            let anonymous = try Wire(server: server, token: nil)
            #expect(try await anonymous.get("/healthz").status == 200)
            let pods = try await anonymous.get("/api/v1/namespaces/default/pods")
            #expect(pods.status == 403)
            #expect(pods.statusObject?.message == "pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"")
            await anonymous.shutdown()
        }
    }

    @Test func bootstrapsNamespacesServiceAccountsAndTheKubernetesService() async throws {
        try await withServer({ $0.advertiseAddresses = ["10.0.0.5", "127.0.0.1"] }) { server, wire in
            let namespaces = try await wire.get("/api/v1/namespaces")
            let names = Set(namespaces.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? [])
            #expect(names == ["default", "kube-system", "kube-public", "kube-node-lease"])
            for namespace in names {
                #expect(try await wire.get("/api/v1/namespaces/\(namespace)/serviceaccounts/default").status == 200)
            }
            let service = try await wire.get("/api/v1/namespaces/default/services/kubernetes")
            #expect(service.json["spec"]?["clusterIP"] == "10.96.0.1")
            #expect(service.json["spec"]?["ports"]?.arrayValue?.first?["targetPort"]?.intValue == Int64(server.ports[0]))
            let endpoints = try await wire.get("/api/v1/namespaces/default/endpoints/kubernetes")
            let ips = endpoints.json["subsets"]?.arrayValue?.first?["addresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue }
            #expect(ips == ["10.0.0.5"])
            let slice = try await wire.get("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
            #expect(slice.json["endpoints"]?.arrayValue?.count == 1)
            // A new namespace gets its default ServiceAccount and the root CA ConfigMap.
            #expect(try await wire.post("/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "team-a"]]).status == 201)
            #expect(try await wire.get("/api/v1/namespaces/team-a/serviceaccounts/default").status == 200)
            let root = try await wire.get("/api/v1/namespaces/team-a/configmaps/kube-root-ca.crt")
            #expect(root.json["data"]?["ca.crt"]?.stringValue == server.caCertificatePEM)
        }
    }

    @Test func onlyLoopbackAdvertisedMeansEmptyEndpoints() async throws {
        try await withServer({ $0.advertiseAddresses = ["127.0.0.1"] }) { _, wire in
            let endpoints = try await wire.get("/api/v1/namespaces/default/endpoints/kubernetes")
            #expect(endpoints.status == 200)
            #expect(endpoints.json["subsets"] == nil)
        }
    }

    @Test func listenersShareOneStoreAndRestartOnTheSamePort() async throws {
        try await withServer({ $0.listeners = [.init(), .init()] }) { server, wire in
            #expect(server.urls.count == 2)
            let second = try Wire(server: server, token: server.adminToken, baseURL: server.urls[1])
            #expect(try await wire.post("/api/v1/namespaces/default/configmaps", configMap("shared")).status == 201)
            #expect(try await second.get("/api/v1/namespaces/default/configmaps/shared").status == 200)
            let port = server.ports[1]
            try await server.stopListener(1)
            await second.shutdown()
            let offline = try Wire(server: server, token: server.adminToken, baseURL: server.urls[1])
            await #expect(throws: (any Error).self) { _ = try await offline.get("/healthz") }
            await offline.shutdown()
            try await server.startListener(1)
            #expect(server.ports[1] == port)
            let again = try Wire(server: server, token: server.adminToken, baseURL: server.urls[1])
            #expect(try await again.get("/api/v1/namespaces/default/configmaps/shared").status == 200)
            await again.shutdown()
        }
    }

    @Test func stoppingAListenerOverTheControlAPIWithdrawsItsAdvertisedAddress() async throws {
        try await withServer({
            $0.listeners = [.init(), .init(), .init()]
            $0.advertiseAddresses = ["198.51.100.1", "198.51.100.2"]
        }) { server, _ in
            // Listener 2 is never stopped: the control calls go through it.
            let control = try Wire(server: server, token: server.adminToken, baseURL: server.urls[2])
            func sliceAddresses() async throws -> [String] {
                let slice = try await control.get("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
                return slice.json["endpoints"]?.arrayValue?.compactMap { $0["addresses"]?.arrayValue?.first?.stringValue } ?? []
            }
            func endpointsAddresses() async throws -> [String] {
                let endpoints = try await control.get("/api/v1/namespaces/default/endpoints/kubernetes")
                return endpoints.json["subsets"]?.arrayValue?.first?["addresses"]?.arrayValue?.compactMap { $0["ip"]?.stringValue } ?? []
            }
            #expect(try await sliceAddresses() == ["198.51.100.1", "198.51.100.2"])
            #expect(try await control.post("/_control/faults", ["action": "stopListener", "index": 0]).status == 200)
            #expect(try await sliceAddresses() == ["198.51.100.2"])
            #expect(try await endpointsAddresses() == ["198.51.100.2"])
            let offline = try Wire(server: server, token: server.adminToken, baseURL: server.urls[0])
            await #expect(throws: (any Error).self) { _ = try await offline.get("/healthz") }
            await offline.shutdown()
            #expect(try await control.post("/_control/faults", ["action": "startListener", "index": 0]).status == 200)
            #expect(try await sliceAddresses() == ["198.51.100.1", "198.51.100.2"])
            #expect(try await endpointsAddresses() == ["198.51.100.1", "198.51.100.2"])
            let online = try Wire(server: server, token: server.adminToken, baseURL: server.urls[0])
            #expect(try await online.get("/healthz").status == 200)
            await online.shutdown()
            #expect(try await control.post("/_control/faults", ["action": "stopListener"]).status == 400)
            #expect(try await control.post("/_control/faults", ["action": "stopListener", "index": 7]).status == 400)
            await control.shutdown()
        }
    }
}
