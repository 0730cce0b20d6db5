import Foundation
import KubeClient
@testable import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Synchronization
import Testing

@testable import KubeRuntime

@Suite("Operator toolkit: predicates, ownership, apply, metadata-only informers", .timeLimit(.minutes(3)))
struct OperatorToolkitTests {
    // MARK: predicates

    private func cm(_ name: String, generation: Int64? = nil, labels: [String: String]? = nil, annotations: [String: String]? = nil, rv: String = "1")
        -> ConfigMap
    {
        ConfigMap(metadata: ObjectMeta(name: name, resourceVersion: rv, generation: generation, labels: labels, annotations: annotations))
    }

    @Test func readyMadePredicatesFilterUpdatesOnly() {
        let generation = ChangePredicate<ConfigMap>.generationChanged
        #expect(generation.evaluate(.added(cm("a"))))
        #expect(generation.evaluate(.deleted(cm("a"))))
        #expect(!generation.evaluate(.modified(old: cm("a", generation: 1), new: cm("a", generation: 1, labels: ["x": "y"], rv: "2"))))
        #expect(generation.evaluate(.modified(old: cm("a", generation: 1), new: cm("a", generation: 2, rv: "2"))))
        let labels = ChangePredicate<ConfigMap>.labelsChanged
        #expect(!labels.evaluate(.modified(old: cm("a", labels: ["x": "1"]), new: cm("a", labels: ["x": "1"], rv: "2"))))
        #expect(labels.evaluate(.modified(old: cm("a", labels: ["x": "1"]), new: cm("a", labels: ["x": "2"], rv: "2"))))
        #expect(!labels.evaluate(.modified(old: cm("a"), new: cm("a", labels: [:], rv: "2"))))  // absent and empty are the same
        let annotations = ChangePredicate<ConfigMap>.annotationsChanged
        #expect(annotations.evaluate(.modified(old: cm("a"), new: cm("a", annotations: ["n": "v"], rv: "2"))))
        #expect(!annotations.evaluate(.modified(old: cm("a"), new: cm("a", labels: ["n": "v"], rv: "2"))))
        let version = ChangePredicate<ConfigMap>.resourceVersionChanged
        #expect(!version.evaluate(.modified(old: cm("a"), new: cm("a"))))
        #expect(version.evaluate(.modified(old: cm("a"), new: cm("a", rv: "2"))))
        let either = ChangePredicate<ConfigMap>.any(.generationChanged, .labelsChanged)
        #expect(either.evaluate(.modified(old: cm("a", generation: 1), new: cm("a", generation: 1, labels: ["x": "y"], rv: "2"))))
        #expect(!either.evaluate(.modified(old: cm("a", generation: 1), new: cm("a", generation: 1, annotations: ["x": "y"], rv: "2"))))
        let custom = ChangePredicate<ConfigMap> { $0.object.metadata.name?.hasPrefix("keep") ?? false }
        #expect(custom.evaluate(.added(cm("keep-1"))) && !custom.evaluate(.added(cm("drop-1"))))
        #expect(ChangePredicate.all([generation, custom], .added(cm("keep-2"))))
        #expect(!ChangePredicate.all([generation, custom], .added(cm("drop-2"))))
    }

    /// Over the wire: a labels predicate on the primary ignores a data change and reconciles a
    /// label change; an owned Secret reconciles its controller, a non-controller owner never.
    @Test func predicatesAndControllerOwnersDecideWhatReconciles() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let configMaps = Api<ConfigMap>.namespaced(cluster.client, "default")
            let secrets = Api<Secret>.namespaced(cluster.client, "default")
            let owner = try await configMaps.create(configMap("owner-\(id)", data: ["k": "v"], labels: ["run": id]))
            let other = try await configMaps.create(configMap("other-\(id)", labels: ["run": id]))
            var controlled = Secret(metadata: ObjectMeta(name: "controlled-\(id)", namespace: "default", labels: ["run": id]))
            try controlled.metadata.setControllerReference(owner)
            var merelyOwned = Secret(metadata: ObjectMeta(name: "owned-\(id)", namespace: "default", labels: ["run": id]))
            try merelyOwned.metadata.setOwnerReference(other)
            _ = try await secrets.create(controlled)
            _ = try await secrets.create(merelyOwned)

            let selector = WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)"))
            let primary = Informer(api: configMaps, config: selector)
            let owned = Informer(api: secrets, config: selector)
            let counts = Mutex<[String: Int]>([:])
            let controller = Controller(
                primary: primary, reconciler: ReconcileFunction { key in counts.withLock { $0[key.name, default: 0] += 1 }; return .done },
                predicates: [.labelsChanged]
            ).owns(owned)
            func count(_ name: String) -> Int { counts.withLock { $0[name, default: 0] } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await primary.run() }
                group.addTask { try await owned.run() }
                group.addTask { try await controller.run() }
                defer { group.cancelAll() }
                // Start: each primary once from its added event, the owner once more for its controlled Secret (stingy queue may merge).
                #expect(await eventually { count("owner-\(id)") >= 1 && count("other-\(id)") >= 1 })
                try await Task.sleep(for: .milliseconds(500))
                let settled = (owner: count("owner-\(id)"), other: count("other-\(id)"))

                var changed = try await configMaps.get("other-\(id)")
                changed.data = ["new": "data"]
                _ = try await configMaps.replace("other-\(id)", changed)  // data only: filtered out
                var otherSecret = try await secrets.get("owned-\(id)")
                otherSecret.stringData = ["x": "y"]
                _ = try await secrets.replace("owned-\(id)", otherSecret)  // not its controller: ignored
                try await Task.sleep(for: .milliseconds(700))
                #expect(count("other-\(id)") == settled.other)

                changed = try await configMaps.get("other-\(id)")
                changed.metadata.labels?["tier"] = "gold"
                _ = try await configMaps.replace("other-\(id)", changed)
                #expect(await eventually { count("other-\(id)") == settled.other + 1 })

                var secret = try await secrets.get("controlled-\(id)")
                secret.stringData = ["x": "y"]
                _ = try await secrets.replace("controlled-\(id)", secret)
                #expect(await eventually { count("owner-\(id)") == settled.owner + 1 })
            }
        }
    }

    /// Over the wire: `.generationChanged` ignores a status write and a label change (no new
    /// generation) and reconciles a spec change; `.annotationsChanged` an annotation change; a
    /// user predicate decides by name.
    @Test func generationAnnotationAndUserPredicatesOverTheWire() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let deployments = Api<Deployment>.namespaced(cluster.client, "default")
            var web = Deployment(
                metadata: ObjectMeta(name: "web-\(id)", labels: ["run": id]),
                spec: Apps.V1.DeploymentSpec(
                    replicas: 1, selector: Meta.V1.LabelSelector(matchLabels: ["app": id]),
                    template: Core.V1.PodTemplateSpec(
                        metadata: ObjectMeta(labels: ["app": id]), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:1.27", name: "web")]))))
            web = try await deployments.create(web)
            let configMaps = Api<ConfigMap>.namespaced(cluster.client, "default")
            for name in ["keep-\(id)", "drop-\(id)"] { _ = try await configMaps.create(configMap(name, labels: ["run": id])) }

            let selector = WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)"))
            let deploymentInformer = Informer(api: deployments, config: selector)
            let configMapInformer = Informer(api: configMaps, config: selector)
            let counts = Mutex<[String: Int]>([:])
            let count = ReconcileFunction { key in counts.withLock { $0[key.name, default: 0] += 1 }; return .done }
            let byGeneration = Controller(primary: deploymentInformer, reconciler: count, predicates: [.any(.generationChanged, .annotationsChanged)])
            let byName = Controller(
                primary: configMapInformer, reconciler: count,
                predicates: [ChangePredicate { $0.object.metadata.name?.hasPrefix("keep") ?? false }])
            func reconciles(_ name: String) -> Int { counts.withLock { $0[name, default: 0] } }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await deploymentInformer.run() }
                group.addTask { try await configMapInformer.run() }
                group.addTask { try await byGeneration.run() }
                group.addTask { try await byName.run() }
                defer { group.cancelAll() }
                #expect(await eventually { reconciles("web-\(id)") == 1 && reconciles("keep-\(id)") == 1 })

                var status = try await deployments.get("web-\(id)")
                status.status = Apps.V1.DeploymentStatus(observedGeneration: 1, replicas: 1)
                _ = try await deployments.replaceStatus("web-\(id)", status)
                var relabelled = try await deployments.get("web-\(id)")
                relabelled.metadata.labels?["tier"] = "gold"
                relabelled = try await deployments.replace("web-\(id)", relabelled)
                #expect(relabelled.metadata.generation == 1)
                var data = try await configMaps.get("drop-\(id)")
                data.data = ["new": "data"]
                _ = try await configMaps.replace("drop-\(id)", data)
                try await Task.sleep(for: .milliseconds(700))
                #expect(reconciles("web-\(id)") == 1)
                #expect(reconciles("drop-\(id)") == 0)

                var annotated = try await deployments.get("web-\(id)")
                annotated.metadata.annotations = ["note": "hello"]
                _ = try await deployments.replace("web-\(id)", annotated)
                #expect(await eventually { reconciles("web-\(id)") == 2 })

                var scaled = try await deployments.get("web-\(id)")
                scaled.spec?.replicas = 3
                scaled = try await deployments.replace("web-\(id)", scaled)
                #expect(scaled.metadata.generation == 2)
                #expect(await eventually { reconciles("web-\(id)") == 3 })
                #expect(reconciles("drop-\(id)") == 0)
            }
        }
    }

    // MARK: ownership

    private func owner(_ name: String, uid: String? = "uid-1", namespace: String? = "default") -> ConfigMap {
        ConfigMap(metadata: ObjectMeta(name: name, namespace: namespace, uid: uid))
    }

    @Test func controllerReferencesFollowControllerRuntime() throws {
        var meta = ObjectMeta(name: "child", namespace: "default")
        try meta.setControllerReference(owner("parent"))
        let reference = try #require(meta.controllerReference)
        #expect(reference == OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "parent", uid: "uid-1", controller: true, blockOwnerDeletion: true))
        #expect(meta.isControlled(by: owner("parent")))
        #expect(!meta.isControlled(by: owner("parent", uid: "uid-2")))
        // The same controller again (a new uid after re-creation): updated in place.
        try meta.setControllerReference(owner("parent", uid: "uid-2"))
        #expect(meta.ownerReferences?.count == 1 && meta.controllerReference?.uid == "uid-2")
        // A second controller is refused.
        let refused = #expect(throws: OwnershipError.self) { try meta.setControllerReference(owner("usurper")) }
        #expect(refused?.code == .alreadyControlled)
        #expect(meta.controllerReference?.name == "parent")
        // Plain owners are added beside it; setting one on the controller keeps it the controller.
        try meta.setOwnerReference(owner("co-owner", uid: "uid-3"))
        try meta.setOwnerReference(owner("parent", uid: "uid-2"), blockOwnerDeletion: false)
        #expect(meta.ownerReferences?.count == 2)
        #expect(meta.controllerReference?.name == "parent" && meta.controllerReference?.blockOwnerDeletion == false)
        #expect(meta.ownerReferences?.last == OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "co-owner", uid: "uid-3", blockOwnerDeletion: true))
    }

    @Test func ownerReferencesThatCouldNeverWorkAreRefused() {
        var meta = ObjectMeta(name: "child", namespace: "default")
        let unsaved = #expect(throws: OwnershipError.self) { try meta.setControllerReference(owner("unsaved", uid: nil)) }
        #expect(unsaved?.code == .ownerNotPersisted)
        let elsewhere = #expect(throws: OwnershipError.self) { try meta.setOwnerReference(owner("elsewhere", namespace: "other")) }
        #expect(elsewhere?.code == .crossNamespace)
        var clusterScoped = ObjectMeta(name: "node-thing")
        let upward = #expect(throws: OwnershipError.self) { try clusterScoped.setOwnerReference(owner("namespaced")) }
        #expect(upward?.code == .crossNamespace)
        #expect(meta.ownerReferences == nil && clusterScoped.ownerReferences == nil)
        // A cluster-scoped owner may own a namespaced object.
        #expect(throws: Never.self) { try meta.setOwnerReference(Namespace(metadata: ObjectMeta(name: "ns", uid: "u"))) }
        #expect(meta.ownerReferences?.map(\.kind) == ["Namespace"])
    }

    // MARK: apply

    @Test func anApplyConfigurationNeverCarriesWhatTheServerWrites() throws {
        let fetched = Pod(
            metadata: ObjectMeta(
                name: "p", namespace: "default", uid: "u", resourceVersion: "7", generation: 2, creationTimestamp: Time(Date()),
                labels: ["app": "web"], managedFields: [ManagedFieldsEntry(manager: "m", operation: "Apply")]),
            status: Core.V1.PodStatus(phase: "Running"))
        let intent = try ApplyConfiguration(fetched)
        #expect(intent.json == ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "default", "labels": ["app": "web"]]])
        let status = try ApplyConfiguration(fetched, keepStatus: true)
        #expect(status["status", "phase"] == "Running")
        var edited = intent
        edited["metadata", "labels", "tier"] = "gold"
        edited["metadata", "labels", "app"] = nil
        #expect(edited["metadata", "labels"] == ["tier": "gold"])
        try edited.merge(Pod(metadata: ObjectMeta(name: "p", annotations: ["a": "b"])))
        #expect(edited["metadata", "annotations"] == ["a": "b"] && edited["metadata", "labels"] == ["tier": "gold"])
        #expect(throws: ApplyConfigurationError.self) { try ApplyConfiguration(extracting: ConfigMap(metadata: ObjectMeta(name: "x")), fieldManager: "m") }
    }

    /// Set members (`v:`), list indexes (`i:`) and another manager's entry are told apart.
    @Test func extractionReadsSetValuesAndIndexes() throws {
        let fields: JSONValue = ["f:metadata": ["f:finalizers": [".": [:], "v:\"a\"": [:]], "f:labels": ["f:app": [:]]]]
        let other: JSONValue = ["f:metadata": ["f:finalizers": ["v:\"b\"": [:]]], "f:data": ["f:x": [:]]]
        let object = ConfigMap(
            data: ["x": "1"],
            metadata: ObjectMeta(
                name: "c", namespace: "default", labels: ["app": "web", "team": "t"], finalizers: ["b", "a"],
                managedFields: [
                    ManagedFieldsEntry(manager: "me", operation: "Apply", fieldsV1: fields),
                    ManagedFieldsEntry(manager: "me", operation: "Update", fieldsV1: other),
                    ManagedFieldsEntry(manager: "them", operation: "Apply", fieldsV1: other),
                ]))
        let mine = try ApplyConfiguration(extracting: object, fieldManager: "me")
        #expect(mine.json == ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "namespace": "default", "finalizers": ["a"], "labels": ["app": "web"]]])
        let theirs = try ApplyConfiguration(extracting: object, fieldManager: "them")
        #expect(theirs["metadata", "finalizers"] == ["b"] && theirs["data"] == ["x": "1"] && theirs["metadata", "labels"] == nil)
        let indexed = ApplyConfiguration<ConfigMap>.extract(["l": ["p", "q", "r"]], fields: ["f:l": ["i:2": [:], "i:9": [:]]])
        #expect(indexed == ["l": ["r"]])
    }

    /// Checked against kube-apiserver v1.36 (exchange 073): extracting a manager's fields from the
    /// recorded object gives back exactly what that manager applied, though the object carries
    /// defaulted fields and another manager's container.
    @Test func extractingAManagersFieldsMatchesTheRecordedApplies() throws {
        let shared = ProcessInfo.processInfo.environment["SHARED_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("shared")
        let url = shared.appendingPathComponent("fixtures/apiserver-v1.36/073-ssa-listmap-containers.json")
        let recording = try JSONDecoder().decode(JSONValue.self, from: try Data(contentsOf: url))
        let steps = try #require(recording["steps"]?.arrayValue)
        let response = try #require(steps[3]["response"]?["body"])
        let deployment = try response.decode(as: Apps.V1.Deployment.self)
        for (manager, step) in [("team-web", 3), ("team-mesh", 2)] {
            var sent = try #require(steps[step]["request"]?["body"])
            sent["metadata"]?["namespace"] = deployment.metadata.namespace.map(JSONValue.string)
            let extracted = try ApplyConfiguration(extracting: deployment, fieldManager: manager)
            #expect(extracted.json == sent, "\(manager)")
        }
    }

    /// Over the wire: the client's default field manager owns what it applies, a later apply that
    /// leaves a key out removes it, and an extracted configuration re-applied with one change keeps
    /// another manager's field and its ownership.
    @Test func typedApplyWithTheDefaultFieldManager() async throws {
        try await withCluster { cluster in
            var config = cluster.client.config
            #expect(config.fieldManager == ClientConfig.defaultFieldManager && !config.fieldManager.isEmpty)
            config.fieldManager = "toolkit-test"
            let client = try KubeClient(config: config, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            defer { Task { try? await client.shutdown() } }
            let api = Api<ConfigMap>.namespaced(client, "default")
            let name = "applied-\(UUID().uuidString.prefix(8).lowercased())"

            var created = try await api.apply(ConfigMap(data: ["a": "1", "b": "2"], metadata: ObjectMeta(name: name)))
            #expect(created.metadata.managedFields?.map(\.manager) == ["toolkit-test"])
            #expect(created.metadata.managedFields?.first?.operation == "Apply")
            created = try await api.apply(ConfigMap(data: ["a": "1"], metadata: ObjectMeta(name: name)))
            #expect(created.data == ["a": "1"])  // b was owned by this manager only: removed

            _ = try await api.apply(ConfigMap(data: ["c": "3"], metadata: ObjectMeta(name: name)), fieldManager: "other")
            let fetched = try await api.get(name)
            var intent = try ApplyConfiguration(extracting: fetched, fieldManager: "toolkit-test")
            #expect(intent["data"] == ["a": "1"])
            #expect(intent["metadata", "resourceVersion"] == nil && intent["metadata", "managedFields"] == nil)
            intent["data", "a"] = "9"
            let updated = try await api.apply(intent)
            #expect(updated.data == ["a": "9", "c": "3"])
            let managers = Dictionary(uniqueKeysWithValues: (updated.metadata.managedFields ?? []).compactMap { entry in
                entry.manager.map { ($0, entry.fieldsV1?["f:data"]?.objectValue?.keys.sorted() ?? []) }
            })
            #expect(managers == ["toolkit-test": ["f:a"], "other": ["f:c"]])

            await #expect(throws: KubeError.self) { _ = try await api.apply(ConfigMap(data: ["a": "1"])) }  // no name
        }
    }

    // MARK: metadata-only informers and transforms

    @Test func aMetadataOnlyInformerCachesMetadataAsPartialObjectMetadata() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            let big = String(repeating: "x", count: 10_000)
            for name in ["m1-\(id)", "m2-\(id)"] {
                _ = try await api.create(ConfigMap(data: ["big": big], metadata: ObjectMeta(name: name, namespace: "default", labels: ["run": id])))
            }
            let single = try await Api<PartialObjectMetadata>(cluster.client, resource: ConfigMap.descriptor, namespace: "default").get("m1-\(id)")
            #expect(single.kind == "PartialObjectMetadata" && single.apiVersion == "meta.k8s.io/v1")
            #expect(single.metadata.labels == ["run": id])

            let informer = Informer.metadataOnly(
                cluster.client, for: ConfigMap.self, namespace: "default",
                config: WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)")), transform: Informer.stripManagedFields)
            let task = Task { try await informer.run() }
            defer { task.cancel() }
            await informer.waitUntilSynced()
            #expect(informer.store.keys == ["default/m1-\(id)", "default/m2-\(id)"])
            #expect(informer.store.list().allSatisfy { $0.kind == "PartialObjectMetadata" && $0.metadata.managedFields == nil })
            #expect(informer.metricsName == "default/configmaps")

            var changed = try await api.get("m2-\(id)")
            changed.metadata.labels?["tier"] = "gold"
            _ = try await api.replace("m2-\(id)", changed)
            #expect(await eventually { informer.store.get(namespace: "default", name: "m2-\(id)")?.metadata.labels?["tier"] == "gold" })
            let watched = try #require(informer.store.get(namespace: "default", name: "m2-\(id)"))
            #expect(watched.kind == "PartialObjectMetadata")  // the watch answered in the metadata form too
        }
    }

    @Test func aUserTransformShapesWhatTheCacheKeeps() async throws {
        try await withCluster { cluster in
            let id = String(UUID().uuidString.prefix(8)).lowercased()
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            _ = try await api.create(ConfigMap(data: ["keep": "1", "drop": "2"], metadata: ObjectMeta(name: "t-\(id)", namespace: "default", labels: ["run": id])))
            let informer = Informer(
                api: api, config: WatcherConfig(labelSelector: try LabelSelector(parsing: "run=\(id)")),
                transform: { object in
                    var object = Informer<ConfigMap>.stripManagedFields(object)
                    object.data = object.data?.filter { $0.key == "keep" }
                    return object
                })
            let task = Task { try await informer.run() }
            defer { task.cancel() }
            await informer.waitUntilSynced()
            let cached = try #require(informer.store.get(namespace: "default", name: "t-\(id)"))
            #expect(cached.data == ["keep": "1"] && cached.metadata.managedFields == nil)
        }
    }
}
