import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// `kube-bench list` and `watch-throughput` pointed at an API server through a kubeconfig
/// (`--kubeconfig`, `--namespace`), as a user measures their own cluster: here a KubeTestServer
/// in this process, reached only through the kubeconfig file it writes.
@Suite(.timeLimit(.minutes(5))) struct ExternalServerTests {
    /// Runs the built kube-bench without blocking a concurrency thread (the server's requests run
    /// on them); killed after `timeout`.
    func bench(_ arguments: [String], timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try DecodePodListSmokeTests.benchBinary()
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-out-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        let exited = AsyncStream<Void> { continuation in
            process.terminationHandler = { _ in continuation.finish() }
        }
        try process.run()
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        for await _ in exited {}
        watchdog.cancel()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    func withServer(_ body: (KubeTestServer, String) async throws -> Void) async throws {
        let server = try await KubeTestServer.start(KubeTestServer.Configuration())
        let kubeconfig = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-kc-\(UUID().uuidString)").path
        do {
            try server.writeAdminKubeconfig(to: kubeconfig)
            try await body(server, kubeconfig)
        } catch {
            try? FileManager.default.removeItem(atPath: kubeconfig)
            await server.shutdown()
            throw error
        }
        try? FileManager.default.removeItem(atPath: kubeconfig)
        await server.shutdown()
    }

    @Test func listAndWatchThroughAKubeconfig() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-ext-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixture = folder.appendingPathComponent("pods.json")
        try DecodePodListSmokeTests.podList(count: 7).write(to: fixture)
        try await withServer { server, kubeconfig in
            // --seed creates 30 pods from the 7 of the fixture in the namespace, then lists them.
            let list = try await bench([
                "list", "--kubeconfig", kubeconfig, "--namespace", "default", "--seed", "--fixture", fixture.path,
                "--count", "30", "--page-size", "8", "--runs", "2",
            ])
            #expect(list.status == 0, "\(list.output)")
            let line = try JSONValue.read(from: Data(list.output.utf8))
            #expect(line["scenario"] == "list")
            #expect(line["pods"]?.intValue == 30)
            #expect(line["page_size"]?.intValue == 8)
            #expect(line["compression"] == "gzip")
            #expect(line["server"]?.stringValue == "kubeconfig \(server.url) (namespace default)")
            #expect((DecodePodListSmokeTests.number(line["mallocs_per_pod_median"]) ?? 0) > 0)
            #expect((DecodePodListSmokeTests.number(line["peak_rss_mb"]) ?? 0) > 0)
            // A second run lists what is there (no new pods), without gzip.
            let again = try await bench([
                "list", "--kubeconfig", kubeconfig, "--namespace", "default", "--runs", "1", "--no-compression",
            ])
            #expect(again.status == 0, "\(again.output)")
            let second = try JSONValue.read(from: Data(again.output.utf8))
            #expect(second["pods"]?.intValue == 30)
            #expect(second["compression"] == "identity")

            let watch = try await bench(["watch-throughput", "--kubeconfig", kubeconfig, "--namespace", "default", "--events", "40", "--runs", "2"])
            #expect(watch.status == 0, "\(watch.output)")
            let figures = try JSONValue.read(from: Data(watch.output.utf8))
            #expect(figures["events"]?.intValue == 40)
            #expect((DecodePodListSmokeTests.number(figures["events_per_s_median"]) ?? 0) > 0)
            #expect(figures["server_cpu_us_per_event"] == nil)  // not known for a server it did not start
            #expect((DecodePodListSmokeTests.number(figures["mallocs_per_event_median"]) ?? 0) > 0)
            // Its ConfigMaps were deleted afterwards: only the namespace's own remains.
            let names = try await configMapNames(kubeconfig: kubeconfig)
            #expect(names == ["kube-root-ca.crt"], "\(names)")
        }
    }

    @Test func badTargetFailsCleanly() async throws {
        #expect(try await bench(["list", "--kubeconfig", "/nonexistent/kubeconfig"]).status != 0)
        #expect(try await bench(["list", "--seed"]).status != 0)  // --seed needs --kubeconfig
        #expect(try await bench(["watch-throughput", "--context", "x"]).status != 0)
    }

    /// The ConfigMap names in `default`, read through the same kubeconfig.
    func configMapNames(kubeconfig: String) async throws -> [String] {
        let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]))
        do {
            let names = try await Api<ConfigMap>.namespaced(client, "default").list().items.compactMap(\.metadata.name)
            try await client.shutdown()
            return names
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
