import KubeCore
import Synchronization

/// The local cache an informer keeps: the objects of one resource type as last
/// seen by a watch, with indexes.
///
/// The contract, which the tests check:
/// - **Snapshots**: every read (``get(_:)``, ``list()``, ``byIndex(_:_:)``) sees one
///   consistent state; a read never sees half of an update.
/// - **Atomic resync**: ``replace(_:resourceVersion:)`` swaps the whole content at
///   once (a relist), so readers see the old state or the new one, never a mix.
/// - **Synced**: ``waitUntilSynced()`` returns once the first full state is in.
/// - **Keys**: objects are keyed `namespace/name` (`name` for cluster-scoped objects),
///   like client-go's `MetaNamespaceKeyFunc`.
/// - **Indexes** are kept in step with the objects on every write.
public final class Store<K: KubeObject>: Sendable {
    /// An index function: the index values an object is filed under.
    public typealias IndexFunction = @Sendable (K) -> [String]

    private struct State {
        var objects: [String: K] = [:]
        var indexes: [String: [String: Set<String>]] = [:]
        var resourceVersion: String?
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    private let indexers: [String: IndexFunction]

    /// A store with the given indexers (index name → function). ``namespaceIndex`` and
    /// ``labelIndex(_:)`` are ready-made ones.
    public init(indexers: [String: IndexFunction] = [:]) {
        self.indexers = indexers
    }

    /// Indexes objects by namespace.
    public static var namespaceIndex: (String, IndexFunction) {
        ("namespace", { [$0.metadata.namespace ?? ""] })
    }

    /// Indexes objects by the value of one label.
    public static func labelIndex(_ key: String) -> (String, IndexFunction) {
        ("label:\(key)", { object in object.metadata.labels?[key].map { [$0] } ?? [] })
    }

    /// The cache key of an object: `namespace/name`, or `name` when cluster-scoped.
    public static func key(for object: K) -> String {
        key(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    public static func key(namespace: String?, name: String) -> String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    // MARK: reads

    public func get(_ key: String) -> K? { state.withLock { $0.objects[key] } }

    public func get(namespace: String?, name: String) -> K? { get(Self.key(namespace: namespace, name: name)) }

    /// Every object, in key order.
    public func list() -> [K] {
        state.withLock { state in state.objects.sorted { $0.key < $1.key }.map(\.value) }
    }

    public var keys: [String] { state.withLock { $0.objects.keys.sorted() } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The objects filed under `value` in the index `indexName`, in key order.
    /// An unknown index name gives no objects.
    public func byIndex(_ indexName: String, _ value: String) -> [K] {
        state.withLock { state in
            (state.indexes[indexName]?[value] ?? []).sorted().compactMap { state.objects[$0] }
        }
    }

    /// The resourceVersion of the latest state applied (a list's or an event's).
    public var resourceVersion: String? { state.withLock { $0.resourceVersion } }

    public var isSynced: Bool { state.withLock { $0.synced } }

    /// Waits until the first full state has been stored, or the task is cancelled.
    public func waitUntilSynced() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.synced || Task.isCancelled { return true }
                    state.syncWaiters[id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.syncWaiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    // MARK: writes (the informer's)

    /// Replaces the whole content (after a list or a relist) and marks the store synced.
    public func replace(_ objects: [K], resourceVersion: String?) {
        var fresh = State()
        for object in objects {
            let key = Self.key(for: object)
            fresh.objects[key] = object
        }
        for (name, function) in indexers {
            var index: [String: Set<String>] = [:]
            for (key, object) in fresh.objects {
                for value in function(object) { index[value, default: []].insert(key) }
            }
            fresh.indexes[name] = index
        }
        let waiters = state.withLock { state in
            fresh.resourceVersion = resourceVersion
            fresh.synced = true
            let waiters = state.syncWaiters
            state = fresh
            return waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Adds or updates one object; returns the previous version, if any.
    @discardableResult
    public func apply(_ object: K) -> K? {
        let key = Self.key(for: object)
        let newValues = indexers.mapValues { $0(object) }
        let oldObject = state.withLock { state in
            let old = state.objects.updateValue(object, forKey: key)
            if let old { Self.unindex(&state, key: key, values: indexers.mapValues { $0(old) }) }
            for (name, values) in newValues {
                for value in values { state.indexes[name, default: [:]][value, default: []].insert(key) }
            }
            if let version = object.metadata.resourceVersion { state.resourceVersion = version }
            return old
        }
        return oldObject
    }

    /// Removes one object; returns what was stored, if anything.
    @discardableResult
    public func delete(_ object: K) -> K? {
        let key = Self.key(for: object)
        return state.withLock { state in
            guard let old = state.objects.removeValue(forKey: key) else { return nil }
            Self.unindex(&state, key: key, values: indexers.mapValues { $0(old) })
            if let version = object.metadata.resourceVersion { state.resourceVersion = version }
            return old
        }
    }

    /// Records the resourceVersion of a bookmark.
    public func setResourceVersion(_ version: String) {
        state.withLock { $0.resourceVersion = version }
    }

    private static func unindex(_ state: inout State, key: String, values: [String: [String]]) {
        for (name, values) in values {
            for value in values {
                state.indexes[name]?[value]?.remove(key)
                if state.indexes[name]?[value]?.isEmpty == true { state.indexes[name]?[value] = nil }
            }
        }
    }
}
