import Foundation
import KubeClient
import KubeCore
import KubeCustomResources
import KubeModels
import KubeRuntime
import KubeTestServer
import ServiceLifecycle
import Testing

// README-operator:begin
/// The custom resource: `@CustomResource` adds metadata, the KubeResource conformance and its CRD.
@CustomResource(group: "example.com", version: "v1")
struct WebApp { var spec = WebAppSpec() }
@KubeSchema struct WebAppSpec: Codable, Sendable { @MinLength(1) var greeting = "hello" }

/// Runs `work` only while this replica holds the Lease.
struct WhileLeading: ServiceLifecycle.Service {
    let elector: LeaderElector, work: any ServiceLifecycle.Service
    func run() async throws { try await elector.run(whileLeading: { try await work.run() }) }
}

/// Keeps a ConfigMap `<name>-page` holding each WebApp's greeting, owned by the WebApp (so the
/// garbage collector removes it), and deletes it explicitly behind a finalizer.
func webAppOperator(client: KubeClient, namespace: String, host: String = "0.0.0.0", port: Int = 8080) throws -> [any ServiceLifecycle.Service] {
    let apps = Api<WebApp>.namespaced(client, namespace)
    let pages = Api<ConfigMap>.namespaced(client, namespace)
    let appInformer = Informer(api: apps)
    let pageInformer = Informer(api: pages, transform: Informer.stripManagedFields)
    let reconciler = ReconcileFunction { key in
        guard let app = appInformer.store.get(namespace: key.namespace, name: key.name) else { return .done }
        return try await finalize(
            app, api: apps, finalizer: "example.com/cleanup",
            apply: { app in
                var page = ConfigMap(data: ["greeting": app.spec.greeting], metadata: ObjectMeta(name: "\(key.name)-page", namespace: namespace))
                try page.metadata.setControllerReference(app)
                _ = try await pages.apply(page, force: true)  // server-side apply, the program's field manager
                return .done
            },
            cleanup: { _ in
                _ = try? await pages.delete("\(key.name)-page")
                return .done
            })
    }
    let controller = Controller(primary: appInformer, reconciler: reconciler).owns(pageInformer)
    let elector = LeaderElector(client: client, config: try LeaderElectionConfig(leaseName: "webapp-operator", namespace: namespace))
    let endpoint = OperatorEndpoint(host: host, port: port, readiness: [.synced(appInformer), .synced(pageInformer), .leaderElection(elector)])
    return [appInformer, pageInformer, endpoint, WhileLeading(elector: elector, work: controller)]
}
// README-operator:end

@Suite("The README's operator runs against KubeTestServer", .timeLimit(.minutes(3)))
struct ReadmeOperatorTests {
    @Test func theOperatorReconcilesOwnsFinalizesAndReports() async throws {
        try await withCluster { cluster in
            let crd = WebApp.customResourceDefinition
            _ = try await Api<CustomResourceDefinition>.cluster(cluster.client).create(crd)
            #expect(await eventually {
                (try? await Api<CustomResourceDefinition>.cluster(cluster.client).get("webapps.example.com"))?.status?.conditions?
                    .contains { $0.type == "Established" && $0.status == "True" } == true
            })

            let services = try webAppOperator(client: cluster.client, namespace: "default", host: "127.0.0.1", port: 0)
            let endpoint = try #require(services.compactMap { $0 as? OperatorEndpoint }.first)
            let apps = Api<WebApp>.namespaced(cluster.client, "default")
            let pages = Api<ConfigMap>.namespaced(cluster.client, "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try await service.run() } }
                defer { group.cancelAll() }
                let port = try await endpoint.listeningPort()
                #expect(await eventually { (try? await httpRequest(port, "/readyz").status) == 200 })

                var app = WebApp(metadata: ObjectMeta(name: "shop"))
                app.spec.greeting = "welcome"
                let created = try await apps.create(app)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "welcome"] })
                let page = try await pages.get("shop-page")
                #expect(page.metadata.isControlled(by: created))
                #expect(page.metadata.controllerReference?.blockOwnerDeletion == true)
                #expect(try await apps.get("shop").metadata.finalizers == ["example.com/cleanup"])

                var changed = try await apps.get("shop")
                changed.spec.greeting = "bonjour"
                _ = try await apps.replace("shop", changed)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "bonjour"] })

                // Someone edits the owned page: the controller puts it back.
                var edited = try await pages.get("shop-page")
                edited.data = ["greeting": "tampered"]
                _ = try await pages.replace("shop-page", edited)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "bonjour"] })

                let metrics = try await httpRequest(port, "/metrics").body
                #expect((sample(metrics, MetricNames.reconciles, ["controller": "webapp", "result": "success"]) ?? 0) >= 3)
                #expect(sample(metrics, MetricNames.leaderStatus, ["name": "webapp-operator"]) == 1)

                _ = try await apps.delete("shop")
                #expect(await eventually {
                    do { return try await apps.getIfExists("shop") == nil } catch { return false }
                })
                #expect(try await pages.getIfExists("shop-page") == nil)
            }
        }
    }

    /// The README shows this file's operator verbatim.
    @Test func theReadmeShowsThisOperator() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let readme = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(source.range(of: "// README-operator:begin\n"))
        let end = try #require(source.range(of: "// README-operator:end\n"))
        let code = String(source[begin.upperBound..<end.lowerBound])
        #expect(readme.contains(code))
        let lines = code.split(separator: "\n").count
        #expect(lines <= 60, "the operator has \(lines) lines")
    }
}
