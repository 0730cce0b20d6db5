import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime
import KubeTestServer

/// `kubeprobe demo`: a whole in-cluster session against an embedded API server on
/// loopback, as a service account through the in-cluster code path, explained step by step.
///
/// It starts `KubeTestServer`, creates namespace `demo` with service account `app` and a
/// Role that allows reading ConfigMaps and Pods and managing Leases (and nothing else),
/// writes the Pod's service account volume and environment, then runs `check`, a list,
/// a live watch that survives a token rotation, and a leader election hand-over. Every
/// temporary file is removed and the server shut down, whatever happens.
struct Demo: Sendable {
    let console: Console
    static let namespace = "demo"
    static let serviceAccount = "app"

    func run() async throws {
        let started = ContinuousClock.now
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kubeprobe-demo-\(UUID().uuidString.prefix(8))").path
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw ProbeError(.fileSystem, "cannot create \(root): \(error.localizedDescription)")
        }
        var configuration = KubeTestServer.Configuration()
        configuration.bookmarkInterval = .seconds(1)
        configuration.logger.logLevel = .critical
        let server = try await KubeTestServer.start(configuration)
        do {
            try await session(server: server, root: root)
        } catch {
            await server.shutdown()
            try? FileManager.default.removeItem(atPath: root)
            throw error
        }
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: root)
        say("Cleaned up: the server is shut down and \(root) is removed.")
        console.line(console.styled(String(format: "Demo finished in %.1f s.", (ContinuousClock.now - started).milliseconds / 1000), .green))
    }

    func say(_ text: String) {
        console.line()
        console.line(console.styled("▶ ", .cyan) + console.styled(text, .bold))
    }

    func session(server: KubeTestServer, root: String) async throws {
        say("Started an embedded Kubernetes API server on \(server.url) (loopback only, its own CA).")
        let adminConfig = ClientConfig(
            server: server.url, namespace: Self.namespace, tls: .init(certificateAuthority: .pem(server.caCertificatePEM)),
            credentials: .token(server.adminToken))
        try await withKubeClient(adminConfig, logger: ProbeSettings().logger()) { admin in
            try await session(server: server, root: root, admin: admin)
        }
    }

    func session(server: KubeTestServer, root: String, admin: KubeClient) async throws {
        try await seed(server: server)
        say("As the admin: created namespace \(Self.namespace), service account \(Self.serviceAccount), and a Role that allows get/list/watch on configmaps and pods and get/create/update/watch on leases in \(Self.namespace) — nothing else.")

        let pod = try await server.writePodFilesystem(namespace: Self.namespace, serviceAccount: Self.serviceAccount, directory: root + "/serviceaccount")
        var environment = pod.environment
        environment["KUBEPROBE_SERVICEACCOUNT_DIR"] = pod.directory
        environment["HOME"] = root
        say("Wrote the Pod's view: a projected token volume in \(pod.directory) (..data symlink, token, ca.crt, namespace) and the env vars the kubelet sets (KUBERNETES_SERVICE_HOST=\(pod.environment["KUBERNETES_SERVICE_HOST"] ?? ""), KUBERNETES_SERVICE_PORT=\(pod.environment["KUBERNETES_SERVICE_PORT"] ?? "")).")
        let settings = ProbeSettings(environment: environment, forceInCluster: true)

        say("kubeprobe check, as system:serviceaccount:\(Self.namespace):\(Self.serviceAccount), through ClientConfig.inCluster — the same path an app in a Pod takes. It asks for four permissions; the Role grants two, so step 8 prints the Role and RoleBinding to apply for exactly the other two. DNS is a warning here: this machine is not a Pod, and the client correctly uses the env vars instead.")
        console.line()
        let needs = ["list pods", "watch configmaps", "update leases -n kube-system", "list secrets"]
        _ = await CheckCommand.run(options: CheckOptions(settings: settings, needs: needs, stepTimeout: .seconds(5)), console: console, format: .text)

        try await withKubeClient(try settings.clientConfig(), logger: settings.logger()) { client in
            try await asServiceAccount(Kubectl(client: client, console: console), server: server, pod: pod, admin: admin, settings: settings)
        }
    }

    func asServiceAccount(_ kubectl: Kubectl, server: KubeTestServer, pod: PodFilesystem, admin: KubeClient, settings: ProbeSettings) async throws {

        say("kubeprobe get configmaps, as the service account (allowed by the Role):")
        try await kubectl.get(resource: "configmaps", name: nil, namespace: nil, allNamespaces: false, selector: nil, format: .table)
        say("kubeprobe get secrets (the Role does not allow it):")
        do {
            try await kubectl.get(resource: "secrets", name: nil, namespace: nil, allNamespaces: false, selector: nil, format: .table)
        } catch let error as KubeError where error.isForbidden {
            console.line("Error from server (Forbidden): \(error.message)")
        }

        try await watchWithRotation(server: server, pod: pod, admin: admin, kubectl: kubectl)
        try await leaderElection(settings: settings, kubectl: kubectl)
    }

    /// Namespace, service account, Role + RoleBinding, and a few ConfigMaps.
    func seed(server: KubeTestServer) async throws {
        let ns = Self.namespace
        let objects: [JSONValue] = [
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]],
            ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(Self.serviceAccount), "namespace": .string(ns)]],
            ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": ["name": "app", "namespace": .string(ns)],
             "rules": [
                ["apiGroups": [""], "resources": ["configmaps", "pods"], "verbs": ["get", "list", "watch"]],
                ["apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update", "watch"]],
             ]],
            ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "app", "namespace": .string(ns)],
             "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app"],
             "subjects": [["kind": "ServiceAccount", "name": .string(Self.serviceAccount), "namespace": .string(ns)]]],
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "app-config", "namespace": .string(ns), "labels": ["app": "web"]],
             "data": ["LOG_LEVEL": "info", "REPLICAS": "2"]],
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "feature-flags", "namespace": .string(ns)], "data": ["beta": "false"]],
            ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": "db-password", "namespace": .string(ns)], "stringData": ["password": "hunter2"]],
        ]
        for object in objects {
            try await server.apply(json: try JSONEncoder().encode(object))
        }
    }

    /// A watch printing live changes while the demo edits ConfigMaps as the admin, with a
    /// token rotation in the middle: the old token is revoked, the kubelet-style volume gets
    /// a new one, and every watch connection is cut. The watch resumes from its last
    /// resourceVersion with the new token (a 401 makes the client re-read the file at once).
    func watchWithRotation(server: KubeTestServer, pod: PodFilesystem, admin: KubeClient, kubectl: Kubectl) async throws {
        say("kubeprobe watch configmaps: current objects first, then live changes the demo makes as the admin. Midway the token is rotated: the old one is revoked and the connection cut.")
        let configMaps = Api<Core.V1.ConfigMap>.namespaced(admin, Self.namespace)
        let expectedChanges = 4
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let request = WatchRequest(resource: "configmaps", format: .table, duration: .seconds(10), maxEvents: expectedChanges)
                try await kubectl.watch(request) { note in
                    console.line(console.styled("  ↻ \(note)", .yellow))
                }
            }
            group.addTask {
                // Give the watch its list and connection before changing things.
                try await Task.sleep(for: .milliseconds(400))
                _ = try await configMaps.create(Core.V1.ConfigMap(data: ["color": "blue"], metadata: ObjectMeta(name: "live-1")))
                try await Task.sleep(for: .milliseconds(200))
                var flags = try await configMaps.get("feature-flags")
                flags.data?["beta"] = "true"
                _ = try await configMaps.replace("feature-flags", flags)
                try await Task.sleep(for: .milliseconds(300))
                await server.faults.expireAllTokens()
                try await server.rotateToken(pod)
                await server.faults.dropAllWatches()
                console.line(console.styled("  ⟳ token rotated: old token revoked (401 from now on), new token written via ..data, watch connection cut", .cyan))
                try await Task.sleep(for: .milliseconds(600))
                _ = try await configMaps.create(Core.V1.ConfigMap(data: ["color": "green"], metadata: ObjectMeta(name: "live-2")))
                try await Task.sleep(for: .milliseconds(200))
                _ = try await configMaps.delete("live-1")
            }
            try await group.waitForAll()
        }
        console.line("  The watch saw every change, before and after the rotation: it resumed from its last resourceVersion, and the client, refused with 401, re-read the rotated token file at once and retried. No event lost, no restart.")
    }

    /// Two replicas of the app, each with its own client (the same service account), elect a
    /// leader through a Lease; the leader stops gracefully, releases the Lease, and the other
    /// replica takes over at once (it watches the Lease) instead of waiting out the lease.
    func leaderElection(settings: ProbeSettings, kubectl: Kubectl) async throws {
        say("Leader election: two replicas (app-0, app-1) campaign for Lease \(Self.namespace)/app-leader with KubeRuntime's LeaderElector (lease 3 s, renew deadline 2 s, retry 0.5 s).")
        let config = try settings.clientConfig()
        let clients = try (0..<2).map { _ in try KubeClient(config: config, logger: settings.logger()) }
        do {
            try await handOver(clients: clients, kubectl: kubectl)
        } catch {
            for client in clients { try? await client.shutdown() }
            throw error
        }
        for client in clients { try? await client.shutdown() }
    }

    func handOver(clients: [KubeClient], kubectl: Kubectl) async throws {
        let electors = try (0..<2).map { index in
            LeaderElector(client: clients[index], config: try LeaderElectionConfig(
                leaseName: "app-leader", namespace: Self.namespace, identity: "app-\(index)", leaseDuration: .seconds(3),
                renewDeadline: .seconds(2), retryPeriod: .milliseconds(500), releaseOnCancel: true))
        }
        let started = ContinuousClock.now
        func elapsed() -> String { String(format: "%5.2f s", (ContinuousClock.now - started).milliseconds / 1000) }

        let first = Task { try await electors[0].run() }
        guard await waitForLeadership(electors[0], timeout: .seconds(5)) else {
            first.cancel()
            throw ProbeError(.failed, "app-0 did not become the leader within 5 s")
        }
        console.line("  \(elapsed())  app-0 is the leader")
        let second = Task { try await electors[1].run() }
        try await Task.sleep(for: .milliseconds(800))
        console.line("  \(elapsed())  app-1 is a candidate, leader: \(electors[1].isLeader ? "app-1 (unexpected)" : "still app-0")")
        let lease = try await Api<Coordination.V1.Lease>.namespaced(kubectl.client, Self.namespace).get("app-leader")
        console.line("  \(elapsed())  kubeprobe get lease app-leader → holder \(lease.spec?.holderIdentity ?? "none")")

        console.line("  \(elapsed())  app-0 shuts down gracefully and releases the Lease")
        let stoppedAt = ContinuousClock.now
        first.cancel()
        _ = try? await first.value
        let tookOver = await waitForLeadership(electors[1], timeout: .seconds(6))
        let handOver = ContinuousClock.now - stoppedAt
        second.cancel()
        _ = try? await second.value
        guard tookOver else { throw ProbeError(.failed, "app-1 did not take over within 6 s") }
        console.line("  \(elapsed())  app-1 is the leader — hand-over took \(String(format: "%.0f ms", handOver.milliseconds)) (without the release it would wait out the 3 s lease)")
    }

    func waitForLeadership(_ elector: LeaderElector, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if elector.isLeader { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return elector.isLeader
    }
}
