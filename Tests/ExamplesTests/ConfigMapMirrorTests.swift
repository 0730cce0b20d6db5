import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Testing

/// The path of an executable built next to the test bundle (`swift build --build-tests` builds every product).
func builtExecutable(_ name: String) throws -> URL {
    var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
    if let bundle = Bundle.main.executableURL?.deletingLastPathComponent() { candidates.append(bundle) }
    candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized)
    for directory in candidates {
        var url = directory
        // The .xctest bundle may sit one or more levels below the build folder.
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            url = url.deletingLastPathComponent()
        }
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
}

@Suite("Examples run against KubeTestServer", .timeLimit(.minutes(5)))
struct ConfigMapMirrorTests {
    @Test func mirrorsConfigMapsIntoOwnedSecretsAndCleansUp() async throws {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await KubeTestServer.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mirror-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]))
        _ = try await Api<Namespace>.cluster(client).create(Namespace(metadata: ObjectMeta(name: "mirror")))

        let process = Process()
        process.executableURL = try builtExecutable("config-map-mirror")
        process.environment = ["KUBECONFIG": kubeconfig, "MIRROR_NAMESPACE": "mirror", "HOME": directory.path]
        // A file, not a pipe: a pipe nobody drains would block the child once it fills.
        let logURL = directory.appendingPathComponent("mirror.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: logURL)
        process.standardError = output
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let configMaps = Api<ConfigMap>.namespaced(client, "mirror")
        let secrets = Api<Secret>.namespaced(client, "mirror")
        let labels = ["mirror.example.com/enabled": "true"]
        _ = try await configMaps.create(ConfigMap(data: ["greeting": "hello"], metadata: ObjectMeta(name: "app", labels: labels)))
        _ = try await configMaps.create(ConfigMap(data: ["x": "y"], metadata: ObjectMeta(name: "unlabelled")))

        func secretData(_ name: String) async throws -> [String: Data]? { try await secrets.getIfExists(name)?.data }
        #expect(await poll { try await secretData("app") == ["greeting": Data("hello".utf8)] })
        let secret = try await secrets.get("app")
        let owner = try await configMaps.get("app")
        #expect(secret.metadata.ownerReferences?.first?.uid == owner.metadata.uid)
        #expect(owner.metadata.finalizers == ["mirror.example.com/cleanup"])

        // An update flows through; a hand-edited Secret is repaired (owned-object events).
        _ = try await configMaps.patch("app", .merge(["data": ["greeting": "bonjour"]]))
        #expect(await poll { try await secretData("app") == ["greeting": Data("bonjour".utf8)] })
        _ = try await secrets.patch("app", .merge(["data": ["greeting": .string(Data("tampered".utf8).base64EncodedString())]]))
        #expect(await poll { try await secretData("app") == ["greeting": Data("bonjour".utf8)] })

        // Deleting the ConfigMap runs the finalizer's cleanup, which deletes the Secret, then the ConfigMap goes.
        _ = try await configMaps.delete("app")
        #expect(
            await poll {
                let secret = try await secrets.getIfExists("app")
                let configMap = try await configMaps.getIfExists("app")
                return secret == nil && configMap == nil
            })
        #expect(try await secrets.getIfExists("unlabelled") == nil)

        // Events were recorded on the ConfigMap.
        let events = try await Api<Events.V1.Event>.namespaced(client, "mirror").list()
        let reasons = Set(events.items.compactMap(\.reason))
        #expect(reasons.isSuperset(of: ["SecretCreated", "SecretUpdated", "SecretDeleted"]), "events: \(reasons)")

        // SIGTERM: graceful shutdown, exit 0 (within 10 s, else the test fails instead of hanging).
        process.terminate()
        let exited = await poll { !process.isRunning }
        if !exited { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        #expect(exited, "the example did not stop on SIGTERM; log:\n\(log)")
        #expect(process.terminationStatus == 0, "log:\n\(log)")
        #expect(log.contains("stopped"))
        try await client.shutdown()
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Polls until `condition` holds (20 s at most).
func poll(_ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(20)
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(100))
    }
    return false
}
