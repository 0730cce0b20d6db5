import KubeCore
import Logging
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
public struct Controller<K: KubeResource>: ServiceLifecycle.Service {
    private let primary: Informer<K>
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
    public init(
        primary: Informer<K>, reconciler: some Reconciler, workers: Int = 2, rateLimiter: RateLimiter = RateLimiter(),
        informerStartTimeout: Duration = .seconds(10), logger: Logger = Logger(label: "kubernetes.controller")
    ) {
        self.primary = primary
        self.reconciler = reconciler
        self.workers = max(1, workers)
        self.rateLimiter = rateLimiter
        self.informerStartTimeout = informerStartTimeout
        self.informers = [primary]
        self.logger = logger
        sources.append { queue in
            for await event in primary.subscribe() { await queue.add(ObjectKey(event.object)) }
        }
    }

    /// Events on `owned` objects enqueue their owner when the owner is a `K`
    /// (an `ownerReferences` entry with `K`'s apiVersion and kind), in the owned object's namespace.
    public func owns<Child: KubeObject>(_ owned: Informer<Child>) -> Controller {
        var copy = self
        copy.informers.append(owned)
        copy.sources.append { queue in
            for await event in owned.subscribe() {
                for key in Self.ownerKeys(of: event.object) { await queue.add(key) }
            }
        }
        return copy
    }

    /// Events on `watched` objects enqueue the keys `map` returns.
    public func watches<Other: KubeObject>(_ watched: Informer<Other>, map: @escaping @Sendable (Other) -> [ObjectKey]) -> Controller {
        var copy = self
        copy.informers.append(watched)
        copy.sources.append { queue in
            for await event in watched.subscribe() {
                for key in map(event.object) { await queue.add(key) }
            }
        }
        return copy
    }

    static func ownerKeys(of object: some KubeObject) -> [ObjectKey] {
        (object.metadata.ownerReferences ?? [])
            .filter { $0.kind == K.kind && $0.apiVersion == K.apiVersion }
            .map { ObjectKey(namespace: K.namespaced ? object.metadata.namespace : nil, name: $0.name) }
    }

    /// Reconciles until cancelled or shut down gracefully.
    /// - Throws: ``ControllerError`` when an informer it depends on is not running in time.
    public func run() async throws {
        // Stopped (cancelled, or shut down gracefully) before they all ran: nothing to do.
        guard try await waitForInformers() else { return }
        let queue = WorkQueue<ObjectKey>(rateLimiter: rateLimiter)
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
        while let key = await queue.next() {
            var logger = self.logger
            logger[metadataKey: "key"] = "\(key)"
            do {
                switch try await reconciler.reconcile(key) {
                case .done:
                    await queue.forget(key)
                case .requeue:
                    await queue.addRateLimited(key)
                case .requeueAfter(let delay):
                    await queue.forget(key)
                    await queue.addAfter(key, delay: delay)
                }
            } catch {
                let attempts = await queue.requeues(key)
                logger.warning("reconcile failed, retrying with backoff", metadata: ["error": "\(error)", "attempt": "\(attempts + 1)"])
                await queue.addRateLimited(key)
            }
            await queue.done(key)
        }
    }
}

/// The state of an informer that a controller checks before it relies on it.
protocol InformerRunState: Sendable, CustomStringConvertible {
    var isRunning: Bool { get }
}

extension Informer: InformerRunState {}
