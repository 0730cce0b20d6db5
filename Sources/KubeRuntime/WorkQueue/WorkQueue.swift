import DequeModule
import KubeClient
import Metrics

/// A work queue with client-go's contract (`k8s.io/client-go/util/workqueue`).
///
/// The contract, which the tests check:
/// - **Fair**: items are handed out in the order they were added.
/// - **Never concurrently**: an item handed out by ``next()`` is not handed out again
///   until ``done(_:)`` is called for it, however many workers there are.
/// - **Dirty re-run**: adding an item while it is being processed marks it dirty;
///   it is queued again when ``done(_:)`` is called, so the latest change is seen.
/// - **Stingy**: an item added several times before it is processed is processed once.
/// - **Never lost**: every ``add(_:)`` is followed by a processing that starts after
///   it, unless the queue shuts down without draining.
///
/// ``addAfter(_:delay:)`` and ``addRateLimited(_:)`` add later; ``forget(_:)``
/// resets an item's failure count after a success.
///
/// A queue with a `name` reports client-go's workqueue metrics under the label `name`:
/// `workqueue_depth`, `workqueue_adds_total`, `workqueue_queue_duration_seconds`,
/// `workqueue_work_duration_seconds`, `workqueue_unfinished_work_seconds`,
/// `workqueue_longest_running_processor_seconds` and `workqueue_retries_total`.
public actor WorkQueue<Item: Hashable & Sendable> {
    private var queue = Deque<Item>()
    /// Items that need processing: queued, or added while being processed.
    private var dirty = Set<Item>()
    private var processing = Set<Item>()
    private var waiters = Deque<CheckedContinuation<Item?, Never>>()
    private var delayed: [Item: (deadline: ContinuousClock.Instant, task: Task<Void, Never>)] = [:]
    private var failures: [Item: Int] = [:]
    private var bucket: TokenBucket?
    private var shuttingDown = false
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []
    public nonisolated let rateLimiter: RateLimiter
    /// The metrics label; `nil` reports none.
    public nonisolated let name: String?
    private let metrics: QueueMetrics?
    private var hookRegistered = false
    /// When each waiting item was added, and when each item in progress was handed out.
    private var addedAt: [Item: ContinuousClock.Instant] = [:]
    private var startedAt: [Item: ContinuousClock.Instant] = [:]

    public init(rateLimiter: RateLimiter = RateLimiter(), name: String? = nil) {
        self.rateLimiter = rateLimiter
        self.name = name
        self.metrics = name.map(QueueMetrics.init)
    }

    /// Hands `item` to a worker: the one place an item moves from waiting to in progress.
    private func start(_ item: Item) {
        processing.insert(item)
        dirty.remove(item)
        guard let metrics else { return }
        let now = ContinuousClock.now
        if let added = addedAt.removeValue(forKey: item) { metrics.queued(for: now - added) }
        startedAt[item] = now
        metrics.depth(queue.count)
    }

    private func counted(_ item: Item) {
        guard let metrics else { return }
        if !hookRegistered {
            hookRegistered = true
            ScrapeHooks.add { [weak self] in
                guard let self else { return false }
                await self.updateInFlightGauges()
                return true
            }
        }
        metrics.added()
        if addedAt[item] == nil { addedAt[item] = .now }
    }

    /// `workqueue_unfinished_work_seconds` and `workqueue_longest_running_processor_seconds`, at scrape time.
    private func updateInFlightGauges() {
        guard let metrics else { return }
        let now = ContinuousClock.now
        let running = startedAt.values.map { (now - $0).seconds }
        metrics.inFlight(unfinished: running.reduce(0, +), longest: running.max() ?? 0)
        metrics.depth(queue.count)
    }

    /// Queues `item` unless it is already waiting; ignored after shutdown.
    public func add(_ item: Item) {
        guard !shuttingDown, !dirty.contains(item) else { return }
        dirty.insert(item)
        counted(item)
        guard !processing.contains(item) else { return }
        if let waiter = waiters.popFirst() {
            start(item)
            waiter.resume(returning: item)
        } else {
            queue.append(item)
            metrics?.depth(queue.count)
        }
    }

    /// Adds `item` after `delay`; a second delayed add keeps the earlier deadline.
    public func addAfter(_ item: Item, delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(item) }
        let deadline = ContinuousClock.now + delay
        if let existing = delayed[item], existing.deadline <= deadline { return }
        delayed[item]?.task.cancel()
        let task = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            guard !Task.isCancelled else { return }
            await self?.fireDelayed(item, deadline: deadline)
        }
        delayed[item] = (deadline, task)
    }

    private func fireDelayed(_ item: Item, deadline: ContinuousClock.Instant) {
        guard delayed[item]?.deadline == deadline else { return }
        delayed[item] = nil
        add(item)
    }

    /// Adds `item` after its rate-limited delay and counts a failure for it.
    public func addRateLimited(_ item: Item) {
        let count = failures[item, default: 0]
        failures[item] = count + 1
        metrics?.retried()
        var delay = rateLimiter.backoff(failures: count)
        if let qps = rateLimiter.qps {
            let now = ContinuousClock.now
            if bucket == nil { bucket = TokenBucket(qps: qps, burst: rateLimiter.burst, now: now) }
            delay = Swift.max(delay, bucket!.reserve(now: now))
        }
        addAfter(item, delay: delay)
    }

    /// Resets the failure count of `item` (call after it was processed successfully).
    public func forget(_ item: Item) { failures[item] = nil }

    /// How many times `item` failed since it was last forgotten.
    public func requeues(_ item: Item) -> Int { failures[item, default: 0] }

    /// The next item to process, waiting until there is one; `nil` once the queue
    /// is shut down and (when draining) empty. Call ``done(_:)`` when finished with it.
    public func next() async -> Item? {
        if let item = queue.popFirst() {
            start(item)
            return item
        }
        if shuttingDown { return nil }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Marks `item` processed; if it was added meanwhile, it is queued again.
    public func done(_ item: Item) {
        processing.remove(item)
        if let metrics, let started = startedAt.removeValue(forKey: item) { metrics.worked(for: .now - started) }
        if dirty.contains(item) {
            if shuttingDown, !draining {
                dirty.remove(item)
                addedAt[item] = nil
            } else if let waiter = waiters.popFirst() {
                start(item)
                waiter.resume(returning: item)
            } else {
                queue.append(item)
                metrics?.depth(queue.count)
            }
        }
        if shuttingDown, processing.isEmpty, queue.isEmpty {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters.removeAll()
        }
    }

    private var draining = false

    /// Stops accepting items. With `drain`, workers get the queued items and the
    /// call returns when every item handed out is done; without, queued items are
    /// dropped and workers get `nil` at once.
    public func shutDown(drain: Bool = true) async {
        shuttingDown = true
        draining = drain
        for (_, entry) in delayed { entry.task.cancel() }
        delayed.removeAll()
        if !drain {
            queue.removeAll()
            dirty.formIntersection(processing)
            addedAt.removeAll()
            metrics?.depth(0)
        }
        while let waiter = waiters.popFirst() {
            // Only reached when the queue is empty: waiting workers end.
            waiter.resume(returning: nil)
        }
        guard drain, !(processing.isEmpty && queue.isEmpty) else { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    /// `true` after ``shutDown(drain:)``.
    public var isShuttingDown: Bool { shuttingDown }

    /// Items waiting to be handed out.
    public var count: Int { queue.count }
}

/// client-go's workqueue metrics for one named queue.
struct QueueMetrics: Sendable {
    let dimensions: [(String, String)]

    init(name: String) { dimensions = [("name", name)] }

    func added() { Counter(label: MetricNames.adds, dimensions: dimensions).increment() }
    func retried() { Counter(label: MetricNames.retries, dimensions: dimensions).increment() }
    func depth(_ count: Int) { Gauge(label: MetricNames.depth, dimensions: dimensions).record(count) }
    func queued(for duration: Duration) { Timer(label: MetricNames.queueDuration, dimensions: dimensions).record(duration: duration) }
    func worked(for duration: Duration) { Timer(label: MetricNames.workDuration, dimensions: dimensions).record(duration: duration) }
    func inFlight(unfinished: Double, longest: Double) {
        Gauge(label: MetricNames.unfinishedWork, dimensions: dimensions).record(unfinished)
        Gauge(label: MetricNames.longestRunning, dimensions: dimensions).record(longest)
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension Timer {
    func record(duration: Duration) {
        let (seconds, attoseconds) = duration.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
