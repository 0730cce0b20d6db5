import Foundation
import KubeClient
import KubeCore
import KubeModels

/// A Lease write that succeeded, with when its attempt started and when the answer came
/// (on the elector's clock): the raw material of a fencing log.
package struct LeaseWrite: Sendable, Hashable {
    package enum Kind: String, Sendable, Hashable { case create, acquire, renew, release }
    package var kind: Kind
    package var startedAt: Duration
    package var finishedAt: Duration
    package var resourceVersion: String?
    package var holder: String?
}

extension LeaderElector {
    /// One attempt, client-go's `tryAcquireOrRenew`: read the Lease, decide (``LeaseDecision``),
    /// write with the `resourceVersion` read. Unbounded by itself; callers race it against the
    /// renew deadline. Returns the write, `nil` when there was none (another holder's lease is
    /// valid, a race was lost, or the request failed).
    func tryAcquireOrRenew() async -> LeaseWrite? {
        let started = clock.now()
        let now = MicroTime.now()
        let identity = config.identity
        let leaseSeconds = Int32(clamping: config.leaseDuration.components.seconds)
        do {
            let read = try await api.getIfExists(config.leaseName)
            if let read { observe(read) }
            let decision = state.withLock { state in
                LeaseDecision.decide(
                    lease: read, identity: identity, observedAt: state.observedAt ?? clock.now(), now: clock.now(),
                    fallbackDuration: config.leaseDuration)
            }
            let kind: LeaseWrite.Kind
            let written: Coordination.V1.Lease
            switch decision {
            case .wait:
                return nil
            case .create:
                let fresh = Coordination.V1.Lease(
                    metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace),
                    spec: Coordination.V1.LeaseSpec(
                        acquireTime: now, holderIdentity: identity, leaseDurationSeconds: leaseSeconds, leaseTransitions: 0, renewTime: now))
                kind = .create
                written = try await api.create(fresh)
            case .renew, .acquire:
                guard var lease = read else { return nil }
                let spec = lease.spec ?? Coordination.V1.LeaseSpec()
                var newSpec = spec
                if decision == .acquire {
                    newSpec.acquireTime = now
                    newSpec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
                }
                newSpec.holderIdentity = identity
                newSpec.leaseDurationSeconds = leaseSeconds
                newSpec.renewTime = now
                lease.spec = newSpec
                kind = decision == .acquire ? .acquire : .renew
                // `replace` sends the resourceVersion we read: a concurrent writer makes it fail with 409.
                written = try await api.replace(config.leaseName, lease)
            }
            observe(written)
            return LeaseWrite(
                kind: kind, startedAt: started, finishedAt: clock.now(), resourceVersion: written.metadata.resourceVersion,
                holder: written.spec?.holderIdentity)
        } catch let error as KubeError where error.isConflict || error.isAlreadyExists {
            logger.debug("lost a race for the lease", metadata: ["error": "\(error)"])
            return nil
        } catch is CancellationError {
            return nil
        } catch {
            if !Task.isCancelled { logger.warning("lease update failed", metadata: ["error": "\(error)"]) }
            return nil
        }
    }

    /// Records what the Lease says and, when the record changed, when we saw it change
    /// (client-go's observedTime): another holder's lease runs from this moment.
    func observe(_ lease: Coordination.V1.Lease) {
        let newLeader: String? = state.withLock { state in
            // A late answer must not replace a newer record (resourceVersions of one object only grow).
            if let known = state.lease?.metadata.resourceVersion.flatMap({ UInt64($0) }),
                let seen = lease.metadata.resourceVersion.flatMap({ UInt64($0) }), seen < known
            {
                return nil
            }
            state.lease = lease
            guard state.observedSpec != lease.spec || state.observedAt == nil else { return nil }
            let holderChanged = state.observedSpec?.holderIdentity != lease.spec?.holderIdentity || state.observedAt == nil
            state.observedSpec = lease.spec
            state.observedAt = clock.now()
            return holderChanged ? lease.spec?.holderIdentity : nil
        }
        if let newLeader, !newLeader.isEmpty { eventStream.continuation.yield(.newLeader(newLeader)) }
    }

    /// Gives the Lease up (empty holder) if we still hold it, so a successor need not wait.
    /// Not cancelled with the task (the release must go out during shutdown), but bounded.
    func release() async {
        guard var lease = state.withLock({ $0.lease }), lease.spec?.holderIdentity == config.identity else { return }
        let started = clock.now()
        let now = MicroTime.now()
        var spec = lease.spec ?? Coordination.V1.LeaseSpec()
        spec.holderIdentity = nil
        spec.leaseDurationSeconds = 1
        spec.renewTime = now
        spec.acquireTime = now
        lease.spec = spec
        let api = self.api
        let name = config.leaseName
        let releasing = lease
        let released = await withTimeLimit(config.renewDeadline, clock: clock, cancellable: false) {
            () async -> Result<Coordination.V1.Lease, any Error> in
            do { return .success(try await api.replace(name, releasing)) } catch { return .failure(error) }
        }
        switch released {
        case .success(let lease):
            observe(lease)
            leaseWriteObserver?(
                LeaseWrite(
                    kind: .release, startedAt: started, finishedAt: clock.now(), resourceVersion: lease.metadata.resourceVersion,
                    holder: lease.spec?.holderIdentity))
            logger.info("released the lease")
        case .failure(let error):
            logger.warning("could not release the lease", metadata: ["error": "\(error)"])
        case nil:
            logger.warning("could not release the lease within the renew deadline")
        }
    }
}
