import Foundation
import KubeCore

/// What a DELETE asks for besides its preconditions (`metav1.DeleteOptions`).
struct DeletionOptions: Sendable {
    /// `gracePeriodSeconds` (negative values count as 1, as in kube's `BeforeDelete`).
    var gracePeriodSeconds: Int64?
    /// `propagationPolicy`: `Orphan`, `Background` or `Foreground` (already validated).
    var propagationPolicy: String?
    /// The deprecated `orphanDependents` (never set together with `propagationPolicy`).
    var orphanDependents: Bool?
}

extension DeletionOptions {
    /// The options in a `metav1.DeleteOptions` body (a DELETE's body, an Eviction's `deleteOptions`).
    init(deleteOptionsBody body: JSONValue) {
        self.init(
            gracePeriodSeconds: body["gracePeriodSeconds"]?.intValue, propagationPolicy: body["propagationPolicy"]?.stringValue,
            orphanDependents: body["orphanDependents"]?.boolValue)
    }
}

/// kube-apiserver's generic registry delete (`Store.Delete` with `rest.BeforeDelete`,
/// `deletionFinalizersForGarbageCollection` and `markAsDeleting`), as a pure plan over the
/// stored object: what to write, and whether the object goes now.
enum DeletionPlan {
    static let orphanFinalizer = "orphan"
    static let foregroundFinalizer = "foregroundDeletion"

    enum Outcome {
        /// Nothing to write: the object is already being deleted gracefully.
        case pending
        /// Write `object` (deletionTimestamp, grace period, finalizers); it stays.
        case mark(JSONValue)
        /// Write `marked` first when given (a graceful delete with period 0), then remove it.
        case deleteNow(marked: JSONValue?)
    }

    /// Pods are the only built-in kind with a graceful delete strategy.
    static func isGraceful(_ resource: GroupResource) -> Bool {
        resource == GroupResource(group: "", resource: "pods")
    }

    static func plan(_ old: JSONValue, resource: GroupResource, options: DeletionOptions, now: Date = Date()) -> Outcome {
        var object = old
        var metadata = object.metadataObject
        var requestedGrace = options.gracePeriodSeconds.map { $0 < 0 ? 1 : $0 }
        var graceful = false
        if isGraceful(resource) {
            if let deletionTimestamp = metadata["deletionTimestamp"]?.stringValue {
                // Already deleting: only a shorter grace period changes anything.
                let current = metadata["deletionGracePeriodSeconds"]?.intValue ?? 0
                if current != 0 {
                    guard let requested = requestedGrace, requested < current else { return .pending }
                    let start = (RFC3339.parse(deletionTimestamp) ?? now).addingTimeInterval(TimeInterval(requested - current))
                    metadata["deletionTimestamp"] = .string(Time(start).description)
                    metadata["deletionGracePeriodSeconds"] = .int(requested)
                    graceful = true
                }
            } else {
                // The pod strategy's CheckGracefulDelete: the request's period, else the pod's own;
                // 0 for a pod no node runs, or one that has finished.
                var period = requestedGrace ?? old["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 0
                let phase = old["status"]?["phase"]?.stringValue
                if (old["spec"]?["nodeName"]?.stringValue ?? "").isEmpty || phase == "Succeeded" || phase == "Failed" { period = 0 }
                requestedGrace = period
                metadata["deletionTimestamp"] = .string(Time(now.addingTimeInterval(TimeInterval(period))).description)
                metadata["deletionGracePeriodSeconds"] = .int(period)
                if let generation = metadata["generation"]?.intValue, generation > 0 { metadata["generation"] = .int(generation + 1) }
                graceful = true
            }
        }
        let existing = metadata["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let finalizers = garbageCollectionFinalizers(existing, options: options)
        let finalizersChanged = Set(finalizers) != Set(existing)
        if finalizersChanged { metadata["finalizers"] = finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) }) }
        guard graceful || !finalizers.isEmpty || finalizersChanged else { return .deleteNow(marked: nil) }
        if !graceful {
            guard !finalizers.isEmpty else { return .deleteNow(marked: nil) }
            // markAsDeleting: a kind without graceful deletion is marked with period 0.
            if metadata["deletionTimestamp"] == nil, let generation = metadata["generation"]?.intValue, generation > 0 {
                metadata["generation"] = .int(generation + 1)
            }
            if let current = metadata["deletionTimestamp"]?.stringValue.flatMap(RFC3339.parse), current <= now {
                // kept: an earlier mark stands
            } else {
                metadata["deletionTimestamp"] = .string(Time(now).description)
            }
            metadata["deletionGracePeriodSeconds"] = .int(0)
            object["metadata"] = .object(metadata)
            return .mark(object)
        }
        object["metadata"] = .object(metadata)
        if !finalizers.isEmpty || (requestedGrace ?? 0) > 0 { return .mark(object) }
        return .deleteNow(marked: object)
    }

    /// The `orphan` / `foregroundDeletion` finalizers the delete options ask for (an explicit
    /// option wins over a finalizer already there).
    static func garbageCollectionFinalizers(_ finalizers: [String], options: DeletionOptions) -> [String] {
        var orphan = finalizers.contains(orphanFinalizer) && !finalizers.contains(foregroundFinalizer)
        var foreground = finalizers.contains(foregroundFinalizer)
        if let orphanDependents = options.orphanDependents {
            orphan = orphanDependents
            foreground = false
        } else if let policy = options.propagationPolicy {
            orphan = policy == "Orphan"
            foreground = policy == "Foreground"
        } else if let first = finalizers.first(where: { $0 == orphanFinalizer || $0 == foregroundFinalizer }) {
            orphan = first == orphanFinalizer
            foreground = first == foregroundFinalizer
        }
        var result = finalizers.filter { $0 != orphanFinalizer && $0 != foregroundFinalizer }
        if orphan { result.append(orphanFinalizer) }
        if foreground { result.append(foregroundFinalizer) }
        return Set(result) == Set(finalizers) ? finalizers : result
    }
}

extension ObjectStore {
    /// Deletes (or marks) an object that passed its preconditions, following `DeletionPlan`.
    func performDelete(
        _ resource: ServedResource, key: String, old: JSONValue, options: DeletionOptions, dryRun: Bool
    ) -> (object: JSONValue, deleted: Bool) {
        switch DeletionPlan.plan(old, resource: resource.groupResource, options: options) {
        case .pending:
            return (old, false)
        case .mark(let marked):
            if dryRun { return (marked, false) }
            let stored = marked == old ? old : commit(.modified, resource.storageResource, key: key, object: marked, previous: old)
            // The answer shows the object as marked, whatever the emulated controllers do next.
            if emulatesControllers { emulateAfterMark(resource, key: key, stored) }
            return (stored, false)
        case .deleteNow(let marked):
            var last = old
            if let marked {
                if dryRun { return (marked, true) }
                last = commit(.modified, resource.storageResource, key: key, object: marked, previous: old)
            }
            if dryRun { return (old, true) }
            return (commit(.deleted, resource.storageResource, key: key, object: last, previous: last), true)
        }
    }

    /// With `emulatesControllers`, what the kubelet and the garbage collector do next: a pod
    /// in graceful deletion is confirmed at once, `orphan` drops the dependents' owner
    /// references to it, `foregroundDeletion` deletes its dependents first; the object goes
    /// once no finalizer is left.
    private func emulateAfterMark(_ resource: ServedResource, key: String, _ marked: JSONValue) {
        var current = marked
        var finalizers = current["metadata"]?["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let uid = current["metadata"]?["uid"]?.stringValue ?? ""
        let namespace = current["metadata"]?["namespace"]?.stringValue
        if finalizers.contains(DeletionPlan.orphanFinalizer) || finalizers.contains(DeletionPlan.foregroundFinalizer) {
            let foreground = finalizers.contains(DeletionPlan.foregroundFinalizer)
            for (dependentResource, dependentKey, dependent) in dependents(of: uid, namespace: namespace) {
                if foreground {
                    commit(.deleted, dependentResource, key: dependentKey, object: dependent, previous: dependent)
                } else {
                    var orphaned = dependent
                    let references = (dependent["metadata"]?["ownerReferences"]?.arrayValue ?? []).filter { $0["uid"]?.stringValue != uid }
                    orphaned["metadata"]?["ownerReferences"] = references.isEmpty ? nil : .array(references)
                    commit(.modified, dependentResource, key: dependentKey, object: orphaned, previous: dependent)
                }
            }
            finalizers.removeAll { $0 == DeletionPlan.orphanFinalizer || $0 == DeletionPlan.foregroundFinalizer }
            let previous = current
            current["metadata"]?["finalizers"] = finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) })
            if !finalizers.isEmpty {
                commit(.modified, resource.storageResource, key: key, object: current, previous: previous)
                return
            }
        }
        guard finalizers.isEmpty else { return }
        commit(.deleted, resource.storageResource, key: key, object: current, previous: current)
    }

    /// Objects whose `ownerReferences` name `uid` (in the owner's namespace, or anywhere for a
    /// cluster-scoped owner).
    private func dependents(of uid: String, namespace: String?) -> [(GroupResource, String, JSONValue)] {
        guard !uid.isEmpty else { return [] }
        var found: [(GroupResource, String, JSONValue)] = []
        for resource in objects.keys.sorted(by: { $0.description < $1.description }) {
            for (key, object) in (objects[resource] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let namespace, object["metadata"]?["namespace"]?.stringValue != namespace { continue }
                let references = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
                if references.contains(where: { $0["uid"]?.stringValue == uid }) { found.append((resource, key, object)) }
            }
        }
        return found
    }
}

extension ObjectStore {
    static let customResourceCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    /// A CRD's delete (apiextensions' own REST delete): the first DELETE marks it with
    /// `deletionTimestamp`, the `customresourcecleanup` finalizer and a `Terminating`
    /// condition, and answers with that; the finalizer controller inside kube-apiserver then
    /// deletes every custom object and removes the finalizer, so the CRD goes right after.
    func deleteCustomResourceDefinition(_ resource: ServedResource, key: String, old: JSONValue, dryRun: Bool) -> (object: JSONValue, deleted: Bool) {
        guard old["metadata"]?["deletionTimestamp"] == nil else {
            return performDelete(resource, key: key, old: old, options: DeletionOptions(), dryRun: dryRun)
        }
        var marked = old
        let now = JSONValue.string(Time.now().description)
        marked["metadata"]?["deletionTimestamp"] = now
        var finalizers = old["metadata"]?["finalizers"]?.arrayValue ?? []
        if !finalizers.contains(.string(Self.customResourceCleanupFinalizer)) { finalizers.append(.string(Self.customResourceCleanupFinalizer)) }
        marked["metadata"]?["finalizers"] = .array(finalizers)
        var conditions = (old["status"]?["conditions"]?.arrayValue ?? []).filter { $0["type"]?.stringValue != "Terminating" }
        conditions.append([
            "type": "Terminating", "status": "True", "lastTransitionTime": now, "reason": "InstanceDeletionPending",
            "message": "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
        ])
        marked["status"]?["conditions"] = .array(conditions)
        if dryRun { return (marked, false) }
        let stored = commit(.modified, resource.storageResource, key: key, object: marked, previous: old)
        // The finalizer controller: the custom objects first, then the finalizer.
        if let group = stored["spec"]?["group"]?.stringValue, let plural = stored["spec"]?["names"]?["plural"]?.stringValue {
            let objectsResource = GroupResource(group: group, resource: plural)
            for objectKey in (objects[objectsResource] ?? [:]).keys.sorted() {
                if let object = objects[objectsResource]?[objectKey] {
                    commit(.deleted, objectsResource, key: objectKey, object: object, previous: object)
                }
            }
        }
        var cleaned = stored
        let remaining = finalizers.filter { $0 != .string(Self.customResourceCleanupFinalizer) }
        cleaned["metadata"]?["finalizers"] = remaining.isEmpty ? nil : .array(remaining)
        if remaining.isEmpty {
            commit(.deleted, resource.storageResource, key: key, object: cleaned, previous: stored)
        } else {
            commit(.modified, resource.storageResource, key: key, object: cleaned, previous: stored)
        }
        return (stored, false)
    }
}

extension ObjectStore {
    struct DeletePreconditions: Sendable {
        var uid: String?
        var resourceVersion: String?
    }

    /// Deletes an object, or marks it with `deletionTimestamp` (graceful pod deletion,
    /// finalizers, the `orphan`/`foregroundDeletion` finalizers `options` ask for, a namespace's
    /// `Terminating` phase). Returns the object as the answer shows it and whether it is gone.
    func delete(
        _ resource: ServedResource, namespace: String?, name: String, preconditions: DeletePreconditions = DeletePreconditions(),
        options: DeletionOptions = DeletionOptions(), context: WriteContext = WriteContext()
    ) throws(APIError) -> (object: JSONValue, deleted: Bool) {
        let key = Self.key(namespace: resource.namespaced ? namespace : nil, name: name)
        if resource.groupResource == Self.namespacesResource, Self.immortalNamespaces.contains(name) {
            // NamespaceLifecycle admission, before the store is read.
            throw APIError.forbidden(resource.groupResource, name: name, reason: "this namespace may not be deleted")
        }
        guard let old = objects[resource.storageResource]?[key] else { throw APIError.notFound(resource.groupResource, name) }
        if let uid = preconditions.uid, let actual = old["metadata"]?["uid"]?.stringValue, uid != actual {
            throw APIError.deletePreconditionFailed(resource, name, field: "UID", expected: uid, actual: actual)
        }
        if let rv = preconditions.resourceVersion, let actual = old["metadata"]?["resourceVersion"]?.stringValue, rv != actual {
            throw APIError.deletePreconditionFailed(resource, name, field: "ResourceVersion", expected: rv, actual: actual)
        }
        if resource.groupResource == CustomResources.crdResource {
            return deleteCustomResourceDefinition(resource, key: key, old: old, dryRun: context.dryRun)
        }
        if resource.groupResource == Self.namespacesResource {
            return deleteNamespace(resource, key: key, old: old, options: options, dryRun: context.dryRun)
        }
        return performDelete(resource, key: key, old: old, options: options, dryRun: context.dryRun)
    }
}

extension ObjectStore {
    static let namespacesResource = GroupResource(group: "", resource: "namespaces")
    /// The finalizer in `spec.finalizers` that the namespace controller removes once the namespace is empty.
    static let namespaceFinalizer = "kubernetes"
    /// NamespaceLifecycle refuses to delete these.
    static let immortalNamespaces: Set<String> = ["default", "kube-system", "kube-public"]

    /// Whether NamespaceLifecycle refuses new content in `namespace` (its phase is `Terminating`).
    func isTerminating(namespace: String) -> Bool {
        objects[Self.namespacesResource]?[namespace]?["status"]?["phase"]?.stringValue == "Terminating"
    }

    /// The namespace registry's own delete: the first DELETE sets `deletionTimestamp` and
    /// `status.phase: Terminating` (and the garbage collector's finalizers the options ask for)
    /// and answers with that; while `spec.finalizers` is not empty the namespace stays, and a
    /// later DELETE answers with it unchanged. Once `spec.finalizers` is empty the generic delete
    /// runs. Without controllers (like the recorded server) a deleted namespace stays
    /// `Terminating` for good; with `emulatesControllers` the namespace controller's work
    /// follows at once: every object in the namespace is removed, the `kubernetes` finalizer
    /// goes, and so does the namespace (unless `metadata.finalizers` keep it).
    func deleteNamespace(_ resource: ServedResource, key: String, old: JSONValue, options: DeletionOptions, dryRun: Bool) -> (object: JSONValue, deleted: Bool) {
        var current = old
        if old["metadata"]?["deletionTimestamp"] == nil {
            var marked = old
            var metadata = marked.metadataObject
            metadata["deletionTimestamp"] = .string(Time.now().description)
            let existing = metadata["finalizers"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let finalizers = DeletionPlan.garbageCollectionFinalizers(existing, options: options)
            if finalizers != existing { metadata["finalizers"] = finalizers.isEmpty ? nil : .array(finalizers.map { .string($0) }) }
            marked["metadata"] = .object(metadata)
            var status = old["status"]?.objectValue ?? [:]
            status["phase"] = "Terminating"
            marked["status"] = .object(status)
            current = dryRun ? marked : commit(.modified, resource.storageResource, key: key, object: marked, previous: old)
        }
        guard (current["spec"]?["finalizers"]?.arrayValue ?? []).isEmpty else {
            if emulatesControllers && !dryRun { emulateNamespaceController(resource, key: key, current) }
            return (current, false)
        }
        if emulatesControllers && !dryRun { deleteNamespaceContents(key) }
        return performDelete(resource, key: key, old: current, options: options, dryRun: dryRun)
    }

    /// The namespace controller: deletes the namespace's content, removes the `kubernetes`
    /// finalizer (the `finalize` subresource), then deletes the namespace.
    private func emulateNamespaceController(_ resource: ServedResource, key: String, _ terminating: JSONValue) {
        deleteNamespaceContents(key)
        let specFinalizers = (terminating["spec"]?["finalizers"]?.arrayValue ?? []).filter { $0.stringValue != Self.namespaceFinalizer }
        var finalized = terminating
        finalized["spec"]?["finalizers"] = specFinalizers.isEmpty ? nil : .array(specFinalizers)
        let stored = commit(.modified, resource.storageResource, key: key, object: finalized, previous: terminating)
        guard specFinalizers.isEmpty else { return }
        _ = performDelete(resource, key: key, old: stored, options: DeletionOptions(), dryRun: false)
    }

    /// Removes every namespaced object of a namespace being deleted (the namespace
    /// controller's job in a real cluster; here immediate, finalizers ignored).
    private func deleteNamespaceContents(_ namespace: String) {
        let prefix = namespace + "/"
        for resource in objects.keys.sorted(by: { $0.description < $1.description }) {
            for key in (objects[resource] ?? [:]).keys.sorted() where key.hasPrefix(prefix) {
                if let object = objects[resource]?[key] { commit(.deleted, resource, key: key, object: object, previous: object) }
            }
        }
    }
}
