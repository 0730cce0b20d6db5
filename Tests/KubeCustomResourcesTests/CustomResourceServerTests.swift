import Foundation
import KubeClient
import KubeCore
import KubeCustomResources
import KubeModels
import KubeTestServer
import Logging
import Testing

@Suite("Generated CRDs in KubeTestServer over TLS", .timeLimit(.minutes(2)))
struct CustomResourceServerTests {
    func withServer(_ body: (KubeClient) async throws -> Void) async throws {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "test-server", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await KubeTestServer.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crd-macro-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let client = try KubeClient(
            config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]),
            logger: Logger(label: "client", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            try await body(client)
        } catch {
            try? await client.shutdown()
            await server.shutdown()
            throw error
        }
        try? await client.shutdown()
        await server.shutdown()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test func theServerAcceptsTheCRDValidObjectsAndDefaults() async throws {
        try await withServer { client in
            let crds = Api<CustomResourceDefinition>.cluster(client)
            let created = try await crds.create(Backup.customResourceDefinition)
            #expect(created.metadata.name == "backups.backup.example.com")
            for crd in try CustomResourceDefinitions.definitions(for: [StoragePolicyV1alpha1.self, StoragePolicyV1.self, Box.self]) {
                _ = try await crds.create(crd)
            }
            let backups = Api<Backup>.namespaced(client, "default")
            var backup = Backup(metadata: ObjectMeta(name: "nightly"), spec: BackupSpec(schedule: "0 3 * * *"))
            backup.spec.retries = nil
            backup.spec.target = Target(bucket: "db-dumps")
            let stored = try await backups.create(backup)
            // Left out by the client, filled in by the schema's default.
            #expect(stored.spec.retries == 3)
            #expect(stored.spec.keep == 7)
            #expect(stored.spec.target == Target(bucket: "db-dumps"))
            #expect(stored.metadata.generation == 1)
            let read = try await backups.get("nightly")
            #expect(read.spec == stored.spec)
        }
    }

    @Test func invalidObjectsAreRefusedWithTheSchemasMessages() async throws {
        try await withServer { client in
            _ = try await Api<CustomResourceDefinition>.cluster(client).create(Backup.customResourceDefinition)
            let backups = Api<Backup>.namespaced(client, "default")
            var backup = Backup(metadata: ObjectMeta(name: "bad"), spec: BackupSpec(schedule: "0 3 * * *"))
            backup.spec.keep = 0
            backup.spec.minKeep = 0  // so that only the bound fails, not the CEL rule too
            do {
                _ = try await backups.create(backup)
                Issue.record("keep 0 was accepted")
            } catch let error as KubeError {
                #expect(error.statusCode == 422)
                #expect(error.status?.message
                    == #"Backup.backup.example.com "bad" is invalid: spec.keep: Invalid value: 0: spec.keep in body should be greater than or equal to 1"#)
            }
            backup.spec.keep = 3
            backup.spec.minKeep = 5
            do {
                _ = try await backups.create(backup)
                Issue.record("keep < minKeep was accepted")
            } catch let error as KubeError {
                #expect(error.statusCode == 422)
                #expect(error.status?.message?.contains("keep must be at least minKeep") == true)
                #expect(error.status?.message?.hasPrefix(#"Backup.backup.example.com "bad" is invalid: spec.keep"#) == true)
            }
            backup.spec.minKeep = 1
            backup.spec.target = Target(bucket: "UP")
            do {
                _ = try await backups.create(backup)
                Issue.record("an invalid bucket was accepted")
            } catch let error as KubeError {
                #expect(error.statusCode == 422)
                #expect(error.status?.message?.contains("spec.target.bucket") == true)
            }
            // Transition rule: region is immutable once set.
            backup.spec.target = nil
            backup.spec.region = "eu"
            let created = try await backups.create(backup)
            var moved = created
            moved.spec.region = "us"
            do {
                _ = try await backups.replace("bad", moved)
                Issue.record("a region change was accepted")
            } catch let error as KubeError {
                #expect(error.statusCode == 422)
                #expect(error.status?.message == #"Backup.backup.example.com "bad" is invalid: spec.region: Invalid value: "us": region is immutable"#)
            }
        }
    }
}
