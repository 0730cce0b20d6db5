import KubeClient
import KubeCore
import Logging
import ServiceLifecycle
import Synchronization

/// A change an informer tells its subscribers about (client-go's `OnAdd`, `OnUpdate`,
/// `OnDelete`, in the wire's words: see ``WatcherEvent`` for the vocabulary).
public enum InformerEvent<K: KubeObject>: Sendable {
    case added(K)
    /// The object changed (a new `resourceVersion`); `old` is what the store held before.
    case modified(old: K, new: K)
    case deleted(K)

    /// The object as it is now (the deleted object's last state for ``deleted(_:)``).
    public var object: K {
        switch self {
        case .added(let object), .deleted(let object): object
        case .modified(_, let new): new
        }
    }
}

/// Keeps a ``Store`` equal to the server's state of one resource type (and selector),
/// and tells any number of subscribers what changed.
///
/// The contract:
/// - The store is replaced atomically after every (re)list, so readers never see a
///   half-built state; after a relist, subscribers get exactly the differences
///   (added, modified, deleted) between the old state and the new one.
/// - A subscriber first receives the current state as ``InformerEvent/added(_:)``
///   events, then every change after it, in order, with nothing missed or repeated.
///   Each subscriber's buffer is unbounded (like client-go's shared informer), so a slow
///   subscriber costs memory, never events.
/// - ``run()`` watches until the task is cancelled or the service group shuts down
///   gracefully; then every subscription ends.
/// - With a `transform`, every object is transformed before it reaches the store or a
///   subscriber (client-go's `SetTransform`), e.g. ``stripManagedFields(_:)`` to save memory.
public final class Informer<K: KubeObject>: Service, Sendable, CustomStringConvertible {
    public let store: Store<K>
    private let api: Api<K>
    private let config: WatcherConfig
    private let logger: Logger
    private let transform: (@Sendable (K) -> K)?
    private let state = Mutex(State())

    private struct State {
        var subscribers: [Int: AsyncStream<InformerEvent<K>>.Continuation] = [:]
        var nextID = 0
        var running = false
        var finished = false
        /// Objects of a (re)list in progress.
        var pending: [K]?
    }

    public init(
        api: Api<K>, config: WatcherConfig = WatcherConfig(), indexers: [String: Store<K>.IndexFunction] = [:],
        transform: (@Sendable (K) -> K)? = nil, logger: Logger? = nil
    ) {
        self.api = api
        self.config = config
        self.store = Store(indexers: indexers)
        self.transform = transform
        self.logger = logger ?? api.client.logger
    }

    /// A transform that drops `metadata.managedFields` (server-side apply bookkeeping that a
    /// controller rarely reads): about a quarter of a typical cached Pod's memory.
    @Sendable public static func stripManagedFields(_ object: K) -> K {
        var object = object
        object.metadata.managedFields = nil
        return object
    }

    /// Waits until the first full list is in the store. The informer must be running as a
    /// service (``run()``) for that to happen.
    public func waitUntilSynced() async { await store.waitUntilSynced() }

    /// `true` once ``run()`` has started (and until it returns).
    public var isRunning: Bool { state.withLock { $0.running && !$0.finished } }

    /// What it watches: resource, namespace and selectors (`configmaps in namespace "mirror" with labels app=web`).
    public var description: String {
        var text = "\(api.resource.plural)" + (api.namespace.map { " in namespace \"\($0)\"" } ?? "")
        if let labels = config.labelSelector { text += " with labels \(labels)" }
        if let fields = config.fieldSelector { text += " with fields \(fields)" }
        return text
    }

    /// The current state as `added` events, then every change.
    public func subscribe() -> AsyncStream<InformerEvent<K>> {
        let (stream, continuation) = AsyncStream<InformerEvent<K>>.makeStream(bufferingPolicy: .unbounded)
        let id: Int? = state.withLock { state in
            if state.finished { return nil }
            // Under the informer's lock no event is applied, so the snapshot and the
            // registration are one step: nothing is missed or repeated.
            for object in store.list() { continuation.yield(.added(object)) }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Watches until cancelled or shut down gracefully.
    public func run() async throws {
        state.withLock { $0.running = true }
        let watcher = Watcher(api: api, config: config, logger: logger)
        // Graceful shutdown cancels the watch; cancellation ends the watcher's sequence.
        await cancelWhenGracefulShutdown {
            for await event in watcher {
                self.handle(event)
            }
        }
        finish()
    }

    /// Applies one watcher event; exposed to the package for tests that drive an informer by hand.
    func handle(_ event: WatcherEvent<K>) {
        let event = transform.map { event.map($0) } ?? event
        state.withLock { state in
            switch event {
            case .initStart:
                state.pending = []
            case .initObject(let object):
                state.pending?.append(object)
            case .initDone(let resourceVersion):
                let fresh = state.pending ?? []
                state.pending = nil
                let old = Dictionary(store.list().map { (Store<K>.key(for: $0), $0) }, uniquingKeysWith: { _, last in last })
                store.replace(fresh, resourceVersion: resourceVersion)
                var seen = Set<String>()
                for object in fresh {
                    let key = Store<K>.key(for: object)
                    seen.insert(key)
                    if let previous = old[key] {
                        if previous.metadata.resourceVersion != object.metadata.resourceVersion {
                            Self.notify(&state, .modified(old: previous, new: object))
                        }
                    } else {
                        Self.notify(&state, .added(object))
                    }
                }
                for (key, object) in old where !seen.contains(key) {
                    Self.notify(&state, .deleted(object))
                }
            case .added(let object), .modified(let object):
                // By the store's state, not the event's word: after a relist they can differ.
                if let previous = store.apply(object) {
                    Self.notify(&state, .modified(old: previous, new: object))
                } else {
                    Self.notify(&state, .added(object))
                }
            case .deleted(let object):
                let previous = store.delete(object)
                Self.notify(&state, .deleted(previous ?? object))
            case .bookmark(let resourceVersion):
                store.setResourceVersion(resourceVersion)
            }
        }
    }

    private static func notify(_ state: inout State, _ event: InformerEvent<K>) {
        for continuation in state.subscribers.values { continuation.yield(event) }
    }

    private func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            let subscribers = state.subscribers
            state.subscribers.removeAll()
            return subscribers
        }
        for continuation in subscribers.values { continuation.finish() }
    }
}
