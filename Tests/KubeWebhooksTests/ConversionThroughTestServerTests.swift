import Foundation
import KubeClient
import KubeCore
import KubeTestServer
import Logging
import Testing

@testable import KubeWebhooks

/// KubeTestServer converting a two-version CRD (`strategy: Webhook`, v1 stored) through a
/// KubeWebhooks hub-and-spoke conversion server over TLS, read and written with the typed client.
@Suite("CRD conversion webhooks called by KubeTestServer", .timeLimit(.minutes(5)))
struct ConversionThroughTestServerTests {
    static let serviceName = "widget-conversion"

    /// The CRD: v1 (storage) and v2 served, converted by the Service `webhooks/widget-conversion`.
    static func crd(caPEM: String, path: String = "/convert", url: String? = nil) -> JSONValue {
        func version(_ name: String, storage: Bool, spec: JSONValue) -> JSONValue {
            [
                "name": .string(name), "served": true, "storage": .bool(storage),
                "schema": ["openAPIV3Schema": ["type": "object", "properties": ["spec": ["type": "object", "properties": spec]]]],
                "subresources": ["status": [:]],
            ]
        }
        var client: JSONValue = ["caBundle": .string(Data(caPEM.utf8).base64EncodedString())]
        if let url {
            client["url"] = .string(url + path)
        } else {
            client["service"] = ["namespace": "webhooks", "name": .string(serviceName), "path": .string(path), "port": 443]
        }
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": "widgets.example.com"],
            "spec": [
                "group": "example.com", "scope": "Namespaced",
                "names": ["plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"],
                "versions": [
                    version("v1", storage: true, spec: ["size": ["type": "string"]]),
                    version("v2", storage: false, spec: ["replicas": ["type": "integer"]]),
                ],
                "conversion": ["strategy": "Webhook", "webhook": ["clientConfig": client, "conversionReviewVersions": ["v1"]]],
            ],
        ]
    }

    /// A KubeWebhooks server with `widgetConversion` whose certificate covers the Service name,
    /// a KubeTestServer that reaches it through the Service, the CRD, and a typed client.
    static func withConversion<T>(
        crdPath: String = "/convert", _ body: (_ api: TestAPI, _ client: KubeClient, _ port: Int) async throws -> T
    ) async throws -> T {
        let pki = try TestPKI()
        let volume = try SecretVolume(initial: try pki.issueServing(commonName: serviceName, dnsNames: ["\(serviceName).webhooks.svc"]))
        defer { volume.remove() }
        let server = WebhookServer(
            configuration: .init(host: "127.0.0.1", port: 0, certificateFile: volume.certificateFile, keyFile: volume.keyFile),
            webhooks: [widgetConversion], logger: Logger(label: "widget-conversion", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await server.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        let result = try await TestAPI.with(serviceAddresses: ["webhooks/\(serviceName)": "127.0.0.1:\(port)"]) { api in
            try await api.create("/api/v1/namespaces", TestAPI.namespace("webhooks"))
            try await api.create("/api/v1/namespaces/webhooks/services", TestAPI.service(serviceName, namespace: "webhooks"))
            try await api.create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd(caPEM: pki.caPEM, path: crdPath))
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conversion-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let kubeconfig = directory.appendingPathComponent("kubeconfig").path
            try api.server.writeAdminKubeconfig(to: kubeconfig)
            let config = try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:])
            let client = try KubeClient(config: config, logger: Logger(label: "client", factory: { _ in SwiftLogNoOpLogHandler() }))
            do {
                let result = try await body(api, client, port)
                try? await client.shutdown()
                return result
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
        running.cancel()
        _ = await running.result
        return result
    }

    static func widget(_ name: String, size: String) -> WidgetV1 {
        WidgetV1(metadata: ObjectMeta(name: name, namespace: "default"), spec: .init(size: size))
    }

    @Test func writeV1ReadV2ListAndWatchInV2() async throws {
        try await Self.withConversion { api, client, _ in
            let v1 = Api<WidgetV1>.namespaced(client, "default")
            let v2 = Api<WidgetV2>.namespaced(client, "default")
            let created = try await v1.create(Self.widget("big", size: "large"))
            #expect(created.spec.size == "large")
            // Read in v2: converted by the webhook (large → 5 replicas), same identity.
            let read = try await v2.get("big")
            #expect(read.spec.replicas == 5)
            #expect(read.metadata.uid == created.metadata.uid)
            #expect(read.metadata.resourceVersion == created.metadata.resourceVersion)
            // Stored in v1 whatever version writes: a v2 create reads back in v1.
            _ = try await v2.create(WidgetV2(metadata: ObjectMeta(name: "one", namespace: "default"), spec: .init(replicas: 1)))
            #expect(try await v1.get("one").spec.size == "small")
            let raw = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets/one")
            #expect(raw.body["apiVersion"] == "example.com/v2")
            #expect(raw.body["spec"] == ["replicas": 1])

            // List in v2: every item converted (one review for the page).
            let list = try await v2.list()
            #expect(list.items.map { $0.metadata.name ?? "" }.sorted() == ["big", "one"])
            #expect(Set(list.items.map(\.spec.replicas)) == [1, 5])

            // Update through v2 (converted to v1 for storage, answered in v2).
            var scaled = read
            scaled.spec.replicas = 1
            let replaced = try await v2.replace("big", scaled)
            #expect(replaced.spec.replicas == 1)
            #expect(try await v1.get("big").spec.size == "small")
            // A merge patch through v2 works on the v2 form; the answer is what was stored, read
            // back through the webhook (v1 only knows small/large: 3 replicas are stored as large, read as 5).
            let patched = try await v2.patch("big", .merge(["spec": ["replicas": 3]]))
            #expect(patched.spec.replicas == 5)
            #expect(try await v1.get("big").spec.size == "large")

            // Watch in v2: the initial events and a live event, each converted.
            var events = try v2.watch(WatchOptions(timeoutSeconds: 20, allowWatchBookmarks: false)).makeAsyncIterator()
            var initial: [String: Int] = [:]
            for _ in 0..<2 {
                guard case .added(let object)? = try await events.next() else { Issue.record("expected ADDED"); return }
                initial[object.metadata.name ?? ""] = object.spec.replicas
            }
            #expect(initial == ["big": 5, "one": 1])
            _ = try await v1.create(Self.widget("later", size: "large"))
            guard case .added(let later)? = try await events.next() else { Issue.record("expected ADDED"); return }
            #expect(later.metadata.name == "later")
            #expect(later.spec.replicas == 5)

            // The status subresource through v2.
            let status = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets/later/status")
            #expect(status.status == 200)
            #expect(status.body["spec"]?["replicas"] == 5)
        }
    }

    @Test func webhookAnsweringFailedIs500WithItsMessage() async throws {
        try await Self.withConversion { api, client, _ in
            let v1 = Api<WidgetV1>.namespaced(client, "default")
            // Stored as is (v1 is the storage version: no conversion on the way in).
            _ = try await v1.create(Self.widget("odd", size: "medium"))
            let read = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets/odd")
            #expect(read.status == 500)
            #expect(read.body["reason"] == nil)
            #expect(read.message == "conversion webhook for example.com/v1, Kind=Widget failed: object default/odd: conversion from example.com/v1 to example.com/v2 failed: unknown size \"medium\"")
            let list = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets")
            #expect(list.status == 500)
            #expect(list.message.hasPrefix("conversion webhook for example.com/v1, Kind=WidgetList failed: "))
            // The typed client sees the same Status.
            do {
                _ = try await Api<WidgetV2>.namespaced(client, "default").get("odd")
                Issue.record("expected an error")
            } catch let error as KubeError {
                #expect(error.statusCode == 500)
                #expect(error.status?.message?.contains("unknown size \"medium\"") == true)
            }
            // v1 reads need no conversion and still work.
            #expect(try await v1.get("odd").spec.size == "medium")
        }
    }

    @Test func webhookDownOrMisconfigured() async throws {
        try await Self.withConversion(crdPath: "/no-such-path") { api, client, _ in
            let v1 = Api<WidgetV1>.namespaced(client, "default")
            _ = try await v1.create(Self.widget("w", size: "small"))
            // The server answers 404 on an unknown path: the webhook call fails.
            let read = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets/w")
            #expect(read.status == 500)
            #expect(read.message.hasPrefix("conversion webhook for example.com/v1, Kind=Widget failed: "))
            // A write through v2 cannot be converted to the storage version: InternalError, nothing stored.
            let write = try await api.send(.POST, "/apis/example.com/v2/namespaces/default/widgets", [
                "apiVersion": "example.com/v2", "kind": "Widget", "metadata": ["name": "x"], "spec": ["replicas": 1],
            ])
            #expect(write.status == 500)
            #expect(write.body["reason"] == "InternalError")
            #expect(write.message.hasPrefix("Internal error occurred: conversion webhook for example.com/v2, Kind=Widget failed: "))
            #expect(try await api.send(.GET, "/apis/example.com/v1/namespaces/default/widgets/x").status == 404)
        }
        // Nothing listening: the dial error in Go's words.
        try await Self.withConversion { api, client, port in
            let v1 = Api<WidgetV1>.namespaced(client, "default")
            _ = try await v1.create(Self.widget("w", size: "small"))
            // Point the Service's address at a closed port by replacing the CRD's client config with a url.
            let closed = try Self.closedPort()
            var crd = try await api.send(.GET, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com").body
            crd["spec"]?["conversion"]?["webhook"]?["clientConfig"]?["service"] = nil
            crd["spec"]?["conversion"]?["webhook"]?["clientConfig"]?["url"] = .string("https://127.0.0.1:\(closed)/convert")
            let updated = try await api.send(.PUT, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com", crd)
            #expect(updated.status == 200)
            let read = try await api.send(.GET, "/apis/example.com/v2/namespaces/default/widgets/w")
            #expect(read.status == 500)
            #expect(read.message == "conversion webhook for example.com/v1, Kind=Widget failed: Post \"https://127.0.0.1:\(closed)/convert?timeout=30s\": dial tcp 127.0.0.1:\(closed): connect: connection refused")
            _ = port
        }
    }

    @Test func crdValidationOfTheWebhookStrategy() async throws {
        try await TestAPI.with { api in
            var crd = Self.crd(caPEM: "")
            crd["spec"]?["conversion"] = ["strategy": "Webhook"]
            let missing = try await api.send(.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            #expect(missing.status == 422)
            #expect(missing.message.contains("spec.conversion.webhook: Required value: required when strategy is set to Webhook"))
            crd["spec"]?["conversion"] = ["strategy": "Webhook", "webhook": ["clientConfig": ["url": "https://127.0.0.1:1/convert"], "conversionReviewVersions": ["v2"]]]
            let versions = try await api.send(.POST, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
            #expect(versions.status == 422)
            #expect(versions.message.contains("must include at least one of v1, v1beta1"))
        }
    }

    /// A loopback port with nothing listening (bound, then closed).
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestAPI.Failure(description: "bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
