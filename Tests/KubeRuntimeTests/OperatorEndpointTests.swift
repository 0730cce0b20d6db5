import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Synchronization
import Testing

@testable import KubeRuntime

@Suite("Operator endpoint: metrics and probes over HTTP", .timeLimit(.minutes(3)))
struct OperatorEndpointTests {
    /// Known work against KubeTestServer, then the metrics read back over HTTP: reconciles by result,
    /// the work queue's client-go metrics (including the in-flight gauges while a reconcile is
    /// blocked), informer sync, watch restarts, leader status, client requests and the CA's expiry.
    @Test func metricsAfterKnownWork() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            for name in ["a-\(id)", "b-\(id)"] { _ = try await api.create(configMap(name, labels: ["run": id])) }
            let informer = Informer(
                api: api, config: WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)"), watchTimeout: .seconds(1)),
                name: "cm-\(id)")
            let failedOnce = Mutex(false)
            let outcomes = Mutex<[String: Int]>([:])
            let slowStarted = Mutex(false)
            let releaseSlow = Mutex(false)
            let reconciler = ReconcileFunction { key in
                let failNow = key.name == "a-\(id)" && failedOnce.withLock { failed in
                    defer { failed = true }
                    return !failed
                }
                if failNow {
                    outcomes.withLock { $0["error", default: 0] += 1 }
                    throw ReconcileFailure()  // retried with backoff
                }
                if key.name == "slow-\(id)" {
                    slowStarted.withLock { $0 = true }
                    let deadline = ContinuousClock.now + .seconds(20)
                    while !releaseSlow.withLock({ $0 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                }
                outcomes.withLock { $0["success", default: 0] += 1 }
                return .done
            }
            let controllerName = "ctl-\(id)"
            let controller = Controller(primary: informer, reconciler: reconciler, name: controllerName, workers: 2)
            let elector = LeaderElector(
                client: cluster.client,
                config: try LeaderElectionConfig(
                    leaseName: "lease-\(id)", namespace: "default", identity: "me", leaseDuration: .seconds(6), renewDeadline: .seconds(4),
                    retryPeriod: .milliseconds(500)))
            let endpoint = OperatorEndpoint(host: "127.0.0.1", port: 0, readiness: [.synced(informer), .leaderElection(elector)])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await endpoint.run() }
                group.addTask { try await informer.run() }
                group.addTask { try await controller.run() }
                group.addTask { try await elector.run() }
                defer { group.cancelAll() }
                let port = try await endpoint.listeningPort()

                #expect(await eventually { (try? await httpRequest(port, "/readyz").status) == 200 })
                #expect(await eventually { outcomes.withLock { $0["success", default: 0] == 2 && $0["error", default: 0] == 1 } })

                // A reconcile in progress shows in the in-flight gauges.
                _ = try await api.create(configMap("slow-\(id)", labels: ["run": id]))
                #expect(await eventually { slowStarted.withLock { $0 } })
                try await Task.sleep(for: .milliseconds(300))
                let during = try await httpRequest(port, "/metrics").body
                #expect((sample(during, MetricNames.longestRunning, ["name": controllerName]) ?? 0) >= 0.25)
                #expect((sample(during, MetricNames.unfinishedWork, ["name": controllerName]) ?? 0) >= 0.25)
                #expect(sample(during, MetricNames.activeWorkers, ["controller": controllerName]) == 1)
                releaseSlow.withLock { $0 = true }
                #expect(await eventually { outcomes.withLock { $0["success", default: 0] == 3 } })
                // The server ends each watch after a second: the informer resumes it.
                try await Task.sleep(for: .milliseconds(2500))

                let scrape = try await httpRequest(port, "/metrics")
                #expect(scrape.status == 200)
                #expect(scrape.contentType?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = scrape.body
                let controllerLabel = ["controller": controllerName]
                #expect(sample(text, MetricNames.reconciles, controllerLabel.merging(["result": "success"]) { $1 }) == 3)
                #expect(sample(text, MetricNames.reconciles, controllerLabel.merging(["result": "error"]) { $1 }) == 1)
                #expect(sample(text, MetricNames.reconcileErrors, controllerLabel) == 1)
                #expect(sample(text, MetricNames.reconcileTime + "_count", controllerLabel) == 4)
                // controller-runtime's buckets, 5 ms to 60 s: the 0.25 s+ reconcile is above 0.25, the others below.
                #expect(sample(text, MetricNames.reconcileTime + "_bucket", controllerLabel.merging(["le": "0.005"]) { $1 }) != nil)
                #expect(sample(text, MetricNames.reconcileTime + "_bucket", controllerLabel.merging(["le": "60.0"]) { $1 }) == 4)
                #expect(sample(text, MetricNames.reconcileTime + "_bucket", controllerLabel.merging(["le": "0.25"]) { $1 }) == 3)
                #expect(sample(text, MetricNames.activeWorkers, controllerLabel) == 0)
                let queueLabel = ["name": controllerName]
                #expect(sample(text, MetricNames.retries, queueLabel) == 1)
                #expect((sample(text, MetricNames.adds, queueLabel) ?? 0) >= 4)
                #expect(sample(text, MetricNames.depth, queueLabel) == 0)
                #expect(sample(text, MetricNames.workDuration + "_count", queueLabel) == 4)
                #expect((sample(text, MetricNames.queueDuration + "_count", queueLabel) ?? 0) >= 4)
                #expect(sample(text, MetricNames.longestRunning, queueLabel) == 0)
                let informerLabel = ["informer": "cm-\(id)"]
                #expect(sample(text, MetricNames.informerSynced, informerLabel) == 1)
                #expect(sample(text, MetricNames.informerObjects, informerLabel) == 3)
                let age = sample(text, MetricNames.informerLastSyncAge, informerLabel)
                #expect(age != nil && age! >= 0 && age! < 30)
                #expect((sample(text, MetricNames.informerWatchRestarts, informerLabel) ?? 0) >= 1)
                #expect(sample(text, MetricNames.informerListRestarts, informerLabel) == nil)
                #expect(sample(text, MetricNames.leaderStatus, ["name": "lease-\(id)"]) == 1)
                #expect((sample(text, "kube_client_requests_total", ["verb": "list", "resource": "configmaps", "code": "200"]) ?? 0) >= 1)
                let caExpiry = try #require(sample(text, "kube_client_ca_expiry_seconds", ["server": cluster.client.config.server]))
                let expected = try #require(cluster.client.certificateAuthorityExpiry).timeIntervalSinceNow
                #expect(caExpiry > 0 && abs(caExpiry - expected) < 60)
            }
        }
    }

    /// A watch that expires (410) makes the informer list again, which the list-restart counter
    /// shows; a candidate that finds another holder's Lease reports 0; every request is timed.
    @Test func aRelistAFollowerAndRequestLatencyShow() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let now = MicroTime.now()
            _ = try await Api<Lease>.namespaced(cluster.client, "default").create(
                Lease(
                    metadata: ObjectMeta(name: "held-\(id)", namespace: "default"),
                    spec: Coordination.V1.LeaseSpec(acquireTime: now, holderIdentity: "elsewhere", leaseDurationSeconds: 600, leaseTransitions: 0, renewTime: now)))
            let elector = LeaderElector(
                client: cluster.client,
                config: try LeaderElectionConfig(
                    leaseName: "held-\(id)", namespace: "default", identity: "me", leaseDuration: .seconds(6), renewDeadline: .seconds(4),
                    retryPeriod: .milliseconds(500)))
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            _ = try await api.create(configMap("r-\(id)", labels: ["run": id]))
            let informer = Informer(
                api: api, config: WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)"), watchTimeout: .seconds(1)),
                name: "relist-\(id)")
            let endpoint = OperatorEndpoint(host: "127.0.0.1", port: 0, readiness: [.synced(informer), .leaderElection(elector)])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await endpoint.run() }
                group.addTask { try await informer.run() }
                defer { group.cancelAll() }
                let port = try await endpoint.listeningPort()
                await informer.waitUntilSynced()
                let label = ["informer": "relist-\(id)"]
                #expect(sample(try await httpRequest(port, "/metrics").body, MetricNames.informerListRestarts, label) == nil)
                // The informer's next watch (its current one ends within a second) is answered 410 Expired.
                cluster.server.faults.expireNextWatch()
                #expect(await eventually {
                    let text = (try? await httpRequest(port, "/metrics").body) ?? ""
                    return sample(text, MetricNames.informerListRestarts, label) == 1
                })
                // The elector starts now, so that its own Lease watches do not take the expiry.
                group.addTask { try await elector.run() }
                #expect(await eventually { (try? await httpRequest(port, "/readyz").status) == 200 })
                let text = try await httpRequest(port, "/metrics").body
                #expect(sample(text, MetricNames.informerObjects, label) == 1)
                #expect(sample(text, MetricNames.leaderStatus, ["name": "held-\(id)"]) == 0)
                let list = ["verb": "list", "resource": "configmaps", "code": "200"]
                let lists = try #require(sample(text, "kube_client_requests_total", list))
                #expect(lists >= 2)
                #expect(sample(text, "kube_client_request_duration_seconds_count", list) == lists)
                #expect((sample(text, "kube_client_request_duration_seconds_sum", list) ?? 0) > 0)
            }
        }
    }

    /// A service-account token (a JWT) shows its time to expiry, for an alert before rotation fails.
    @Test func tokenTimeToExpiry() async throws {
        try await withCluster { cluster in
            let token = try await cluster.server.mintServiceAccountToken(namespace: "default", serviceAccount: "default", expirationSeconds: 3600)
            // The admin client of the same server (same `server` label) has no JWT, so this client is the gauge's only writer.
            var config = cluster.client.config
            config.credentials = .token(token)
            let client = try KubeClient(config: config, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { Task { try? await client.shutdown() } }
            let expiry = try #require(client.tokenExpiry)
            #expect(abs(expiry.timeIntervalSinceNow - 3600) < 60)
            #expect(cluster.client.tokenExpiry == nil)  // the admin token is random, not a JWT

            let endpoint = OperatorEndpoint(host: "127.0.0.1", port: 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await endpoint.run() }
                defer { group.cancelAll() }
                let port = try await endpoint.listeningPort()
                let text = try await httpRequest(port, "/metrics").body
                let seconds = try #require(sample(text, "kube_client_token_expiry_seconds", ["server": config.server]))
                #expect(seconds > 3500 && seconds <= 3600)
            }
        }
    }

    @Test func probesReportTheirChecks() async throws {
        let ready = Mutex(false)
        let endpoint = OperatorEndpoint(
            host: "127.0.0.1", port: 0, readiness: [HealthCheck("flag") { ready.withLock { $0 } }, HealthCheck("always") { true }])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await endpoint.run() }
            defer { group.cancelAll() }
            let port = try await endpoint.listeningPort()
            let health = try await httpRequest(port, "/healthz")
            #expect(health.status == 200 && health.body == "ok")
            #expect(try await httpRequest(port, "/livez").status == 200)
            let notReady = try await httpRequest(port, "/readyz")
            #expect(notReady.status == 503)
            #expect(notReady.body.contains("[-]flag failed") && notReady.body.contains("[+]always ok"))
            ready.withLock { $0 = true }
            let nowReady = try await httpRequest(port, "/readyz")
            #expect(nowReady.status == 200 && nowReady.body == "ok")
            let verbose = try await httpRequest(port, "/readyz?verbose")
            #expect(verbose.status == 200 && verbose.body.contains("[+]flag ok\n[+]always ok\n"))
            #expect(try await httpRequest(port, "/nope").status == 404)
            #expect(try await httpRequest(port, "/metrics", method: .POST).status == 405)
        }
    }

    @Test func aTakenPortFailsWithATypedError() async throws {
        let first = OperatorEndpoint(host: "127.0.0.1", port: 0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await first.run() }
            defer { group.cancelAll() }
            let port = try await first.listeningPort()
            let second = OperatorEndpoint(host: "127.0.0.1", port: port)
            let error = await #expect(throws: OperatorEndpointError.self) { try await second.run() }
            #expect(error?.code == .bindFailed && error?.address == "127.0.0.1:\(port)")
            await #expect(throws: OperatorEndpointError.self) { _ = try await second.listeningPort() }
        }
    }

    /// The ready-made checks fail until the informer synced and the elector saw its Lease.
    @Test func informerAndLeaderChecksFailUntilKnown() async throws {
        try await withCluster { cluster in
            let informer = Informer(api: Api<ConfigMap>.namespaced(cluster.client, "default"))
            let elector = LeaderElector(client: cluster.client, config: try LeaderElectionConfig(leaseName: "never-run", namespace: "default"))
            #expect(await HealthCheck.synced(informer).check() == false)
            #expect(await HealthCheck.leaderElection(elector).check() == false)
            let task = Task { try await informer.run() }
            defer { task.cancel() }
            await informer.waitUntilSynced()
            #expect(await HealthCheck.synced(informer).check() == true)
        }
    }
}

struct ReconcileFailure: Error {}
