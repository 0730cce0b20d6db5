import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Synchronization
import Testing
@testable import KubeRuntime

@Suite("Controller", .timeLimit(.minutes(2)))
struct ControllerTests {
    /// An informer that was never started as a service: the controller fails fast, naming it,
    /// instead of waiting forever for a sync that cannot come.
    @Test func anInformerThatNeverRunsFailsTheControllerWithItsName() async throws {
        try await withCluster { cluster in
            let configMaps = Informer(api: Api<ConfigMap>.namespaced(cluster.client, "default"))
            let secrets = Informer(
                api: Api<Secret>.namespaced(cluster.client, "default"), config: WatcherConfig(labelSelector: try LabelSelector(parsing: "app=web")))
            let reconciled = Mutex(0)
            let controller = Controller(
                primary: configMaps, reconciler: ReconcileFunction { _ in reconciled.withLock { $0 += 1 }; return .done },
                informerStartTimeout: .seconds(1)
            ).owns(secrets)
            let informerTask = Task { try await configMaps.run() }  // secrets is forgotten
            defer { informerTask.cancel() }
            let started = ContinuousClock.now
            do {
                try await controller.run()
                Issue.record("the controller ran without its secrets informer")
            } catch let error as ControllerError {
                #expect(error.code == .informersNotRunning)
                #expect(error.informers == [#"secrets in namespace "default" with labels app=web"#])
                #expect("\(error)".contains("secrets"))
            }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test func runsOnceEveryInformerRuns() async throws {
        try await withCluster { cluster in
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            _ = try await api.create(configMap("one"))
            let configMaps = Informer(api: api)
            let secrets = Informer(api: Api<Secret>.namespaced(cluster.client, "default"))
            let reconciled = Mutex<Set<String>>([])
            let controller = Controller(
                primary: configMaps, reconciler: ReconcileFunction { key in reconciled.withLock { _ = $0.insert(key.name) }; return .done },
                informerStartTimeout: .seconds(5)
            ).owns(secrets)
            // The controller may start before its informers: it waits for them.
            let controllerTask = Task { try await controller.run() }
            try await Task.sleep(for: .milliseconds(200))
            let informers = [Task { try await configMaps.run() }, Task { try await secrets.run() }]
            #expect(await eventually(timeout: .seconds(10)) { reconciled.withLock { $0.contains("one") } })
            controllerTask.cancel()
            for task in informers { task.cancel() }
        }
    }
}
