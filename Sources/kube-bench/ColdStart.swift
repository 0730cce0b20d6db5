import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels

/// Scenario `cold-start`: `kube-bench-coldstart`, a minimal in-cluster program, exec'd with
/// a pod's environment (`KUBERNETES_SERVICE_HOST/PORT`) and the service account files the
/// test server wrote; it lists the pods of its namespace once and exits. Wall time is
/// `posix_spawn` → `wait4`; peak RSS is measured in separate interleaved runs with
/// `/usr/bin/time -f %M` (see ``ChildRun/peakRSS(_:_:environment:)``).
struct ColdStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cold-start", abstract: "exec→exit of a minimal in-cluster program that lists its namespace's pods once.")

    @Option(help: "Timed runs (after one untimed warm-up run).")
    var runs = 20

    @Option(help: "Pods seeded into the pod's namespace.")
    var pods = 10

    @Option(help: "The program to run (default: kube-bench-coldstart next to kube-bench).")
    var program: String?

    func validate() throws {
        guard runs >= 1, pods >= 0 else { throw ValidationError("--runs must be at least 1 and --pods at least 0") }
    }

    func run() async throws {
        let server = try ServerProcess(seeds: [try Self.writeRBACSeed()])
        defer { server.stop() }
        try await Self.seedPods(server, count: pods)
        let path = try program ?? Sibling.path("kube-bench-coldstart")
        var walls: [Double] = []
        var peaks: [Double] = []
        for index in 0...runs {
            let result = try ChildRun.run(path, [server.podDirectory], environment: server.podEnvironment)
            guard result.status == 0, Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) == pods else {
                throw BenchError("\(path) exited with status \(result.status), printed \(result.output)")
            }
            if index == 0 { continue }
            walls.append(result.wallMilliseconds)
            peaks.append(Double(try ChildRun.peakRSS(path, [server.podDirectory], environment: server.podEnvironment)) / 1_048_576)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print(
            JSONLine().string("scenario", "cold-start").string("client", "swift-kubernetes")
                .stats("ms", Stats(walls)).stats("peak_rss_mb", Stats(peaks)).int("pods", pods).int("runs", runs)
                .number("binary_mb", Double(size) / 1_048_576).string("program", URL(fileURLWithPath: path).lastPathComponent)
                .string("swift_runtime", StaticBuild.linking(of: path))
                .raw("machine", Machine.current().json).text)
    }

    /// A Role that may list pods in `default` and its binding to the `default` service account.
    static func writeRBACSeed() throws -> String {
        let yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: pod-reader, namespace: default}
            rules:
            - {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: pod-reader, namespace: default}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
            subjects:
            - {kind: ServiceAccount, name: default, namespace: default}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-rbac-\(UUID().uuidString).yaml")
        try Data(yaml.utf8).write(to: path)
        return path.path
    }

    static func seedPods(_ server: ServerProcess, count: Int) async throws {
        guard count > 0 else { return }
        try await withKubeClient(try server.adminConfig()) { client in
            let api = Api<Pod>.namespaced(client, "default")
            for index in 0..<count {
                _ = try await api.create(
                    Pod(metadata: ObjectMeta(name: "app-\(index)", labels: ["app": "bench"]),
                        spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:1.27", name: "app")])))
            }
        }
    }
}
