import KubeCore
import KubeModels

/// What one acquire-or-renew attempt does with the Lease it read: client-go's
/// `tryAcquireOrRenew` decision, pure (no I/O, no clock of its own), tested without a network.
enum LeaseDecision: Equatable {
    /// No Lease yet: create it with us as the holder.
    case create
    /// We hold it: renew (a new `renewTime`).
    case renew
    /// Released (empty holder) or expired: take it over.
    case acquire
    /// Another holder's lease is still valid until `expiresAt` (on our clock).
    case wait(holder: String, expiresAt: Duration)

    /// - Parameters:
    ///   - lease: the Lease as read, `nil` when there is none.
    ///   - observedAt: when (on our monotonic clock) we first saw this exact record. A holder's
    ///     lease runs from *our* observation, never from the `renewTime` written by another
    ///     node's clock, so clock skew between nodes does not matter.
    ///   - fallbackDuration: used only when the Lease does not say `leaseDurationSeconds`.
    ///     Otherwise the holder's own `leaseDurationSeconds` decides (the holder promised to
    ///     stop within it; our configuration says nothing about another process).
    static func decide(
        lease: Coordination.V1.Lease?, identity: String, observedAt: Duration, now: Duration, fallbackDuration: Duration
    ) -> LeaseDecision {
        guard let lease else { return .create }
        let holder = lease.spec?.holderIdentity ?? ""
        if holder == identity { return .renew }
        if holder.isEmpty { return .acquire }
        let duration = lease.spec?.leaseDurationSeconds.map { Duration.seconds(Int64($0)) } ?? fallbackDuration
        let expiresAt = observedAt + duration
        return now >= expiresAt ? .acquire : .wait(holder: holder, expiresAt: expiresAt)
    }
}
