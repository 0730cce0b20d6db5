import APIServerSemantics
import DequeModule
import Foundation
import KubeCore
import Synchronization

/// One change committed to the store, kept in the bounded history so watches can
/// resume and exact-version lists can be answered.
struct StoredEvent: Sendable {
    enum Kind: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED" }
    var revision: Int64
    var resource: GroupResource
    var kind: Kind
    var key: String
    var object: JSONValue
    var previous: JSONValue?
    /// The object's JSON as watches send it, written by the first watch that needs it.
    var serialized = SerializedObject()
}

/// The JSON of one stored object version as served, written once and shared by every watch
/// that sends the event (kube-apiserver's watch cache does the same with its
/// `cachingObject`). Keyed by the served `apiVersion`, since one stored object can be
/// served under several group versions.
final class SerializedObject: Sendable {
    private let cache = Mutex<(apiVersion: String, bytes: [UInt8])?>(nil)

    /// The bytes for `apiVersion`, from `write` the first time (or when another version asks).
    func bytes(apiVersion: String, _ write: () -> [UInt8]) -> [UInt8] {
        if let hit = cache.withLock({ $0?.apiVersion == apiVersion ? $0?.bytes : nil }) { return hit }
        let bytes = write()
        cache.withLock { $0 = (apiVersion, bytes) }
        return bytes
    }
}

/// Which objects a list or watch wants: a namespace (or all), a label selector and
/// the field selector requirements (already validated for the resource).
struct ObjectFilter: Sendable {
    var namespace: String?
    var labelSelector = LabelSelector()
    var fieldRequirements: [FieldSelector.Requirement] = []

    var isEverything: Bool { labelSelector.requirements.isEmpty && fieldRequirements.isEmpty }

    func matches(_ object: JSONValue) -> Bool {
        if let namespace, (object["metadata"]?["namespace"]?.stringValue ?? "") != namespace { return false }
        if !labelSelector.requirements.isEmpty && !labelSelector.matches(object.labels) { return false }
        for requirement in fieldRequirements {
            let actual = object.value(atPath: requirement.field)?.fieldSelectorText ?? ""
            if (actual == requirement.value) != requirement.equals { return false }
        }
        return true
    }
}

/// The in-memory "etcd": every object of every resource as JSON, one global
/// monotonically increasing revision (the `resourceVersion`), a bounded event history
/// for watch resume, and the registered watches. All the API semantics that need
/// atomicity (conflicts, generation, finalizers, the watch fan-out) live here.
actor ObjectStore {
    /// Storage key (`namespace/name` or `name`) → object, per group-resource.
    var objects: [GroupResource: [String: JSONValue]] = [:]
    private(set) var revision: Int64 = 1
    var history: Deque<StoredEvent> = []
    /// Events with a revision at or below this are gone; watching or listing from an
    /// older revision is answered with 410.
    var compactedRevision: Int64 = 1
    /// Lists at an exact revision and continue tokens read etcd: after an etcd compaction
    /// nothing older than this can be read (410).
    var etcdCompactedRevision: Int64 = 1
    /// The oldest revision a list can still read.
    var listableRevision: Int64 { max(compactedRevision, etcdCompactedRevision) }
    var historyWindow: Int
    var watchers: [UInt64: Watcher] = [:]
    var nextWatcherID: UInt64 = 1
    let registry: ResourceRegistry
    /// Published in every namespace as the `kube-root-ca.crt` ConfigMap.
    let caCertificatePEM: String
    /// The RBAC authorizer over the stored RBAC objects; dropped when one of them changes.
    var rbacCache: RBACAuthorizer?
    /// New namespaces get the `default` ServiceAccount and `kube-root-ca.crt` (kube-controller-manager's work).
    let emulatesControllers: Bool
    /// `--allow-privileged`: whether validation lets `securityContext.privileged: true` through.
    let allowsPrivileged: Bool
    /// Converts custom objects between their CRD's versions (set once the API server exists).
    var converter: CustomResourceConverter?

    init(registry: ResourceRegistry, historyWindow: Int, caCertificatePEM: String, emulatesControllers: Bool = true, allowsPrivileged: Bool = true) {
        self.registry = registry
        self.historyWindow = max(1, historyWindow)
        self.caCertificatePEM = caCertificatePEM
        self.emulatesControllers = emulatesControllers
        self.allowsPrivileged = allowsPrivileged
    }

    static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    // MARK: - Reads

    func get(_ resource: ServedResource, namespace: String?, name: String) throws(APIError) -> JSONValue {
        guard let object = objects[resource.storageResource]?[Self.key(namespace: resource.namespaced ? namespace : nil, name: name)] else {
            throw APIError.notFound(resource.groupResource, name)
        }
        return object
    }

    func exists(_ resource: GroupResource, namespace: String?, name: String) -> Bool {
        objects[resource]?[Self.key(namespace: namespace, name: name)] != nil
    }

    func namespaceExists(_ name: String) -> Bool {
        objects[GroupResource(group: "", resource: "namespaces")]?[name] != nil
    }

    /// Every object of a resource (for RBAC, bootstrap checks): no filtering.
    func all(_ resource: GroupResource) -> [JSONValue] {
        (objects[resource] ?? [:]).keys.sorted().map { objects[resource]![$0]! }
    }

    // MARK: - Commit

    /// Stores (or removes, for `.deleted`) an object at the next revision, records the
    /// event and fans it out to watches. Returns the object as stored.
    @discardableResult
    func commit(_ kind: StoredEvent.Kind, _ resource: GroupResource, key: String, object: JSONValue, previous: JSONValue?) -> JSONValue {
        revision += 1
        var stored = object
        var metadata = stored.metadataObject
        metadata["resourceVersion"] = .string(String(revision))
        stored["metadata"] = .object(metadata)
        if kind == .deleted {
            objects[resource]?.removeValue(forKey: key)
        } else {
            objects[resource, default: [:]][key] = stored
        }
        let event = StoredEvent(revision: revision, resource: resource, kind: kind, key: key, object: stored, previous: previous)
        history.append(event)
        while history.count > historyWindow {
            let dropped = history.removeFirst()
            compactedRevision = dropped.revision
        }
        if resource.group == "rbac.authorization.k8s.io" { rbacCache = nil }
        fanOut(event)
        afterCommit(event)
        return stored
    }

    /// Drops the whole history now (`FaultInjector.compactHistory`): every older
    /// revision gets 410 from now on. Like kube-apiserver's compactor, which writes its own
    /// key to etcd before compacting there, this takes a revision: lists at the revision of
    /// the last object write (continue tokens too) are gone as well; watches from it can
    /// still resume, as nothing happened to any object since.
    func compact() {
        history.removeAll()
        compactedRevision = revision
        revision += 1
        etcdCompactedRevision = revision
    }

    /// Cluster behaviour that follows a change: a new namespace gets its `default`
    /// ServiceAccount and `kube-root-ca.crt`; a CRD starts (or stops) serving its resources.
    private func afterCommit(_ event: StoredEvent) {
        switch (event.resource.group, event.resource.resource, event.kind) {
        case ("", "namespaces", .added):
            guard emulatesControllers, let namespace = event.object["metadata"]?["name"]?.stringValue else { return }
            seedNamespace(namespace)
        case ("apiextensions.k8s.io", "customresourcedefinitions", .added), ("apiextensions.k8s.io", "customresourcedefinitions", .modified):
            CustomResources.serve(event.object, registry: registry)
            if let established = CustomResources.established(event.object) {
                commit(.modified, event.resource, key: event.key, object: established, previous: event.object)
            }
        case ("apiextensions.k8s.io", "customresourcedefinitions", .deleted):
            if let removed = CustomResources.stopServing(event.object, registry: registry) {
                for key in (objects[removed] ?? [:]).keys.sorted() {
                    if let object = objects[removed]?[key] { commit(.deleted, removed, key: key, object: object, previous: object) }
                }
            }
        default:
            break
        }
    }

    private func seedNamespace(_ namespace: String) {
        let serviceAccounts = GroupResource(group: "", resource: "serviceaccounts")
        if objects[serviceAccounts]?[Self.key(namespace: namespace, name: "default")] == nil {
            let account: JSONValue = [
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": ["name": "default", "namespace": .string(namespace)],
            ]
            commit(.added, serviceAccounts, key: Self.key(namespace: namespace, name: "default"),
                   object: ObjectDefaults.newObjectMetadata(account, generation: nil), previous: nil)
        }
        let configMaps = GroupResource(group: "", resource: "configmaps")
        if objects[configMaps]?[Self.key(namespace: namespace, name: "kube-root-ca.crt")] == nil {
            let configMap: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": "kube-root-ca.crt", "namespace": .string(namespace),
                             "annotations": ["kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."]],
                "data": ["ca.crt": .string(caCertificatePEM)],
            ]
            commit(.added, configMaps, key: Self.key(namespace: namespace, name: "kube-root-ca.crt"),
                   object: ObjectDefaults.newObjectMetadata(configMap, generation: nil), previous: nil)
        }
    }
}

/// Metadata the server fills in on create.
enum ObjectDefaults {
    static func newObjectMetadata(_ object: JSONValue, generation: Int64?) -> JSONValue {
        var object = object
        var metadata = object.metadataObject
        metadata["uid"] = .string(UUID().uuidString.lowercased())
        metadata["creationTimestamp"] = .string(Time.now().description)
        if let generation { metadata["generation"] = .int(generation) } else { metadata.removeValue(forKey: "generation") }
        for field in ["deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] { metadata.removeValue(forKey: field) }
        object["metadata"] = .object(metadata)
        return object
    }

    private static let nameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// `generateName` + five random characters, like kube's `SimpleNameGenerator`.
    static func generatedName(_ prefix: String) -> String {
        let base = prefix.count > 58 ? String(prefix.prefix(58)) : prefix
        return base + String((0..<5).map { _ in nameAlphabet.randomElement()! })
    }
}
