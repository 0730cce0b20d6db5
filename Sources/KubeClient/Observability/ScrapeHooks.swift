import Synchronization

/// Gauges that are only meaningful when read ("seconds until the token expires", "age of the last
/// sync", "longest running work item") are computed at scrape time: the components that own them
/// register a hook here, and the metrics endpoint runs every hook before it renders.
///
/// A hook returns `false` once its owner is gone (it holds its owner weakly) and is then dropped.
package enum ScrapeHooks {
    package typealias Hook = @Sendable () async -> Bool

    private static let hooks = Mutex<[Int: Hook]>([:])
    private static let nextID = Atomic<Int>(0)

    /// Registers `hook`; the returned id removes it with ``remove(_:)``.
    @discardableResult
    package static func add(_ hook: @escaping Hook) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        hooks.withLock { $0[id] = hook }
        return id
    }

    package static func remove(_ id: Int) {
        _ = hooks.withLock { $0.removeValue(forKey: id) }
    }

    /// Runs every hook (in registration order), dropping those whose owner is gone.
    package static func runAll() async {
        let current = hooks.withLock { $0.sorted { $0.key < $1.key } }
        for (id, hook) in current where !(await hook()) {
            remove(id)
        }
    }
}
