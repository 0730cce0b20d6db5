import KubeClient
import KubeCore
import Logging

/// What a ``Watcher`` watches and how.
public struct WatcherConfig: Sendable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    public var initialList: InitialListStrategy
    /// How long each watch request lasts on the server before it is resumed (client-go picks
    /// 5–10 minutes at random so that many watchers do not reconnect together).
    public var watchTimeout: Duration
    /// Seeds the backoff jitter (tests fix it; the default differs per watcher).
    public var jitterSeed: UInt64

    public init(
        labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil,
        initialList: InitialListStrategy = .list(pageSize: 500), watchTimeout: Duration = .seconds(Int64.random(in: 300...600)),
        jitterSeed: UInt64 = UInt64.random(in: 0...UInt64.max)
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.initialList = initialList
        self.watchTimeout = watchTimeout
        self.jitterSeed = jitterSeed
    }
}

/// A list-then-watch that never gives up: an `AsyncSequence` of ``WatcherEvent``s that
/// resumes after dropped connections and server timeouts, relists on `410 Gone`, and
/// backs off on failures (see ``WatcherStateMachine`` for the rules).
///
/// Failures are not thrown, because the watcher recovers from all of them; they are logged
/// (a 403 as an error naming the verb and resource) and reported as ``WatcherError``s, typed
/// by stage: iterate ``results`` to get them in order with the events (kube-rs's stream of
/// `Result`s), or pass `onError`. The sequence ends only when the consuming task is cancelled.
public struct Watcher<K: KubeObject>: AsyncSequence, Sendable {
    public typealias Element = WatcherEvent<K>
    let api: Api<K>
    let config: WatcherConfig
    let logger: Logger
    let onError: (@Sendable (WatcherError) -> Void)?
    /// Told each time a watch request is opened (the informer counts restarts with it).
    var onWatchOpened: (@Sendable () -> Void)?

    /// A watcher over `api` (its namespace or all namespaces).
    /// - Parameter onError: called with every failure the watcher recovers from
    ///   (a 403 keeps being retried with backoff: fix the RBAC and it recovers).
    public init(api: Api<K>, config: WatcherConfig = WatcherConfig(), logger: Logger? = nil, onError: (@Sendable (WatcherError) -> Void)? = nil) {
        self.api = api
        self.config = config
        self.logger = logger ?? api.client.logger
        self.onError = onError
    }

    /// The events only; failures go to `onError` and the log.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: Core(watcher: self)) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var core: Core

        public mutating func next() async -> WatcherEvent<K>? {
            while let result = await core.next() {
                if case .success(let event) = result { return event }
            }
            return nil
        }
    }

    /// The events and, in their place in the sequence, the failures the watcher recovered from.
    public var results: Results { Results(watcher: self) }

    /// See ``Watcher/results``.
    public struct Results: AsyncSequence, Sendable {
        public typealias Element = Result<WatcherEvent<K>, WatcherError>
        let watcher: Watcher

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(core: Core(watcher: watcher)) }

        public struct AsyncIterator: AsyncIteratorProtocol {
            var core: Core
            public mutating func next() async -> Result<WatcherEvent<K>, WatcherError>? { await core.next() }
        }
    }

    /// Performs the state machine's actions and reports failures.
    struct Core {
        let watcher: Watcher
        var machine: WatcherStateMachine<K>
        var pending: [WatcherStateMachine<K>.Action] = []
        var failures: [WatcherError] = []
        var stream: WatchStream<K>.AsyncIterator?
        var started = false
        /// When the open watch started and whether it delivered anything: a watch that ends at
        /// once with nothing is a failure (backoff), not a normal end — else a server that closes
        /// every watch immediately would make the watcher spin (client-go's "very short watch").
        var watchOpenedAt: ContinuousClock.Instant = .now
        var watchDelivered = false

        init(watcher: Watcher) {
            self.watcher = watcher
            self.machine = WatcherStateMachine(strategy: watcher.config.initialList, seed: watcher.config.jitterSeed)
        }

        mutating func next() async -> Result<WatcherEvent<K>, WatcherError>? {
            if !started {
                started = true
                pending = machine.step(.start, now: .now)
            }
            while !Task.isCancelled {
                if !failures.isEmpty { return .failure(failures.removeFirst()) }
                if pending.isEmpty {
                    // Nothing to do but read the open watch.
                    guard stream != nil else { return nil }  // cannot happen: every phase leaves an action
                    await readWatch()
                    continue
                }
                let action = pending.removeFirst()
                switch action {
                case .emit(let event):
                    return .success(event)
                case .sleep(let delay):
                    stream = nil
                    do { try await Task.sleep(for: delay) } catch { return nil }
                    pending += machine.step(.backoffElapsed, now: .now)
                case .list(let continueToken, let pageSize):
                    stream = nil
                    await list(continueToken: continueToken, pageSize: pageSize)
                case .watch(let resourceVersion, let sendInitialEvents):
                    openWatch(resourceVersion: resourceVersion, sendInitialEvents: sendInitialEvents)
                }
            }
            return nil
        }

        private mutating func list(continueToken: String?, pageSize: Int) async {
            let options = ListOptions(
                labelSelector: watcher.config.labelSelector, fieldSelector: watcher.config.fieldSelector, limit: pageSize,
                continueToken: continueToken)
            do {
                let page = try await watcher.api.list(options, logger: watcher.logger)
                pending += machine.step(
                    .listPage(items: page.items, resourceVersion: page.metadata.resourceVersion ?? "", continueToken: page.metadata.continue),
                    now: .now)
            } catch {
                pending += failed(error, stage: .initialListFailed)
            }
        }

        private mutating func openWatch(resourceVersion: String?, sendInitialEvents: Bool) {
            let seconds = Int(watcher.config.watchTimeout.components.seconds)
            let options = WatchOptions(
                labelSelector: watcher.config.labelSelector, fieldSelector: watcher.config.fieldSelector, resourceVersion: resourceVersion,
                timeoutSeconds: Swift.max(seconds, 1), allowWatchBookmarks: true, sendInitialEvents: sendInitialEvents ? true : nil,
                resourceVersionMatch: sendInitialEvents ? .notOlderThan : nil)
            do {
                stream = try watcher.api.watch(options, logger: watcher.logger).makeAsyncIterator()
                watcher.onWatchOpened?()
                watchOpenedAt = .now
                watchDelivered = false
            } catch {
                stream = nil
                pending += failed(error, stage: .watchStartFailed)
            }
        }

        private mutating func readWatch() async {
            do {
                if let event = try await stream?.next() {
                    watchDelivered = true
                    if case .error(let status) = event {
                        stream = nil
                        report(KubeError(status: status), stage: .watchFailed)
                    }
                    pending += machine.step(.event(event), now: .now)
                } else {
                    stream = nil
                    if !watchDelivered && ContinuousClock.now - watchOpenedAt < .seconds(1) {
                        watcher.logger.warning("the watch of \(watcher.api.resource.plural) ended at once without events; backing off")
                        report(WatchEndedWithoutEvents(), stage: .watchFailed)
                        pending += machine.step(.failed(gone: false, invalid: false), now: .now)
                    } else {
                        pending += machine.step(.watchEnded, now: .now)
                    }
                }
            } catch {
                stream = nil
                // Before the first event the watch request itself failed (its answer or its connection).
                pending += failed(error, stage: watchDelivered ? .watchFailed : .watchStartFailed)
            }
        }

        private mutating func report(_ cause: any Error, stage: WatcherError.Stage) {
            let error = WatcherError(stage, cause: cause, resource: watcher.api.resource.plural)
            watcher.onError?(error)
            failures.append(error)
        }

        private mutating func failed(_ error: any Error, stage: WatcherError.Stage) -> [WatcherStateMachine<K>.Action] {
            if Task.isCancelled || error is CancellationError { return [] }
            let kubeError = error as? KubeError
            let resource = watcher.api.resource.plural
            let verb = stage == .initialListFailed ? "list" : "watch"
            if let kubeError, kubeError.isForbidden {
                watcher.logger.error(
                    "the watcher may not \(verb) \(resource): \(kubeError.message)", metadata: ["resource": "\(resource)", "verb": "\(verb)"])
            } else if !(kubeError?.isGone ?? false) {
                watcher.logger.warning("\(verb) of \(resource) failed, will retry: \(error)")
            }
            report(error, stage: stage)
            let gone = kubeError?.isGone ?? false
            // A server that rejects `sendInitialEvents` answers 400/422/403-free "invalid".
            let invalid = kubeError.map { $0.isInvalid || $0.statusCode == 400 } ?? false
            return machine.step(.failed(gone: gone, invalid: invalid), now: .now)
        }
    }
}
