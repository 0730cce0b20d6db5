import Foundation
import KubeCore

/// What a watch stream carries, in order.
enum WatchOutput: Sendable {
    /// An object event; `serialized` (from the history) lets watches share one encoding.
    case event(type: String, object: JSONValue, serialized: SerializedObject? = nil)
    /// A BOOKMARK at this revision; `initialEventsEnd` marks the end of `sendInitialEvents`.
    case bookmark(revision: Int64, initialEventsEnd: Bool)
    /// An ERROR event (410 for too-old versions); the stream ends after it.
    case error(APIError)
    /// Cut the connection without a clean end (fault injection).
    case cut
}

/// Where a watch starts.
enum WatchStart: Sendable {
    /// Synthetic ADDED events for the current state first; with `endBookmark`, then the
    /// `k8s.io/initial-events-end` BOOKMARK (`sendInitialEvents=true`).
    case initialState(endBookmark: Bool)
    /// Events after this revision (resume).
    case after(Int64)
}

struct Watcher: Sendable {
    var resource: GroupResource
    var filter: ObjectFilter
    var continuation: AsyncStream<[WatchOutput]>.Continuation
}

extension ObjectStore {
    /// Registers a watch. The returned stream ends when the watch is stopped
    /// (timeout, fault, shutdown) or after an ERROR. Its elements are batches in order: the
    /// initial events (current state or history replay) come as one batch, so the HTTP side
    /// can write them in large chunks.
    func watch(_ resource: GroupResource, filter: ObjectFilter, start: WatchStart) -> (id: UInt64, stream: AsyncStream<[WatchOutput]>) {
        let (stream, continuation) = AsyncStream<[WatchOutput]>.makeStream()
        var initial: [WatchOutput] = []
        let id = nextWatcherID
        nextWatcherID += 1
        switch start {
        case .initialState(let endBookmark):
            let current = objects[resource] ?? [:]
            for key in current.keys.sorted() where filter.matches(current[key]!) {
                initial.append(.event(type: "ADDED", object: current[key]!))
            }
            if endBookmark { initial.append(.bookmark(revision: revision, initialEventsEnd: true)) }
        case .after(let from):
            if from < compactedRevision {
                continuation.yield([.error(APIError.tooOldResourceVersion(from, oldest: compactedRevision + 1))])
                continuation.finish()
                return (id, stream)
            }
            for event in history where event.revision > from && event.resource == resource {
                if let output = Self.output(for: event, filter: filter) { initial.append(output) }
            }
        }
        if !initial.isEmpty { continuation.yield(initial) }
        watchers[id] = Watcher(resource: resource, filter: filter, continuation: continuation)
        continuation.onTermination = { [weak self] _ in
            guard let self else { return }
            Task { await self.removeWatcher(id) }
        }
        return (id, stream)
    }

    /// The event a watcher with `filter` sees: objects moving out of the selection
    /// are DELETED (carrying their last matching state), objects moving in are ADDED
    /// (like the watch cache).
    static func output(for event: StoredEvent, filter: ObjectFilter) -> WatchOutput? {
        switch event.kind {
        case .added:
            return filter.matches(event.object) ? .event(type: "ADDED", object: event.object, serialized: event.serialized) : nil
        case .deleted:
            return filter.matches(event.object) ? .event(type: "DELETED", object: event.object, serialized: event.serialized) : nil
        case .modified:
            let now = filter.matches(event.object)
            let before = event.previous.map(filter.matches) ?? false
            switch (before, now) {
            case (true, true): return .event(type: "MODIFIED", object: event.object, serialized: event.serialized)
            case (false, true): return .event(type: "ADDED", object: event.object, serialized: event.serialized)
            case (true, false):
                // Like the watch cache: the object as the watcher last saw it (still
                // matching), at the resourceVersion of the write that moved it out.
                guard var last = event.previous else { return .event(type: "DELETED", object: event.object, serialized: event.serialized) }
                last["metadata"]?["resourceVersion"] = event.object["metadata"]?["resourceVersion"]
                return .event(type: "DELETED", object: last)
            case (false, false): return nil
            }
        }
    }

    func fanOut(_ event: StoredEvent) {
        for watcher in watchers.values where watcher.resource == event.resource {
            if let output = Self.output(for: event, filter: watcher.filter) { watcher.continuation.yield([output]) }
        }
    }

    /// Sends a BOOKMARK at the current revision to one watch.
    func bookmark(_ id: UInt64) {
        watchers[id]?.continuation.yield([.bookmark(revision: revision, initialEventsEnd: false)])
    }

    /// Ends one watch cleanly (its timeout).
    func endWatch(_ id: UInt64) {
        watchers.removeValue(forKey: id)?.continuation.finish()
    }

    func removeWatcher(_ id: UInt64) {
        watchers.removeValue(forKey: id)
    }

    /// Ends every watch: cut abruptly (`cut == true`, a fault) or cleanly (shutdown).
    func endAllWatches(cut: Bool) {
        let all = watchers.values
        watchers.removeAll()
        for watcher in all {
            if cut { watcher.continuation.yield([.cut]) }
            watcher.continuation.finish()
        }
    }

    var watchCount: Int { watchers.count }
}
