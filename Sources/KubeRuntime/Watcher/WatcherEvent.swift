import KubeCore

/// What a watcher reports: the initial state (between ``initStart`` and
/// ``initDone``, so a store can build the new state aside and swap it in at once),
/// then changes.
public enum WatcherEvent<K: KubeObject>: Sendable {
    /// A (re)list begins: collect the following ``initObject(_:)`` events.
    case initStart
    /// One object of the current state.
    case initObject(K)
    /// The initial state is complete; `resourceVersion` is the state's version.
    case initDone(resourceVersion: String)
    /// An object was added or modified.
    case apply(K)
    /// An object was deleted.
    case delete(K)
    /// The watch progressed to `resourceVersion` with no change (a bookmark).
    case progress(resourceVersion: String)
}

/// How a watcher gets the initial state.
public enum InitialListStrategy: Sendable, Hashable {
    /// Paginated lists (`limit`/`continue`), then a watch from the list's resourceVersion.
    case list(pageSize: Int)
    /// One watch with `sendInitialEvents=true`: the state as `ADDED` events ending with
    /// the `k8s.io/initial-events-end` bookmark, then changes (Kubernetes 1.27+ "streaming list").
    case streamingList
}

extension WatcherEvent: Equatable where K: Equatable {}

extension WatcherEvent {
    /// The same event with its object (if any) passed through `transform`.
    public func map(_ transform: (K) -> K) -> WatcherEvent<K> {
        switch self {
        case .initObject(let object): .initObject(transform(object))
        case .apply(let object): .apply(transform(object))
        case .delete(let object): .delete(transform(object))
        case .initStart, .initDone, .progress: self
        }
    }
}
