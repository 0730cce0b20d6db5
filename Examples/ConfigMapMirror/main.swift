// An example controller: mirrors every ConfigMap labelled `mirror.example.com/enabled=true`
// into a Secret of the same name.
//
// - The Secret is owned by its ConfigMap (an ownerReference), so events on a Secret (someone
//   edits or deletes it) bring the ConfigMap back to the reconciler, which repairs it.
// - A finalizer on the ConfigMap deletes the Secret explicitly before the ConfigMap goes
//   (a stand-in for cleaning up something outside Kubernetes).
// - Events (`events.k8s.io/v1`) on the ConfigMap say what happened.
//
// Run it in a pod (in-cluster config) or with a kubeconfig; `MIRROR_NAMESPACE` picks the
// namespace (default: the configuration's). SIGTERM/SIGINT shut it down gracefully.
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime
import Logging
import ServiceLifecycle

let enabledLabel = "mirror.example.com/enabled"
let managedLabel = "mirror.example.com/managed"
let finalizerName = "mirror.example.com/cleanup"

struct Mirror: Reconciler {
    let configMaps: Informer<ConfigMap>
    let configMapApi: Api<ConfigMap>
    let secretApi: Api<Secret>
    let events: EventRecorder
    let logger: Logger

    func reconcile(_ key: ObjectKey) async throws -> ReconcileResult {
        // Read the current state from the cache: the key says only *which* object changed.
        guard let configMap = configMaps.store.get(namespace: key.namespace, name: key.name) else { return .done }
        return try await finalize(configMap, api: configMapApi, finalizer: finalizerName) { configMap in
            try await mirror(configMap)
        } cleanup: { configMap in
            if case .deleted = try await deleteSecret(key.name) {
                await events.record(.normal, reason: "SecretDeleted", action: "Cleanup", note: "deleted the mirrored Secret", regarding: configMap)
            }
            return .done
        }
    }

    private enum Deletion { case deleted, absent }

    private func deleteSecret(_ name: String) async throws -> Deletion {
        do {
            _ = try await secretApi.delete(name)
            return .deleted
        } catch let error as KubeError where error.isNotFound {
            return .absent
        }
    }

    private func mirror(_ configMap: ConfigMap) async throws -> ReconcileResult {
        let name = configMap.metadata.name ?? ""
        let desired = (configMap.data ?? [:]).mapValues { Data($0.utf8) }
        let owner = OwnerReference(
            apiVersion: ConfigMap.apiVersion, kind: ConfigMap.kind, name: name, uid: configMap.metadata.uid ?? "", controller: true,
            blockOwnerDeletion: true)
        if var secret = try await secretApi.getIfExists(name) {
            guard secret.data != desired || secret.metadata.ownerReferences != [owner] else { return .done }
            secret.data = desired
            secret.metadata.ownerReferences = [owner]
            secret.metadata.labels = [managedLabel: "true"]
            // A stale resourceVersion fails with 409 Conflict: thrown, so the key is retried with backoff.
            _ = try await secretApi.replace(name, secret)
            await events.record(.normal, reason: "SecretUpdated", action: "Mirror", note: "updated Secret \(name)", regarding: configMap)
        } else {
            let secret = Secret(
                data: desired, metadata: ObjectMeta(name: name, labels: [managedLabel: "true"], ownerReferences: [owner]), type: "Opaque")
            _ = try await secretApi.create(secret)
            await events.record(.normal, reason: "SecretCreated", action: "Mirror", note: "created Secret \(name)", regarding: configMap)
        }
        logger.info("mirrored", metadata: ["configmap": "\(name)"])
        return .done
    }
}

@main
struct ConfigMapMirrorMain {
    static func main() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "config-map-mirror")
        logger.logLevel = .info
        let config = try ClientConfig.infer()
        let client = try KubeClient(config: config, logger: logger)
        let namespace = ProcessInfo.processInfo.environment["MIRROR_NAMESPACE"] ?? client.namespace
        let configMapApi = Api<ConfigMap>.namespaced(client, namespace)
        let secretApi = Api<Secret>.namespaced(client, namespace)
        let configMaps = Informer(api: configMapApi, config: WatcherConfig(labelSelector: try LabelSelector(parsing: "\(enabledLabel)=true")))
        let secrets = Informer(api: secretApi, config: WatcherConfig(labelSelector: try LabelSelector(parsing: "\(managedLabel)=true")))
        let events = EventRecorder(client: client, controller: "mirror.example.com/config-map-mirror", instance: LeaderElectionConfig.defaultIdentity())
        let reconciler = Mirror(configMaps: configMaps, configMapApi: configMapApi, secretApi: secretApi, events: events, logger: logger)
        let controller = Controller(primary: configMaps, reconciler: reconciler, workers: 2, logger: logger).owns(secrets)
        logger.info("mirroring ConfigMaps labelled \(enabledLabel)=true in namespace \(namespace)")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: configMaps), .init(service: secrets), .init(service: controller)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await client.shutdown()
        logger.info("stopped")
    }
}
