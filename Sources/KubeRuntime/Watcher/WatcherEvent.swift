import KubeCore

/// What a watcher reports: the initial state (between ``initStart`` and
/// ``initDone``, so a store can build the new state aside and swap it in at once),
/// then changes.
///
/// One vocabulary across the package — the words of the wire (client-go's `watch.EventType`):
///
/// | meaning | `WatchEvent` (one watch) | `WatcherEvent` | ``InformerEvent`` | client-go | kube-rs |
/// |---|---|---|---|---|---|
/// | an object appeared | `added` | `added` (`initObject` in a list) | `added` | `Added`, `OnAdd` | `Apply`, `InitApply` |
/// | an object changed | `modified` | `modified` | `modified(old:new:)` | `Modified`, `OnUpdate` | `Apply` |
/// | an object went away | `deleted` | `deleted` | `deleted` | `Deleted`, `OnDelete` | `Delete` |
/// | progress without change | `bookmark` | `bookmark(resourceVersion:)` | – | `Bookmark` | – |
/// | a (re)list | – | `initStart`, `initObject`, `initDone` | the differences, as above | `Replace` | `Init`, `InitApply`, `InitDone` |
/// | a failure | `error(Status)` | ``WatcherError`` in ``Watcher/results`` | – | `Error` | `Err(watcher::Error)` |
public enum WatcherEvent<K: KubeObject>: Sendable {
    /// A (re)list begins: collect the following ``initObject(_:)`` events.
    case initStart
    /// One object of the current state.
    case initObject(K)
    /// The initial state is complete; `resourceVersion` is the state's version.
    case initDone(resourceVersion: String)
    /// An object was added (a watch `ADDED`).
    case added(K)
    /// An object was modified (a watch `MODIFIED`).
    case modified(K)
    /// An object was deleted; its last state.
    case deleted(K)
    /// The watch progressed to `resourceVersion` with no change (a watch `BOOKMARK`).
    case bookmark(resourceVersion: String)

    /// The object of ``initObject(_:)``, ``added(_:)``, ``modified(_:)`` and ``deleted(_:)``.
    public var object: K? {
        switch self {
        case .initObject(let object), .added(let object), .modified(let object), .deleted(let object): object
        case .initStart, .initDone, .bookmark: nil
        }
    }
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
        case .added(let object): .added(transform(object))
        case .modified(let object): .modified(transform(object))
        case .deleted(let object): .deleted(transform(object))
        case .initStart, .initDone, .bookmark: self
        }
    }
}
