import KubeClient

/// A failure a ``Watcher`` recovered from, with the stage it happened in (kube-rs's
/// `watcher::Error`: `InitialListFailed`, `WatchStartFailed`, `WatchFailed`). The watcher
/// retries by itself (relist at once after `410 Gone`, else with backoff); these are for
/// observing it — health checks, metrics, surfacing a 403 to the user.
public struct WatcherError: Error, Sendable, CustomStringConvertible {
    /// Where in the list-then-watch cycle it failed. New stages may be added.
    public struct Stage: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable { case initialListFailed, watchStartFailed, watchFailed }
        fileprivate let base: Base
        /// A page of the initial list (or of a relist) failed.
        public static let initialListFailed = Stage(base: .initialListFailed)
        /// A watch request failed before it delivered anything: connection, TLS, a non-2xx
        /// answer (such as 410 for a resourceVersion too old, or 403).
        public static let watchStartFailed = Stage(base: .watchStartFailed)
        /// An open watch failed: the connection broke or went idle, an event could not be
        /// decoded, the server sent an `ERROR` event (410 Gone: the watcher relists), or the
        /// watch ended at once without events.
        public static let watchFailed = Stage(base: .watchFailed)

        public var description: String {
            switch base {
            case .initialListFailed: "initialListFailed"
            case .watchStartFailed: "watchStartFailed"
            case .watchFailed: "watchFailed"
            }
        }
    }

    public let stage: Stage
    /// The cause, whole: usually a `KubeError`.
    public let cause: any Error
    /// The resource watched (its plural, `configmaps`).
    public let resource: String

    /// The cause as a `KubeError` (status code, reason, `isGone`, `isForbidden`, …), when it is one.
    public var kubeError: KubeError? { cause as? KubeError }

    init(_ stage: Stage, cause: any Error, resource: String) {
        self.stage = stage
        self.cause = cause
        self.resource = resource
    }

    public var description: String { "watcher of \(resource): \(stage): \(cause)" }
}

/// The cause of a ``WatcherError/Stage/watchFailed`` for a watch that the server ended at once
/// without a single event (client-go's "very short watch"), which the watcher backs off from.
struct WatchEndedWithoutEvents: Error, CustomStringConvertible {
    var description: String { "the watch ended at once without events" }
}
