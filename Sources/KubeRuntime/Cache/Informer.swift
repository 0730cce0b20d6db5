import KubeClient
import KubeCore
import Logging
import Metrics
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
///   subscriber (client-go's `SetTransform`), e.g. ``stripManagedFields(_:)`` to save memory, or
///   any closure of yours (drop `data` you never read, keep only what a controller uses). For a
///   cache of names, labels and owners only, watch ``PartialObjectMetadata`` instead
///   (``metadataOnly(_:for:namespace:config:transform:name:logger:)``).
///
/// Metrics, labelled `informer` (``metricsName``): `kube_informer_list_restarts_total` (lists after
/// the first: a 410 or a failure forced a relist), `kube_informer_watch_restarts_total` (watch
/// requests after the first: server timeouts, dropped connections), `kube_informer_synced`,
/// `kube_informer_objects` and `kube_informer_last_sync_age_seconds` (seconds since the informer
/// last heard from the server: a list, an event or a bookmark).
public final class Informer<K: KubeObject>: Service, Sendable, CustomStringConvertible {
    public let store: Store<K>
    private let api: Api<K>
    private let config: WatcherConfig
    private let logger: Logger
    private let transform: (@Sendable (K) -> K)?
    private let state = Mutex(State())
    /// The `informer` label of its metrics: the resource, with its namespace (`default/configmaps`).
    public let metricsName: String
    private let activity = Mutex(Activity())

    private struct Activity {
        var lists = 0
        var watches = 0
        var lastHeard: ContinuousClock.Instant?
    }

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
        transform: (@Sendable (K) -> K)? = nil, name: String? = nil, logger: Logger? = nil
    ) {
        self.metricsName = name ?? ((api.namespace.map { "\($0)/" } ?? "") + api.resource.plural)
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
        var configured = Watcher(api: api, config: config, logger: logger)
        configured.onWatchOpened = { [weak self] in self?.watchOpened() }
        let hook = ScrapeHooks.add { [weak self] in
            guard let self else { return false }
            self.recordGauges()
            return true
        }
        defer { ScrapeHooks.remove(hook) }
        let watcher = configured
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
        let relist = activity.withLock { activity in
            activity.lastHeard = .now
            guard case .initStart = event else { return false }
            activity.lists += 1
            return activity.lists > 1
        }
        if relist { Counter(label: MetricNames.informerListRestarts, dimensions: [("informer", metricsName)]).increment() }
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

    private func watchOpened() {
        let restart = activity.withLock { activity in
            activity.watches += 1
            return activity.watches > 1
        }
        if restart { Counter(label: MetricNames.informerWatchRestarts, dimensions: [("informer", metricsName)]).increment() }
    }

    /// The scrape-time gauges: synced, object count, and the age of the last word from the server.
    private func recordGauges() {
        let dimensions = [("informer", metricsName)]
        Gauge(label: MetricNames.informerSynced, dimensions: dimensions).record(store.isSynced ? 1 : 0)
        Gauge(label: MetricNames.informerObjects, dimensions: dimensions).record(store.count)
        if let heard = activity.withLock({ $0.lastHeard }) {
            Gauge(label: MetricNames.informerLastSyncAge, dimensions: dimensions).record((ContinuousClock.now - heard).seconds)
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

extension Informer where K == PartialObjectMetadata {
    /// An informer that caches only the metadata of `resource`'s objects (names, labels,
    /// annotations, owners: client-go's metadata informer), listed and watched as
    /// `PartialObjectMetadata` so spec and status never cross the wire nor sit in memory.
    /// - Parameter namespace: one namespace, or `nil` for all (or a cluster-scoped resource).
    public static func metadataOnly<R: KubeResource>(
        _ client: KubeClient, for resource: R.Type, namespace: String? = nil, config: WatcherConfig = WatcherConfig(),
        transform: (@Sendable (PartialObjectMetadata) -> PartialObjectMetadata)? = nil, name: String? = nil, logger: Logger? = nil
    ) -> Informer<PartialObjectMetadata> {
        Informer(api: Api(client, resource: R.descriptor, namespace: namespace), config: config, transform: transform, name: name, logger: logger)
    }
}
