import Foundation
import KubeClient
import KubeCore
import KubeModels
import Logging
import ServiceLifecycle
import Synchronization

/// A change in leadership, as seen by one candidate.
public enum LeadershipEvent: Sendable, Hashable {
    /// This candidate became the leader.
    case started
    /// This candidate stopped leading (renewal failed, or it shut down).
    case stopped
    /// The Lease names a (new) holder.
    case newLeader(String)
}

/// Lease-based leader election (`coordination.k8s.io/v1`), client-go's algorithm:
///
/// - Candidates try to acquire every `retryPeriod` (with jitter). A Lease held by another
///   identity is taken only when this candidate has not seen it renewed for
///   `leaseDuration` (measured on its own monotonic clock), or when its holder is empty
///   (released).
/// - Every write carries the Lease's `resourceVersion`, so two candidates cannot both win
///   a race: the loser gets 409 Conflict and tries again later.
/// - The leader renews every `retryPeriod`; if it cannot renew for `renewDeadline`, it
///   stops leading — before `leaseDuration` runs out, so its work is cancelled before anyone
///   else can become leader.
/// - On graceful shutdown the leader releases the Lease (empty holder), so a successor takes
///   over at its next attempt instead of waiting out the lease.
///
/// Run it as a `Service`, and do the leader's work in ``run(whileLeading:)`` (cancelled when
/// leadership is lost) or follow ``events``.
public final class LeaderElector: ServiceLifecycle.Service, Sendable {
    public let config: LeaderElectionConfig
    private let api: Api<Coordination.V1.Lease>
    private let clock: any LeaderElectionClock
    private let logger: Logger
    private let state = Mutex(State())
    private let eventStream: (stream: AsyncStream<LeadershipEvent>, continuation: AsyncStream<LeadershipEvent>.Continuation)

    private struct State {
        var leading = false
        var observedHolder: String?
        var observedRenewTime: MicroTime?
        var observedAt: Duration?
        var lease: Coordination.V1.Lease?
    }

    public init(client: KubeClient, config: LeaderElectionConfig, clock: any LeaderElectionClock = SystemLeaderElectionClock(), logger: Logger? = nil) {
        self.config = config
        self.api = Api<Coordination.V1.Lease>.namespaced(client, config.namespace)
        self.clock = clock
        var logger = logger ?? client.logger
        logger[metadataKey: "lease"] = "\(config.namespace)/\(config.leaseName)"
        logger[metadataKey: "identity"] = "\(config.identity)"
        self.logger = logger
        self.eventStream = AsyncStream<LeadershipEvent>.makeStream(bufferingPolicy: .unbounded)
    }

    /// Leadership changes, for one consumer.
    public var events: AsyncStream<LeadershipEvent> { eventStream.stream }

    /// `true` while this candidate leads.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// Campaigns until cancelled or shut down gracefully; leads whenever it can.
    public func run() async throws {
        try await run(whileLeading: { try await Task.sleep(for: .seconds(365 * 86_400)) })
    }

    /// Campaigns until cancelled or shut down gracefully, running `work` each time this
    /// candidate becomes the leader; `work` is cancelled as soon as leadership is lost. When
    /// `work` returns by itself, the candidate releases the Lease and campaigns again.
    public func run(whileLeading work: @escaping @Sendable () async throws -> Void) async throws {
        defer { eventStream.continuation.finish() }
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                guard await self.acquire() else { return }
                self.setLeading(true)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do { try await work() } catch is CancellationError {} catch {
                            self.logger.error("the leader's work failed", metadata: ["error": "\(error)"])
                        }
                    }
                    group.addTask { await self.renewUntilLost() }
                    // Whichever ends first (work done, or leadership lost) ends both.
                    await group.next()
                    group.cancelAll()
                }
                self.setLeading(false)
                if self.config.releaseOnCancel { await self.release() }
            }
        }
    }

    private func cancelWhenGracefulShutdown(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withGracefulShutdownHandler {
            try await body()
        } onGracefulShutdown: {
            // Cancelling the campaign releases the Lease on the way out (see `run`).
        }
    }

    private func setLeading(_ leading: Bool) {
        let changed = state.withLock { state in
            defer { state.leading = leading }
            return state.leading != leading
        }
        guard changed else { return }
        logger.info(leading ? "became leader" : "stopped leading")
        eventStream.continuation.yield(leading ? .started : .stopped)
    }

    /// Tries every retryPeriod (jittered) until acquired; `false` when cancelled.
    private func acquire() async -> Bool {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if await tryAcquireOrRenew() { return true }
            let jitter = Double.random(in: 0..<LeaderElectionConfig.jitterFactor)
            guard await waitForNextAttempt(config.retryPeriod * (1 + jitter)) else { return false }
        }
        return false
    }

    /// Waits out `delay`, or less when a watch on the Lease shows it released (empty holder)
    /// or deleted: then a successor takes over at once instead of at its next attempt.
    /// `false` when cancelled.
    private func waitForNextAttempt(_ delay: Duration) async -> Bool {
        let resourceVersion = state.withLock { $0.lease?.metadata.resourceVersion }
        let options = WatchOptions(
            fieldSelector: .equals("metadata.name", config.leaseName), resourceVersion: resourceVersion,
            timeoutSeconds: max(1, Int(delay.components.seconds) + 1), allowWatchBookmarks: false)
        let api = self.api
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await clock.sleep(for: delay) }
            if resourceVersion != nil {
                group.addTask {
                    do {
                        for try await event in try api.watch(options) {
                            switch event {
                            case .deleted: return
                            case .added(let lease), .modified(let lease):
                                if (lease.spec?.holderIdentity ?? "").isEmpty { return }
                            case .bookmark, .error: continue
                            }
                        }
                    } catch {}
                    // The watch ended early: fall back to the timer.
                    try? await clock.sleep(for: delay)
                }
            }
            await group.next()
            group.cancelAll()
        }
        return !Task.isCancelled
    }

    /// Renews every retryPeriod; returns when a renewal could not succeed within renewDeadline.
    private func renewUntilLost() async {
        var lastRenew = clock.now()
        while !Task.isCancelled {
            do { try await clock.sleep(for: config.retryPeriod) } catch { return }
            if await tryAcquireOrRenew() {
                lastRenew = clock.now()
            } else if clock.now() - lastRenew >= config.renewDeadline {
                logger.warning("failed to renew the lease within the renew deadline")
                return
            }
        }
    }

    /// One attempt, client-go's `tryAcquireOrRenew`.
    func tryAcquireOrRenew() async -> Bool {
        let now = MicroTime.now()
        let identity = config.identity
        let leaseSeconds = Int32(config.leaseDuration.components.seconds)
        do {
            guard var lease = try await api.getIfExists(config.leaseName) else {
                let fresh = Coordination.V1.Lease(
                    metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace),
                    spec: Coordination.V1.LeaseSpec(acquireTime: now, holderIdentity: identity, leaseDurationSeconds: leaseSeconds, leaseTransitions: 0, renewTime: now))
                let created = try await api.create(fresh)
                observe(created)
                return true
            }
            observe(lease)
            let spec = lease.spec ?? Coordination.V1.LeaseSpec()
            let holder = spec.holderIdentity ?? ""
            let expired = state.withLock { state in
                guard let observedAt = state.observedAt else { return true }
                return clock.now() - observedAt >= config.leaseDuration
            }
            if !holder.isEmpty && holder != identity && !expired { return false }
            var newSpec = spec
            if holder != identity {
                newSpec.acquireTime = now
                newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            newSpec.holderIdentity = identity
            newSpec.leaseDurationSeconds = leaseSeconds
            newSpec.renewTime = now
            lease.spec = newSpec
            // `replace` sends the resourceVersion we read: a concurrent writer makes it fail with 409.
            let updated = try await api.replace(config.leaseName, lease)
            observe(updated)
            return true
        } catch let error as KubeError where error.isConflict || error.isAlreadyExists {
            logger.debug("lost a race for the lease", metadata: ["error": "\(error)"])
            return false
        } catch {
            logger.warning("lease update failed", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Records what the Lease says and when we saw it change (client-go's observedTime).
    private func observe(_ lease: Coordination.V1.Lease) {
        let holder = lease.spec?.holderIdentity
        let renewTime = lease.spec?.renewTime
        let newLeader: String? = state.withLock { state in
            state.lease = lease
            guard state.observedHolder != holder || state.observedRenewTime != renewTime || state.observedAt == nil else { return nil }
            let holderChanged = state.observedHolder != holder
            state.observedHolder = holder
            state.observedRenewTime = renewTime
            state.observedAt = clock.now()
            return holderChanged ? holder : nil
        }
        if let newLeader, !newLeader.isEmpty { eventStream.continuation.yield(.newLeader(newLeader)) }
    }

    /// Gives the Lease up (empty holder) if we still hold it, so a successor need not wait.
    private func release() async {
        guard var lease = state.withLock({ $0.lease }), lease.spec?.holderIdentity == config.identity else { return }
        let now = MicroTime.now()
        var spec = lease.spec ?? Coordination.V1.LeaseSpec()
        spec.holderIdentity = nil
        spec.leaseDurationSeconds = 1
        spec.renewTime = now
        spec.acquireTime = now
        lease.spec = spec
        do {
            // Not cancellable: the release must go out even while the task is being cancelled.
            let api = self.api
            let name = config.leaseName
            let released = try await Task { try await api.replace(name, lease) }.value
            observe(released)
            logger.info("released the lease")
        } catch {
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        }
    }
}
