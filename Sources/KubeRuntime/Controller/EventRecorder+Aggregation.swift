/// The event recorder's memory of recent events, pure: which (object, type, reason, action,
/// note) was recorded as which Event, how often, since when. Bounded: at most `capacity` keys
/// (client-go's event correlator keeps an LRU of 4096), the least recently used forgotten first —
/// a forgotten key only means its next occurrence creates a new Event instead of counting up.
struct EventAggregator: Sendable {
    struct Key: Hashable, Sendable { let uid: String, namespace: String, type: String, reason: String, action: String, note: String }
    struct Seen: Sendable { var name: String; var count: Int32; var first: ContinuousClock.Instant }

    enum Decision: Equatable {
        /// New (or outside the window): create an Event, then call ``created(_:name:now:)``.
        case create
        /// A repeat within the window: patch Event `name`'s series to `count`.
        case patch(name: String, count: Int32)
    }

    let window: Duration
    private var seen: LRUCache<Key, Seen>

    init(window: Duration, capacity: Int) {
        self.window = window
        self.seen = LRUCache(capacity: max(1, capacity))
    }

    /// How many keys are remembered (at most the capacity).
    var count: Int { seen.count }

    mutating func decide(_ key: Key, now: ContinuousClock.Instant) -> Decision {
        guard var entry = seen[key], now - entry.first < window else { return .create }
        entry.count += 1
        seen.set(key, entry)
        return .patch(name: entry.name, count: entry.count)
    }

    mutating func created(_ key: Key, name: String, now: ContinuousClock.Instant) {
        seen.set(key, Seen(name: name, count: 1, first: now))
    }
}
