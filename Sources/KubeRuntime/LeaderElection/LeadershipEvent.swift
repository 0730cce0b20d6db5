/// A change in leadership, as seen by one candidate — client-go's leader callbacks
/// (`OnStartedLeading`, `OnStoppedLeading`, `OnNewLeader`) as values.
public enum LeadershipEvent: Sendable, Hashable {
    /// This candidate became the leader.
    case startedLeading
    /// This candidate stopped leading (a renewal did not succeed within the renew deadline,
    /// its work returned, or it shut down). Sent when the decision is made, before the
    /// leader's work has finished cancelling.
    case stoppedLeading
    /// The Lease names a (new) holder.
    case newLeader(String)
}
