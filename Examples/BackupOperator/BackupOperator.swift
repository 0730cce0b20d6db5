// backup-operator: a `Backup` custom resource (declared below with @CustomResource) reconciled
// into a batch/v1 CronJob it owns.
//
// - The CRD comes from the Swift declaration and is applied (server-side apply) at start;
//   `backup-operator crd | kubectl apply -f -` prints it instead.
// - Each Backup gets a CronJob `<name>-backup` with a controller ownerReference (so the garbage
//   collector removes it, and its events bring the Backup back to the reconciler); schedule,
//   suspend and keep (→ successfulJobsHistoryLimit) are kept in sync by server-side apply.
// - A finalizer deletes the CronJob before the Backup goes, so no Job starts after deletion.
// - Status: a `Ready` condition and `observedGeneration`, written through the status subresource.
// - Leader election (Lease `backup-operator`); /metrics, /healthz and /readyz on METRICS_PORT.
//
// Environment: BACKUP_NAMESPACE (default: the configuration's), METRICS_PORT (default 8080;
// 0 picks a free one), in-cluster config or KUBECONFIG. SIGTERM/SIGINT shut it down gracefully.
import ArgumentParser
import Foundation
import KubeClient
import KubeCustomResources
import KubeModels
import KubeRuntime
import Logging
import ServiceLifecycle

// MARK: - The resource

@KubeSchema
struct BackupSpec: Codable, Sendable, Hashable {
    /// When to back up: a cron schedule of five fields.
    @Pattern("^[^ ]+( +[^ ]+){4}$") var schedule: String
    /// How many successful backup Jobs to keep.
    @Minimum(1) var keep: Int = 7
    /// The PersistentVolumeClaim to back up.
    @MinLength(1) @Validation("!self.startsWith('-')", message: "target must not start with '-'") var target: String
    /// Stops scheduling new backups (running ones finish).
    var suspend: Bool = false
}

@KubeSchema
struct BackupCondition: Codable, Sendable, Hashable {
    var type: String
    /// True, False or Unknown.
    var status: String
    var reason: String
    var message: String
    var lastTransitionTime: Time
    var observedGeneration: Int64?
}

@KubeSchema
struct BackupStatus: Codable, Sendable, Hashable {
    /// The generation the operator last acted on.
    var observedGeneration: Int64?
    var cronJob: String?
    var conditions: [BackupCondition]?
}

/// A scheduled backup of a PersistentVolumeClaim.
@CustomResource(
    group: "example.com", version: "v1", shortNames: ["bk"], status: BackupStatus.self,
    printerColumns: [
        .init(name: "Schedule", type: .string, jsonPath: ".spec.schedule"),
        .init(name: "Keep", type: .integer, jsonPath: ".spec.keep"),
        .init(name: "Ready", type: .string, jsonPath: ".status.conditions[?(@.type==\"Ready\")].status"),
        .init(name: "Age", type: .date, jsonPath: ".metadata.creationTimestamp"),
    ])
struct Backup { var spec: BackupSpec }

// MARK: - The reconciler

let finalizerName = "example.com/backup-cleanup"

struct BackupReconciler: Reconciler {
    let backups: Informer<Backup>
    let backupApi: Api<Backup>
    let cronJobApi: Api<CronJob>
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let backup = backups.store.get(namespace: key.namespace, name: key.name) else { return .done }
        return try await finalize(backup, api: backupApi, finalizer: finalizerName) { backup in
            try await sync(backup)
        } cleanup: { backup in
            do { _ = try await cronJobApi.delete(cronJobName(backup)) } catch let error as KubeError where error.isNotFound {}
            return .done
        }
    }

    func cronJobName(_ backup: Backup) -> String { "\(backup.metadata.name ?? "")-backup" }

    private func sync(_ backup: Backup) async throws -> ReconcileResult {
        let spec = backup.spec
        let container = Core.V1.Container(args: ["--pvc", spec.target], image: "registry.example.com/backup-agent:1.0", name: "backup")
        let template = Batch.V1.JobTemplateSpec(
            spec: Batch.V1.JobSpec(template: Core.V1.PodTemplateSpec(spec: Core.V1.PodSpec(containers: [container], restartPolicy: "OnFailure"))))
        var cronJob = CronJob(
            metadata: ObjectMeta(name: cronJobName(backup), namespace: backup.metadata.namespace),
            spec: Batch.V1.CronJobSpec(
                jobTemplate: template, schedule: spec.schedule, successfulJobsHistoryLimit: Int32(clamping: spec.keep), suspend: spec.suspend))
        try cronJob.metadata.setControllerReference(backup)
        // Server-side apply: only the fields above are ours, and applying the same intent is a no-op.
        _ = try await cronJobApi.apply(cronJob, force: true)

        // Status: written only when it changes, so our own status write does not loop.
        let generation = backup.metadata.generation
        var status = backup.status ?? BackupStatus()
        let previous = status.conditions?.first { $0.type == "Ready" }
        let message = spec.suspend ? "CronJob \(cronJobName(backup)) is suspended" : "CronJob \(cronJobName(backup)) is scheduled"
        let ready = BackupCondition(
            type: "Ready", status: "True", reason: spec.suspend ? "Suspended" : "Scheduled", message: message,
            lastTransitionTime: previous.flatMap { $0.status == "True" ? $0.lastTransitionTime : nil } ?? Time(Date()),
            observedGeneration: generation)
        status.observedGeneration = generation
        status.cronJob = cronJobName(backup)
        status.conditions = (status.conditions ?? []).filter { $0.type != "Ready" } + [ready]
        guard status != backup.status else { return .done }
        var updated = backup
        updated.status = status
        // A stale resourceVersion fails with 409 Conflict: thrown, so the key is retried.
        _ = try await backupApi.replaceStatus(backup.metadata.name ?? "", updated)
        logger.info("reconciled", metadata: ["backup": "\(key(backup))", "generation": "\(generation ?? 0)"])
        return .done
    }

    private func key(_ backup: Backup) -> String { "\(backup.metadata.namespace ?? "")/\(backup.metadata.name ?? "")" }
}

/// Runs `work` only while this replica holds the Lease.
struct WhileLeading: ServiceLifecycle.Service {
    let elector: LeaderElector, work: any ServiceLifecycle.Service
    func run() async throws { try await elector.run(whileLeading: { try await work.run() }) }
}

// MARK: - The executable

@main
struct BackupOperator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup-operator", abstract: "Reconciles Backups into CronJobs.", subcommands: [Run.self, CRD.self],
        defaultSubcommand: Run.self)
}

/// `backup-operator crd | kubectl apply -f -`
struct CRD: CustomResourceDefinitionsCommand {
    // Every @CustomResource type of this module (the CustomResourceRegistry build plugin).
    static let customResources = ModuleCustomResources.all
    @Option(help: "yaml or json") var output = CustomResourceDefinitionsOutput.yaml
}

struct NotEstablished: Error, CustomStringConvertible {
    var description: String { "CRD \(Backup.customResourceDefinitionName) is not Established after 30 s" }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the CRD and run the controller.")

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "backup-operator")
        logger.logLevel = .info
        let environment = ProcessInfo.processInfo.environment
        let client = try KubeClient(config: try ClientConfig.infer(), logger: logger)
        let namespace = environment["BACKUP_NAMESPACE"] ?? client.namespace

        // The CRD from the Swift declaration; informers need it Established.
        let crds = Api<CustomResourceDefinition>.cluster(client)
        _ = try await crds.apply(Backup.customResourceDefinition, force: true)
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while try await crds.get(Backup.customResourceDefinitionName).status?.conditions?
            .contains(where: { $0.type == "Established" && $0.status == "True" }) != true
        {
            guard clock.now < deadline else { throw NotEstablished() }
            try await Task.sleep(for: .milliseconds(200))
        }

        let backupApi = Api<Backup>.namespaced(client, namespace)
        let cronJobApi = Api<CronJob>.namespaced(client, namespace)
        let backups = Informer(api: backupApi)
        let cronJobs = Informer(api: cronJobApi, transform: Informer.stripManagedFields)
        let reconciler = BackupReconciler(backups: backups, backupApi: backupApi, cronJobApi: cronJobApi, logger: logger)
        let controller = Controller(primary: backups, reconciler: reconciler, logger: logger).owns(cronJobs)
        let elector = LeaderElector(client: client, config: try LeaderElectionConfig(leaseName: "backup-operator", namespace: namespace))
        let endpoint = OperatorEndpoint(
            port: Int(environment["METRICS_PORT"] ?? "") ?? 8080,
            readiness: [.synced(backups), .synced(cronJobs), .leaderElection(elector)], logger: logger)
        let announce = Task {
            let port = try await endpoint.listeningPort()
            logger.info("backup-operator in namespace \(namespace), metrics and probes on port \(port)")
        }
        let group = ServiceGroup(
            services: [backups, cronJobs, endpoint, WhileLeading(elector: elector, work: controller)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        _ = await announce.result
        try await client.shutdown()
    }
}
