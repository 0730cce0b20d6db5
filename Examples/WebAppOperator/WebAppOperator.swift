import KubeClient
import KubeCustomResources
import KubeModels
import KubeRuntime
import Logging
import ServiceLifecycle

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

/// In a Pod: the service account's credentials; elsewhere, the kubeconfig. SIGTERM stops it.
@main enum Main {
    static func main() async throws {
        let client = try KubeClient(config: try ClientConfig.infer())
        let services = try webAppOperator(client: client, namespace: client.namespace)
        try await ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm], logger: Logger(label: "webapp-operator")).run()
    }
}
