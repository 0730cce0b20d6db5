import AsyncHTTPClient
import Foundation
import KubeCore
import KubeTestServer
import NIOCore
import NIOHTTP1
import NIOSSL

/// A `KubeTestServer` and a raw HTTPS client for it (admin token), for the admission tests:
/// requests go over the wire so the server's admission path runs as it does for any client.
struct TestAPI {
    let server: KubeTestServer
    let client: HTTPClient

    struct Reply {
        var status: Int
        var body: JSONValue
        var headers: HTTPHeaders
        var message: String { body["message"]?.stringValue ?? "" }
    }

    static func with<T>(
        serviceAddresses: [String: String] = [:], _ body: (TestAPI) async throws -> T
    ) async throws -> T {
        var configuration = KubeTestServer.Configuration()
        configuration.webhookServiceAddresses = serviceAddresses
        let server = try await KubeTestServer.start(configuration)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(server.caCertificatePEM.utf8)))
        var clientConfiguration = HTTPClient.Configuration(tlsConfiguration: tls)
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let api = TestAPI(server: server, client: client)
        do {
            let result = try await body(api)
            try? await client.shutdown()
            await server.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            await server.shutdown()
            throw error
        }
    }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil, contentType: String = "application/json") async throws -> Reply {
        var request = HTTPClientRequest(url: server.url + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(server.adminToken)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 8 * 1024 * 1024)
        let data = Data(bytes.readableBytesView)
        let json = (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .string(String(decoding: data, as: UTF8.self))
        return Reply(status: Int(response.status.code), body: json, headers: response.headers)
    }

    /// POSTs `object` and requires a 201.
    @discardableResult
    func create(_ path: String, _ object: JSONValue) async throws -> JSONValue {
        let reply = try await send(.POST, path, object)
        guard reply.status == 201 else { throw Failure(description: "POST \(path): \(reply.status) \(reply.body)") }
        return reply.body
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    // MARK: - Objects

    static func namespace(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))]]
    }

    static func service(_ name: String, namespace: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name), "namespace": .string(namespace)],
         "spec": ["ports": [["port": 443, "targetPort": 9443]]]]
    }

    static func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = ["k": "v"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap",
         "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))],
         "data": .object(data.mapValues(JSONValue.string))]
    }

    static func pod(_ name: String, image: String, labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod",
         "metadata": ["name": .string(name), "labels": .object(labels.mapValues(JSONValue.string))],
         "spec": ["containers": [["name": "app", "image": .string(image)]]]]
    }

    /// One webhook entry. `url` or `service` (`namespace/name`) with `path`.
    static func webhook(
        _ name: String, url: String? = nil, service: String? = nil, path: String = "/", caPEM: String,
        rules: [JSONValue] = [rule()], extra: [String: JSONValue] = [:]
    ) -> JSONValue {
        var client: [String: JSONValue] = ["caBundle": .string(Data(caPEM.utf8).base64EncodedString())]
        if let url { client["url"] = .string(url + path) }
        if let service {
            let parts = service.split(separator: "/").map(String.init)
            client["service"] = ["namespace": .string(parts[0]), "name": .string(parts[1]), "path": .string(path)]
        }
        var hook: [String: JSONValue] = [
            "name": .string(name), "clientConfig": .object(client), "rules": .array(rules),
            "sideEffects": "None", "admissionReviewVersions": ["v1"],
        ]
        for (key, value) in extra { hook[key] = value }
        return .object(hook)
    }

    static func rule(
        operations: [String] = ["*"], groups: [String] = [""], versions: [String] = ["v1"], resources: [String] = ["configmaps"],
        scope: String? = nil
    ) -> JSONValue {
        var rule: [String: JSONValue] = [
            "operations": .array(operations.map(JSONValue.string)), "apiGroups": .array(groups.map(JSONValue.string)),
            "apiVersions": .array(versions.map(JSONValue.string)), "resources": .array(resources.map(JSONValue.string)),
        ]
        if let scope { rule["scope"] = .string(scope) }
        return .object(rule)
    }

    static func configuration(_ kind: String, _ name: String, _ webhooks: [JSONValue]) -> JSONValue {
        ["apiVersion": "admissionregistration.k8s.io/v1", "kind": .string(kind), "metadata": ["name": .string(name)],
         "webhooks": .array(webhooks)]
    }

    func addValidating(_ name: String, _ webhooks: [JSONValue]) async throws {
        try await create("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
                         Self.configuration("ValidatingWebhookConfiguration", name, webhooks))
    }

    func addMutating(_ name: String, _ webhooks: [JSONValue]) async throws {
        try await create("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
                         Self.configuration("MutatingWebhookConfiguration", name, webhooks))
    }
}

extension JSONValue {
    /// Array element access for the tests (`nil` when out of range or not an array).
    subscript(index: Int) -> JSONValue? {
        get {
            guard case .array(let items) = self, items.indices.contains(index) else { return nil }
            return items[index]
        }
        set {
            guard case .array(var items) = self, items.indices.contains(index) else { return }
            items[index] = newValue ?? .null
            self = .array(items)
        }
    }
}
