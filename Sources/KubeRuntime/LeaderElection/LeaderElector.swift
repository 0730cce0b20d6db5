import Foundation
import KubeClient
import KubeCore
import KubeModels
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Lease-based leader election (`coordination.k8s.io/v1`), client-go's algorithm, with the
/// promise that two candidates never lead at the same time:
///
/// - Candidates try to acquire every `retryPeriod` (with jitter). A Lease held by another
///   identity is taken only when it is released (empty holder) or when this candidate has not
///   seen it change for the Lease's own `spec.leaseDurationSeconds`, measured on its own
///   monotonic clock from the moment it saw the record change (client-go's `observedTime`).
/// - Every write carries the Lease's `resourceVersion`, so two candidates cannot both win
///   a race: the loser gets 409 Conflict and tries again later. A late write (one its sender
///   gave up on) fails the same way once anyone else has written.
/// - A successful write attempt that *started* at `t` lets the writer lead until
///   `t + renewDeadline` at most: every attempt is cut off at that deadline (the request is
///   raced against it, not checked after it returns), and when the deadline passes without a
///   renewal the leader stops — its work is cancelled — before `leaseDuration` (measured by
///   the others from a moment no earlier than `t`) can run out. This holds whatever the
///   request, its retries or the server do meanwhile.
/// - On graceful shutdown the leader releases the Lease (empty holder), so a successor takes
///   over at once instead of waiting out the lease.
///
/// Run it as a `Service`, and do the leader's work in ``run(whileLeading:)`` (cancelled when
/// leadership is lost; it must honour cancellation promptly) or follow ``events``.
public final class LeaderElector: ServiceLifecycle.Service, Sendable {
    public let config: LeaderElectionConfig
    let api: Api<Coordination.V1.Lease>
    let clock: any LeaderElectionClock
    let logger: Logger
    let state = Mutex(State())
    let eventStream: (stream: AsyncStream<LeadershipEvent>, continuation: AsyncStream<LeadershipEvent>.Continuation)
    /// Told about every Lease write that succeeded (for fencing logs in tests).
    let leaseWriteObserver: (@Sendable (LeaseWrite) -> Void)?

    struct State {
        var leading = false
        /// The record as last seen, and when it was first seen like that (client-go's observedTime).
        var observedSpec: Coordination.V1.LeaseSpec?
        var observedAt: Duration?
        var lease: Coordination.V1.Lease?
    }

    public convenience init(
        client: KubeClient, config: LeaderElectionConfig, clock: any LeaderElectionClock = SystemLeaderElectionClock(), logger: Logger? = nil
    ) {
        self.init(client: client, config: config, clock: clock, logger: logger, leaseWriteObserver: nil)
    }

    /// - Parameter leaseWriteObserver: called after every successful Lease write (fencing logs).
    package init(
        client: KubeClient, config: LeaderElectionConfig, clock: any LeaderElectionClock, logger: Logger?,
        leaseWriteObserver: (@Sendable (LeaseWrite) -> Void)?
    ) {
        self.config = config
        self.api = Api<Coordination.V1.Lease>.namespaced(client, config.namespace)
        self.clock = clock
        var logger = logger ?? client.logger
        logger[metadataKey: "lease"] = "\(config.namespace)/\(config.leaseName)"
        logger[metadataKey: "identity"] = "\(config.identity)"
        self.logger = logger
        self.eventStream = AsyncStream<LeadershipEvent>.makeStream(bufferingPolicy: .unbounded)
        self.leaseWriteObserver = leaseWriteObserver
    }

    /// Leadership changes, for one consumer.
    public var events: AsyncStream<LeadershipEvent> { eventStream.stream }

    /// `true` while this candidate leads.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// `true` once this candidate knows who leads: it does, or it has read the Lease (readiness).
    public var isStateKnown: Bool { state.withLock { $0.leading || $0.lease != nil } }

    /// Campaigns until cancelled or shut down gracefully; leads whenever it can.
    public func run() async throws {
        try await run(whileLeading: { try await Task.sleep(for: .seconds(365 * 86_400)) })
    }

    /// Campaigns until cancelled or shut down gracefully, running `work` each time this
    /// candidate becomes the leader; `work` is cancelled as soon as leadership is lost (at the
    /// latest `renewDeadline` after the start of the last successful renewal). When `work`
    /// returns by itself, the candidate releases the Lease and campaigns again.
    public func run(whileLeading work: @escaping @Sendable () async throws -> Void) async throws {
        defer { eventStream.continuation.finish() }
        // client-go's leader_election_master_status{name}: 1 while leading, at scrape time.
        let dimensions = [("name", config.leaseName)]
        let hook = ScrapeHooks.add { [weak self] in
            guard let self else { return false }
            Gauge(label: MetricNames.leaderStatus, dimensions: dimensions).record(self.isLeader ? 1 : 0)
            return true
        }
        defer { ScrapeHooks.remove(hook) }
        // Graceful shutdown cancels the campaign (and the work), which releases the Lease on the way out.
        await cancelWhenGracefulShutdown { await self.campaign(work) }
    }

    private func campaign(_ work: @escaping @Sendable () async throws -> Void) async {
        while !Task.isCancelled {
            guard let validUntil = await acquire() else { return }
            setLeading(true)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do { try await work() } catch is CancellationError {} catch {
                        self.logger.error("the leader's work failed", metadata: ["error": "\(error)"])
                    }
                }
                group.addTask { await self.renewUntilLost(validUntil: validUntil) }
                // Whichever ends first (work done, or leadership lost) ends both.
                await group.next()
                self.setLeading(false)
                group.cancelAll()
            }
            if config.releaseOnCancel { await release() }
        }
    }

    func setLeading(_ leading: Bool) {
        let changed = state.withLock { state in
            defer { state.leading = leading }
            return state.leading != leading
        }
        guard changed else { return }
        logger.info(leading ? "became leader" : "stopped leading")
        eventStream.continuation.yield(leading ? .startedLeading : .stoppedLeading)
    }

    /// Tries every retryPeriod (jittered) until acquired; returns until when the new leadership
    /// is valid, `nil` when cancelled.
    private func acquire() async -> Duration? {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let start = clock.now()
            // An attempt never outlives the renew deadline: leadership it brings back later
            // could already have expired for the others.
            if await attempt(timeLimit: config.renewDeadline) {
                let validUntil = start + config.renewDeadline
                if clock.now() < validUntil { return validUntil }
            }
            let jitter = Double.random(in: 0..<LeaderElectionConfig.jitterFactor)
            guard await waitForNextAttempt(config.retryPeriod * (1 + jitter)) else { return nil }
        }
        return nil
    }

    /// Renews every retryPeriod while leading; returns at `validUntil` (the start of the last
    /// successful attempt + renewDeadline) unless a renewal moved it, or when cancelled.
    private func renewUntilLost(validUntil initial: Duration) async {
        var validUntil = initial
        while !Task.isCancelled {
            let now = clock.now()
            guard now < validUntil else { break }
            do { try await clock.sleep(for: min(config.retryPeriod, validUntil - now)) } catch { return }
            let start = clock.now()
            guard start < validUntil else { break }
            if await attempt(timeLimit: validUntil - start) {
                validUntil = start + config.renewDeadline
            }
        }
        guard !Task.isCancelled else { return }
        logger.warning("failed to renew the lease within the renew deadline")
    }

    /// One acquire-or-renew attempt cut off after `timeLimit`: `true` if it wrote the Lease in time.
    /// A write that comes back later does not count (and is not reported).
    private func attempt(timeLimit: Duration) async -> Bool {
        guard let write = await withTimeLimit(timeLimit, clock: clock, { await self.tryAcquireOrRenew() }) ?? nil else { return false }
        leaseWriteObserver?(write)
        return true
    }

    /// Waits out `delay`, or less: until the other holder's lease expires, or until a watch on
    /// the Lease shows it released (empty holder) or deleted, so that a successor takes over at
    /// once. The watch also keeps the observed record current. `false` when cancelled.
    private func waitForNextAttempt(_ retryDelay: Duration) async -> Bool {
        let known = knownLease()
        let resourceVersion = known.resourceVersion
        var delay = retryDelay
        if let expiresAt = known.expiresAt {
            // Try again right after the other holder's lease expires, rather than up to a retry period later.
            let untilExpiry = expiresAt - clock.now() + .milliseconds(10)
            if untilExpiry < delay { delay = untilExpiry > .zero ? untilExpiry : .zero }
        }
        let sleep = delay
        let options = WatchOptions(
            fieldSelector: .equals("metadata.name", config.leaseName), resourceVersion: resourceVersion,
            timeoutSeconds: max(1, Int(sleep.components.seconds) + 1), allowWatchBookmarks: false)
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: sleep) }
            if resourceVersion != nil {
                group.addTask { await self.watchUntilReleased(options) }
            }
            await group.next()
            group.cancelAll()
        }
        return !Task.isCancelled
    }

    /// Follows the Lease (keeping the observed record current) until it is released or deleted;
    /// if the watch ends before, waits to be cancelled.
    private func watchUntilReleased(_ options: WatchOptions) async {
        do {
            for try await event in try api.watch(options) {
                switch event {
                case .deleted: return
                case .added(let lease), .modified(let lease):
                    observe(lease)
                    if (lease.spec?.holderIdentity ?? "").isEmpty { return }
                case .bookmark, .error: continue
                }
            }
        } catch {}
        // The watch ended early: the timer decides.
        try? await clock.sleep(for: .seconds(365 * 86_400))
    }

    /// The resourceVersion of the Lease as last seen, and when another holder's lease expires (if it is held by another).
    private func knownLease() -> (resourceVersion: String?, expiresAt: Duration?) {
        let now = clock.now()
        let (lease, observedAt) = state.withLock { ($0.lease, $0.observedAt) }
        let decision = LeaseDecision.decide(
            lease: lease, identity: config.identity, observedAt: observedAt ?? now, now: now, fallbackDuration: config.leaseDuration)
        if case .wait(_, let expiresAt) = decision { return (lease?.metadata.resourceVersion, expiresAt) }
        return (lease?.metadata.resourceVersion, nil)
    }
}
