import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Testing

/// Examples/BackupOperator as a process against KubeTestServer over TLS (a kubeconfig): the CRD
/// it applies, the CronJob it owns and keeps in sync, the status it writes, the cleanup on
/// deletion and the schema's refusals, all asserted through the API.
@Suite("BackupOperator example against KubeTestServer", .timeLimit(.minutes(5)))
struct BackupOperatorTests {
    static let resource = ResourceDescriptor(group: "example.com", version: "v1", kind: "Backup", plural: "backups", namespaced: true)

    /// `backup-operator crd` lists the module's @CustomResource types through the
    /// CustomResourceRegistry build plugin (no hand-kept list); the server accepts what it prints.
    @Test func crdPrintsEveryCustomResourceOfTheModule() async throws {
        let process = Process()
        process.executableURL = try builtExecutable("backup-operator")
        process.arguments = ["crd", "--output", "json"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let printed = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let list = try JSONValue.read(from: printed)
        let items = list["items"]?.arrayValue ?? []
        #expect(items.map { $0["metadata"]?["name"]?.stringValue ?? "" } == ["backups.example.com"])

        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await KubeTestServer.start(configuration)
        defer { Task { await server.shutdown() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backup-crd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]))
        let crds = Api<CustomResourceDefinition>.cluster(client)
        for item in items {
            let created = try await crds.create(try CustomResourceDefinition.read(from: item.jsonBytes))
            #expect(created.spec.names.kind == "Backup" && created.spec.versions.map(\.name) == ["v1"])
        }
    }

    @Test func reconcilesBackupsIntoOwnedCronJobs() async throws {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await KubeTestServer.start(configuration)
        defer { Task { await server.shutdown() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]))
        _ = try await Api<Namespace>.cluster(client).create(Namespace(metadata: ObjectMeta(name: "backups")))

        let process = Process()
        process.executableURL = try builtExecutable("backup-operator")
        process.environment = ["KUBECONFIG": kubeconfig, "BACKUP_NAMESPACE": "backups", "METRICS_PORT": "0", "HOME": directory.path]
        let logURL = directory.appendingPathComponent("operator.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: logURL)
        process.standardError = output
        process.standardOutput = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func log() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

        // The CRD the operator applied from its Swift declaration.
        let crds = Api<CustomResourceDefinition>.cluster(client)
        let established = await poll {
            try await crds.getIfExists("backups.example.com")?.status?.conditions?.contains { $0.type == "Established" && $0.status == "True" }
                == true
        }
        try #require(established, "no Established CRD: \(log())")
        let crd = try await crds.get("backups.example.com")
        #expect(crd.spec.names.shortNames == ["bk"])
        #expect(crd.spec.versions.first?.additionalPrinterColumns?.map(\.name) == ["Schedule", "Keep", "Ready", "Age"])
        #expect(crd.spec.versions.first?.subresources?.status != nil)

        let backups = DynamicApi(client, resource: Self.resource, namespace: "backups")
        let cronJobs = Api<CronJob>.namespaced(client, "backups")
        let created = try await backups.create(Self.backup("nightly", spec: ["schedule": "0 3 * * *", "target": "data"]))
        #expect(created["spec"]?["keep"]?.intValue == 7, "keep is defaulted by the schema")

        #expect(await poll { try await cronJobs.getIfExists("nightly-backup") != nil }, "no CronJob: \(log())")
        let cronJob = try await cronJobs.get("nightly-backup")
        let owner = try #require(cronJob.metadata.ownerReferences?.first)
        #expect(owner.kind == "Backup" && owner.apiVersion == "example.com/v1" && owner.name == "nightly")
        #expect(owner.uid == created.metadata.uid && owner.controller == true)
        #expect(cronJob.spec.schedule == "0 3 * * *")
        #expect(cronJob.spec.successfulJobsHistoryLimit == 7)
        #expect(cronJob.spec.suspend == false)

        func ready(_ generation: Int64, reason: String) async -> Bool {
            await poll {
                guard let status = try await backups.getIfExists("nightly")?["status"] else { return false }
                let condition = status["conditions"]?.arrayValue?.first { $0["type"]?.stringValue == "Ready" }
                return status["observedGeneration"]?.intValue == generation && condition?["status"]?.stringValue == "True"
                    && condition?["reason"]?.stringValue == reason && condition?["observedGeneration"]?.intValue == generation
            }
        }
        #expect(await ready(1, reason: "Scheduled"), "no Ready condition for generation 1: \(log())")

        // A spec edit: generation 2, the CronJob follows, status observes it.
        var edited = try await backups.get("nightly")
        edited.fields["spec"] = ["schedule": "30 4 * * 0", "target": "data", "keep": 3, "suspend": true]
        let replaced = try await backups.replace("nightly", edited)
        #expect(replaced.metadata.generation == 2)
        #expect(await poll {
            let spec = try await cronJobs.getIfExists("nightly-backup")?.spec
            return spec?.schedule == "30 4 * * 0" && spec?.successfulJobsHistoryLimit == 3 && spec?.suspend == true
        })
        #expect(await ready(2, reason: "Suspended"))

        // The schema refuses what the declaration forbids, with kube-apiserver's messages.
        do {
            _ = try await backups.create(Self.backup("bad", spec: ["schedule": "daily", "target": "data"]))
            Issue.record("an invalid schedule was accepted")
        } catch let error as KubeError {
            #expect(error.statusCode == 422)
            #expect(error.status?.message
                == #"Backup.example.com "bad" is invalid: spec.schedule: Invalid value: "daily": spec.schedule in body should match '^[^ ]+( +[^ ]+){4}$'"#)
        }
        do {
            _ = try await backups.create(Self.backup("bad", spec: ["schedule": "0 3 * * *", "target": "data", "keep": 0]))
            Issue.record("keep 0 was accepted")
        } catch let error as KubeError {
            #expect(error.statusCode == 422)
            #expect(error.status?.message
                == #"Backup.example.com "bad" is invalid: spec.keep: Invalid value: 0: spec.keep in body should be greater than or equal to 1"#)
        }
        do {
            _ = try await backups.create(Self.backup("bad", spec: ["schedule": "0 3 * * *", "target": "-rf"]))
            Issue.record("a target starting with - was accepted")
        } catch let error as KubeError {
            #expect(error.statusCode == 422)
            #expect(error.status?.message?.hasPrefix(#"Backup.example.com "bad" is invalid: spec.target: Invalid value: "#) == true)
            #expect(error.status?.message?.hasSuffix("target must not start with '-'") == true)
        }
        #expect(try await backups.getIfExists("bad") == nil)

        // Deletion: the finalizer removes the CronJob, then the Backup goes.
        _ = try await backups.delete("nightly")
        #expect(await poll {
            let backup = try await backups.getIfExists("nightly")
            let cronJob = try await cronJobs.getIfExists("nightly-backup")
            return backup == nil && cronJob == nil
        }, "not cleaned up: \(log())")

        try await client.shutdown()
        process.terminate()
        process.waitUntilExit()
    }

    static func backup(_ name: String, spec: JSONValue) -> DynamicObject {
        DynamicObject(apiVersion: "example.com/v1", kind: "Backup", metadata: ObjectMeta(name: name), fields: ["spec": spec])
    }
}
