import KubeCore
import Logging
import Metrics
import ServiceLifecycle

/// Runs a ``Reconciler`` for the objects of a primary informer, with N workers over a
/// ``WorkQueue``: each key is reconciled by one worker at a time, failures retry with
/// backoff, and changes to owned or watched objects enqueue the primary they map to.
///
/// ```swift
/// let controller = Controller(primary: configMaps, reconciler: mirror, workers: 2)
///     .owns(secrets)                         // events on a Secret enqueue its owner ConfigMap
///     .watches(namespaces) { ns in [...] }   // any mapping to primary keys
/// try await ServiceGroup(services: [configMaps, secrets, namespaces, controller], ...).run()
/// ```
///
/// The informers run as their own services (they can be shared); the controller
/// subscribes to them and starts reconciling once the primary informer has synced. An
/// informer that is not running within `informerStartTimeout` (it was never added to the
/// service group) makes ``run()`` throw a ``ControllerError`` naming it, instead of waiting forever.
/// On graceful shutdown or cancellation it stops: subscriptions end, no new key is taken,
/// and a reconcile in progress is cancelled with the task.
///
/// Predicates (``ChangePredicate``) filter the events of each source before they enqueue a key
/// (all of a source's predicates must pass). Metrics, labelled by the controller's `name`:
/// controller-runtime's `controller_runtime_reconcile_total{result}`,
/// `controller_runtime_reconcile_errors_total`, `controller_runtime_reconcile_time_seconds` and
/// `controller_runtime_active_workers`, and client-go's workqueue metrics for its queue.
public struct Controller<K: KubeResource>: ServiceLifecycle.Service {
    private let primary: Informer<K>
    /// The metrics label and the work queue's name (the kind in lower case unless given).
    public let name: String
    private let reconciler: any Reconciler
    private let workers: Int
    private let logger: Logger
    private let rateLimiter: RateLimiter
    private let informerStartTimeout: Duration
    private var sources: [@Sendable (WorkQueue<ObjectKey>) async -> Void] = []
    /// Every informer the controller reads, primary first, to check that they run.
    private var informers: [any InformerRunState]

    /// - Parameter informerStartTimeout: how long ``run()`` waits for every informer it depends on
    ///   to be running (services of one group start together, in no particular order).
    /// - Parameter predicates: events of the primary informer that fail any of them enqueue nothing.
    public init(
        primary: Informer<K>, reconciler: some Reconciler, name: String? = nil, workers: Int = 2, rateLimiter: RateLimiter = RateLimiter(),
        predicates: [ChangePredicate<K>] = [], informerStartTimeout: Duration = .seconds(10),
        logger: Logger = Logger(label: "kubernetes.controller")
    ) {
        self.primary = primary
        self.name = name ?? K.kind.lowercased()
        self.reconciler = reconciler
        self.workers = max(1, workers)
        self.rateLimiter = rateLimiter
        self.informerStartTimeout = informerStartTimeout
        self.informers = [primary]
        self.logger = logger
        sources.append { queue in
            for await event in primary.subscribe() where ChangePredicate.all(predicates, event) {
                await queue.add(ObjectKey(event.object))
            }
        }
    }

    /// Events on `owned` objects enqueue their controller when it is a `K`: the `ownerReferences`
    /// entry with `controller: true` and `K`'s group and kind (controller-runtime's `Owns`), in the
    /// owned object's namespace. Owners without `controller: true` are not reconciled.
    public func owns<Child: KubeObject>(_ owned: Informer<Child>, predicates: [ChangePredicate<Child>] = []) -> Controller {
        var copy = self
        copy.informers.append(owned)
        copy.sources.append { queue in
            for await event in owned.subscribe() where ChangePredicate.all(predicates, event) {
                for key in Self.ownerKeys(of: event) { await queue.add(key) }
            }
        }
        return copy
    }

    /// Events on `watched` objects (that pass `predicates`) enqueue the keys `map` returns.
    public func watches<Other: KubeObject>(
        _ watched: Informer<Other>, predicates: [ChangePredicate<Other>] = [], map: @escaping @Sendable (Other) -> [ObjectKey]
    ) -> Controller {
        var copy = self
        copy.informers.append(watched)
        copy.sources.append { queue in
            for await event in watched.subscribe() where ChangePredicate.all(predicates, event) {
                for key in map(event.object) { await queue.add(key) }
            }
        }
        return copy
    }

    /// The controller of `object` when it is a `K` (by group and kind: any version).
    static func ownerKeys(of object: some KubeObject) -> [ObjectKey] {
        guard let reference = object.metadata.controllerReference, reference.kind == K.kind,
            Self.group(of: reference.apiVersion) == K.group
        else { return [] }
        return [ObjectKey(namespace: K.namespaced ? object.metadata.namespace : nil, name: reference.name)]
    }

    /// For an update, the old object's controller too: an owned object that changed hands
    /// reconciles the owner it left (controller-runtime's `EnqueueRequestForOwner`).
    static func ownerKeys<Child: KubeObject>(of event: InformerEvent<Child>) -> [ObjectKey] {
        guard case .modified(let old, let new) = event else { return ownerKeys(of: event.object) }
        var keys = ownerKeys(of: new)
        for key in ownerKeys(of: old) where !keys.contains(key) { keys.append(key) }
        return keys
    }

    private static func group(of apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// Reconciles until cancelled or shut down gracefully.
    /// - Throws: ``ControllerError`` when an informer it depends on is not running in time.
    public func run() async throws {
        // Stopped (cancelled, or shut down gracefully) before they all ran: nothing to do.
        guard try await waitForInformers() else { return }
        let queue = WorkQueue<ObjectKey>(rateLimiter: rateLimiter, name: name)
        let sources = self.sources
        let workers = self.workers
        // Graceful shutdown cancels everything: the subscriptions end, the queue shuts down so
        // idle workers return, and a reconcile in progress sees its task cancelled.
        await cancelWhenGracefulShutdown {
            await withTaskCancellationHandler {
                await self.primary.waitUntilSynced()
                await withDiscardingTaskGroup { group in
                    for source in sources {
                        group.addTask { await source(queue) }
                    }
                    for _ in 0..<workers {
                        group.addTask { await self.work(queue) }
                    }
                }
            } onCancel: {
                Task { await queue.shutDown(drain: false) }
            }
        }
    }

    /// Waits (bounded) until every informer runs; a subscription to one that never runs would
    /// never deliver, and the primary's sync would never come. `false` when stopped meanwhile.
    private func waitForInformers() async throws -> Bool {
        let deadline = ContinuousClock.now + informerStartTimeout
        while true {
            let missing = informers.filter { !$0.isRunning }
            if missing.isEmpty { return true }
            if Task.isCancelled || Task.isShuttingDownGracefully { return false }
            if ContinuousClock.now >= deadline {
                let error = ControllerError.informersNotRunning(missing.map(\.description), after: informerStartTimeout)
                logger.error("\(error)")
                throw error
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private func work(_ queue: WorkQueue<ObjectKey>) async {
        let dimensions = [("controller", name)]
        while let key = await queue.next() {
            var logger = self.logger
            logger[metadataKey: "key"] = "\(key)"
            let active = Meter(label: MetricNames.activeWorkers, dimensions: dimensions)
            active.increment()
            let started = ContinuousClock.now
            let result: String
            do {
                switch try await reconciler.reconcile(key) {
                case .done:
                    result = "success"
                    await queue.forget(key)
                case .requeue:
                    result = "requeue"
                    await queue.addRateLimited(key)
                case .requeueAfter(let delay):
                    result = "requeue_after"
                    await queue.forget(key)
                    await queue.addAfter(key, delay: delay)
                }
            } catch {
                result = "error"
                Counter(label: MetricNames.reconcileErrors, dimensions: dimensions).increment()
                let attempts = await queue.requeues(key)
                logger.warning("reconcile failed, retrying with backoff", metadata: ["error": "\(error)", "attempt": "\(attempts + 1)"])
                await queue.addRateLimited(key)
            }
            Timer(label: MetricNames.reconcileTime, dimensions: dimensions).record(duration: .now - started)
            Counter(label: MetricNames.reconciles, dimensions: dimensions + [("result", result)]).increment()
            active.decrement()
            await queue.done(key)
        }
    }
}

/// The state of an informer that a controller checks before it relies on it.
protocol InformerRunState: Sendable, CustomStringConvertible {
    var isRunning: Bool { get }
}

extension Informer: InformerRunState {}
