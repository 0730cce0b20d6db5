import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging

/// A KubeTestServer and an admin client for one test.
struct Cluster {
    let server: KubeTestServer
    let client: KubeClient
    let directory: URL

    static func start(_ configure: (inout KubeTestServer.Configuration) -> Void = { _ in }) async throws -> Cluster {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "test-server", factory: { _ in SwiftLogNoOpLogHandler() })
        configure(&configuration)
        let server = try await KubeTestServer.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kube-runtime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        var config = try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:])
        config.retry.maxAttempts = 20
        let client = try KubeClient(config: config, logger: Logger(label: "client", factory: { _ in SwiftLogNoOpLogHandler() }))
        return Cluster(server: server, client: client, directory: directory)
    }

    func stop() async {
        try? await client.shutdown()
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Runs `body` with a cluster that is always stopped afterwards.
func withCluster<T>(_ configure: (inout KubeTestServer.Configuration) -> Void = { _ in }, _ body: (Cluster) async throws -> T) async throws -> T {
    let cluster = try await Cluster.start(configure)
    do {
        let result = try await body(cluster)
        await cluster.stop()
        return result
    } catch {
        await cluster.stop()
        throw error
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

func configMap(_ name: String, namespace: String = "default", data: [String: String] = [:], labels: [String: String]? = nil) -> ConfigMap {
    ConfigMap(data: data, metadata: ObjectMeta(name: name, namespace: namespace, labels: labels))
}
