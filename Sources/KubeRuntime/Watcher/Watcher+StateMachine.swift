import KubeCore

/// The watcher's decisions as a pure state machine: inputs are what happened on
/// the wire, outputs are what to do next. No I/O, no clock, no randomness of its own
/// (a seeded generator), so every path is tested without a network.
///
/// The semantics (client-go reflector, kube-rs watcher):
/// - list (paginated or streaming), then watch from the list's resourceVersion with bookmarks;
/// - a watch that ends normally (server timeout, closed stream) resumes from the last
///   seen resourceVersion at once; that is not a failure;
/// - `410 Gone` / "too old resource version" relists at once;
/// - other failures back off from 0.8 s doubling to 30 s with jitter, and the backoff
///   resets after two minutes without failure.
struct WatcherStateMachine<K: KubeObject> {
    enum Input {
        case start
        /// One page of the initial list.
        case listPage(items: [K], resourceVersion: String, continueToken: String?)
        /// A watch event; for a streaming list, the initial `ADDED`s come this way too.
        case event(WatchEvent<K>)
        /// The watch stream ended without an error.
        case watchEnded
        /// A list or watch request failed; `gone` for 410 / expired resourceVersion.
        case failed(gone: Bool, invalid: Bool)
        /// The backoff sleep requested by ``Action/sleep(_:)`` is over.
        case backoffElapsed
    }

    enum Action {
        case list(continueToken: String?, pageSize: Int)
        case watch(resourceVersion: String?, sendInitialEvents: Bool)
        case emit(WatcherEvent<K>)
        case sleep(Duration)
    }

    enum Phase: Equatable {
        case idle
        case listing(continueToken: String?)
        case streaming
        case watching(resourceVersion: String)
        /// Waiting out a backoff, then doing `after`.
        case backingOff(after: Resume)
    }

    enum Resume: Equatable {
        case relist
        case rewatch(resourceVersion: String)
    }

    private(set) var phase: Phase = .idle
    private(set) var strategy: InitialListStrategy
    private var failures = 0
    private var healthySince: ContinuousClock.Instant?
    private var listRestartedAfterGone = false
    private var random: SplitMix64

    static var initialBackoff: Duration { .milliseconds(800) }
    static var maxBackoff: Duration { .seconds(30) }
    static var resetAfter: Duration { .seconds(120) }

    init(strategy: InitialListStrategy, seed: UInt64) {
        self.strategy = strategy
        self.random = SplitMix64(seed: seed)
    }

    /// The next backoff: 0.8 s · 2^failures with ±50 % jitter, at most 30 s.
    private mutating func nextBackoff() -> Duration {
        let exponent = min(failures, 10)
        let base = min(Self.initialBackoff * (1 << exponent), Self.maxBackoff)
        failures += 1
        let factor = 0.5 + Double(random.next() % 1000) / 1000.0  // [0.5, 1.5)
        return min(base * factor, Self.maxBackoff)
    }

    private func beginList() -> [Action] {
        switch strategy {
        case .list(let pageSize): [.emit(.initStart), .list(continueToken: nil, pageSize: pageSize)]
        case .streamingList: [.emit(.initStart), .watch(resourceVersion: nil, sendInitialEvents: true)]
        }
    }

    private mutating func relist() -> [Action] {
        listRestartedAfterGone = false
        switch strategy {
        case .list: phase = .listing(continueToken: nil)
        case .streamingList: phase = .streaming
        }
        return beginList()
    }

    mutating func step(_ input: Input, now: ContinuousClock.Instant) -> [Action] {
        switch (phase, input) {
        case (.idle, .start):
            return relist()

        case (.listing, .listPage(let items, let resourceVersion, let continueToken)):
            healthy(now)
            var actions = items.map { Action.emit(.initObject($0)) }
            if let continueToken, !continueToken.isEmpty, case .list(let pageSize) = strategy {
                phase = .listing(continueToken: continueToken)
                actions.append(.list(continueToken: continueToken, pageSize: pageSize))
            } else {
                phase = .watching(resourceVersion: resourceVersion)
                actions.append(.emit(.initDone(resourceVersion: resourceVersion)))
                actions.append(.watch(resourceVersion: resourceVersion, sendInitialEvents: false))
            }
            return actions

        case (.streaming, .event(let event)):
            healthy(now)
            switch event {
            case .added(let object), .modified(let object):
                return [.emit(.initObject(object))]
            case .deleted:
                return []  // cannot happen before the initial state is complete
            case .bookmark(let bookmark):
                guard bookmark.isInitialEventsEnd else { return [] }
                phase = .watching(resourceVersion: bookmark.resourceVersion)
                return [.emit(.initDone(resourceVersion: bookmark.resourceVersion))]
            case .error(let status):
                return fail(gone: status.code == 410, invalid: false, now: now)
            }

        case (.streaming, .watchEnded):
            // The stream ended before the initial state was complete: start over.
            return relist()

        case (.watching(let current), .event(let event)):
            healthy(now)
            switch event {
            case .added(let object):
                phase = .watching(resourceVersion: object.metadata.resourceVersion ?? current)
                return [.emit(.added(object))]
            case .modified(let object):
                phase = .watching(resourceVersion: object.metadata.resourceVersion ?? current)
                return [.emit(.modified(object))]
            case .deleted(let object):
                phase = .watching(resourceVersion: object.metadata.resourceVersion ?? current)
                return [.emit(.deleted(object))]
            case .bookmark(let bookmark):
                guard !bookmark.resourceVersion.isEmpty else { return [] }
                phase = .watching(resourceVersion: bookmark.resourceVersion)
                return [.emit(.bookmark(resourceVersion: bookmark.resourceVersion))]
            case .error(let status):
                return fail(gone: status.code == 410, invalid: false, now: now)
            }

        case (.watching(let resourceVersion), .watchEnded):
            // Server timeouts are normal: resume where we are, at once.
            return [.watch(resourceVersion: resourceVersion, sendInitialEvents: false)]

        case (.listing, .failed(let gone, let invalid)), (.streaming, .failed(let gone, let invalid)),
            (.watching, .failed(let gone, let invalid)):
            return fail(gone: gone, invalid: invalid, now: now)

        case (.backingOff(let after), .backoffElapsed):
            switch after {
            case .relist:
                return relist()
            case .rewatch(let resourceVersion):
                phase = .watching(resourceVersion: resourceVersion)
                return [.watch(resourceVersion: resourceVersion, sendInitialEvents: false)]
            }

        default:
            // An input that does not fit the phase (a late event after a failure): ignore it.
            return []
        }
    }

    private mutating func healthy(_ now: ContinuousClock.Instant) {
        if healthySince == nil { healthySince = now }
    }

    private mutating func fail(gone: Bool, invalid: Bool, now: ContinuousClock.Instant) -> [Action] {
        if let since = healthySince, now - since >= Self.resetAfter { failures = 0 }
        healthySince = nil
        if invalid, strategy == .streamingList {
            // The server does not support streaming lists: fall back to paginated lists.
            strategy = .list(pageSize: 500)
            return relist()
        }
        let listing: Bool
        switch phase {
        case .listing, .streaming: listing = true
        default: listing = false
        }
        if gone {
            // A continue token or resourceVersion too old: relist, at once the first time.
            if !(listing && listRestartedAfterGone) {
                let actions = relist()
                listRestartedAfterGone = listing
                return actions
            }
            phase = .backingOff(after: .relist)
            return [.sleep(nextBackoff())]
        }
        switch phase {
        case .watching(let resourceVersion):
            phase = .backingOff(after: .rewatch(resourceVersion: resourceVersion))
        default:
            phase = .backingOff(after: .relist)
        }
        return [.sleep(nextBackoff())]
    }
}

extension WatcherStateMachine.Action: Equatable where K: Equatable {}

/// A small seeded generator (SplitMix64) for backoff jitter.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
