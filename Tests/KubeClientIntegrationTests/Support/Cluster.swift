import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Synchronization

/// One `KubeTestServer` for one test, its files in a temporary directory, and clients that
/// reach it only through the real configuration paths: the admin kubeconfig the server
/// writes (token or client certificate) and a pod's service account filesystem read by
/// `ClientConfig.inCluster`. Every client trusts only the server's generated CA.
///
/// ``run(_:_:)`` shuts every client and the server down and deletes the directory, whether
/// the body returns or throws.
final class Cluster: Sendable {
    let server: KubeTestServer
    let directory: String
    /// The admin through `ClientConfig.kubeconfig(paths:)` with the written token kubeconfig.
    let admin: KubeClient
    private let clients = Mutex<[KubeClient]>([])

    private init(server: KubeTestServer, directory: String) throws {
        self.server = server
        self.directory = directory
        let path = directory + "/admin.kubeconfig"
        try server.writeAdminKubeconfig(to: path)
        let config = try ClientConfig.kubeconfig(paths: [path], environment: [:])
        admin = try KubeClient(config: config, logger: Self.quietLogger("admin"))
        clients.withLock { $0.append(admin) }
    }

    static func run<R: Sendable>(
        _ configure: (inout KubeTestServer.Configuration) -> Void = { _ in }, _ body: (Cluster) async throws -> R
    ) async throws -> R {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = quietLogger("kube-test-server")
        configure(&configuration)
        let server = try await KubeTestServer.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-integration-\(UUID().uuidString)").path
        let cluster: Cluster
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            cluster = try Cluster(server: server, directory: directory)
        } catch {
            await server.shutdown()
            throw error
        }
        let result: R
        do {
            result = try await body(cluster)
        } catch {
            await cluster.tearDown()
            throw error
        }
        await cluster.tearDown()
        return result
    }

    private func tearDown() async {
        for client in clients.withLock({ $0 }) { try? await client.shutdown() }
        await server.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Swift-log's default handler at `warning`: the tests' output stays readable.
    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = .warning
        return logger
    }

    /// The admin kubeconfig written by the server and read back by the client's kubeconfig loader.
    func adminConfig(clientCertificate: Bool = false) throws -> ClientConfig {
        let path = directory + "/admin-\(clientCertificate ? "cert" : "token")-\(UUID().uuidString.prefix(8)).kubeconfig"
        try server.writeAdminKubeconfig(to: path, clientCertificate: clientCertificate)
        return try ClientConfig.kubeconfig(paths: [path], environment: [:])
    }

    /// A client for `config`, shut down with the cluster.
    func client(_ config: ClientConfig, logger: Logger? = nil) throws -> KubeClient {
        let client = try KubeClient(config: config, logger: logger ?? Self.quietLogger("client"))
        clients.withLock { $0.append(client) }
        return client
    }

    /// Creates the service account (unless it already exists) and writes its projected volume.
    func podFilesystem(serviceAccount: String = "default", namespace: String = "default", tokenExpirationSeconds: Int = 3600) async throws
        -> PodFilesystem
    {
        let accounts = Api<ServiceAccount>.namespaced(admin, namespace)
        if try await accounts.getIfExists(serviceAccount) == nil {
            _ = try await accounts.create(ServiceAccount(metadata: ObjectMeta(name: serviceAccount)))
        }
        let podDirectory = directory + "/pods/\(namespace)-\(serviceAccount)-\(UUID().uuidString.prefix(8))"
        return try await server.writePodFilesystem(
            namespace: namespace, serviceAccount: serviceAccount, directory: podDirectory, tokenExpirationSeconds: tokenExpirationSeconds)
    }

    /// The pod's configuration through `ClientConfig.inCluster` (its env and its service account directory).
    func inClusterConfig(_ pod: PodFilesystem) throws -> ClientConfig {
        try ClientConfig.inCluster(environment: pod.environment, serviceAccountDirectory: pod.directory)
    }

    /// Grants `verbs` on `resources` in the pod's namespace to its service account (Role + RoleBinding).
    func grant(_ pod: PodFilesystem, verbs: [String], resources: [String], apiGroups: [String] = [""]) async throws {
        let name = "grant-\(UUID().uuidString.prefix(8).lowercased())"
        _ = try await Api<Role>.namespaced(admin, pod.namespace).create(
            Role(metadata: ObjectMeta(name: name), rules: [RBAC.V1.PolicyRule(apiGroups: apiGroups, resources: resources, verbs: verbs)]))
        _ = try await Api<RoleBinding>.namespaced(admin, pod.namespace).create(
            RoleBinding(
                metadata: ObjectMeta(name: name), roleRef: RBAC.V1.RoleRef(apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: name),
                subjects: [RBAC.V1.Subject(kind: "ServiceAccount", name: pod.serviceAccount, namespace: pod.namespace)]))
    }
}

/// Fails with `DeadlineExceeded` when `body` takes longer than `seconds` (a hang becomes a test failure, not a stuck run).
func withDeadline<R: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> R) async throws -> R {
    try await withThrowingTaskGroup(of: R?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw DeadlineExceeded(seconds: seconds) }
        return result
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "did not finish within \(seconds) s" }
}

/// Polls `condition` every 20 ms until it holds (or fails after `seconds`).
func waitUntil(_ seconds: Double = 10, _ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw WaitFailed(what: what)
}

struct WaitFailed: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

func configMap(_ name: String, labels: [String: String]? = nil, data: [String: String]? = nil) -> ConfigMap {
    ConfigMap(data: data, metadata: ObjectMeta(name: name, labels: labels))
}

/// A value shared between tasks of a test (`Mutex` cannot be captured by an escaping closure).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
