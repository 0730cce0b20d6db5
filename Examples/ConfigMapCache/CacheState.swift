import Crypto
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime
import Synchronization

/// The controller's cache and its record of failures, shared by the watch loop and the
/// watcher's error callback.
final class CacheState: Sendable {
    struct Disruption: Sendable {
        /// Wall-clock seconds: the last event before the failure, the failure, the first event after.
        var lastEventBefore: Double
        var failedAt: Double
        var recoveredAt: Double?
    }

    struct State: Sendable {
        var pending: [String: String]?
        var cache: [String: String] = [:]
        var events = 0
        var lastEventAt = Date().timeIntervalSince1970
        var disruptions: [Disruption] = []
        var recoveredFailures = 0
        var errorsSurfaced = 0
        var unauthorized = 0
        var forbidden = 0
        var lists = 0
        var firstErrors: [String] = []
    }

    let marker: String?
    private let state = Mutex(State())

    init(marker: String?) { self.marker = marker }

    /// Applies one watcher event; `true` once the marker ConfigMap is in the cache.
    func apply(_ event: WatcherEvent<ConfigMap>) -> Bool {
        let now = Date().timeIntervalSince1970
        return state.withLock { state in
            if case .initStart = event {
                // The watcher's own marker that a list starts, not something the server sent.
                state.pending = [:]
                return false
            }
            state.events += 1
            state.lastEventAt = now
            if let last = state.disruptions.indices.last, state.disruptions[last].recoveredAt == nil {
                state.disruptions[last].recoveredAt = now
            }
            switch event {
            case .initStart: break
            case .initObject(let object): state.pending?[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? ""
            case .initDone:
                state.cache = state.pending ?? [:]
                state.pending = nil
            case .added(let object), .modified(let object): state.cache[object.metadata.name ?? ""] = object.metadata.resourceVersion ?? ""
            case .deleted(let object): state.cache[object.metadata.name ?? ""] = nil
            case .bookmark: break
            }
            guard let marker else { return false }
            return state.pending == nil && state.cache[marker] != nil
        }
    }

    /// A failure the watcher reports (it retries every one of them itself).
    func failed(_ error: KubeError) {
        let now = Date().timeIntervalSince1970
        state.withLock { state in
            if Self.isRecoverable(error) {
                state.recoveredFailures += 1
                if state.disruptions.last.map({ $0.recoveredAt != nil }) ?? true {
                    state.disruptions.append(Disruption(lastEventBefore: state.lastEventAt, failedAt: now))
                }
            } else {
                Self.surface(error, &state)
            }
        }
    }

    /// The outcome of one `list` of the list loop.
    func listed(_ error: (any Error)?) {
        state.withLock { state in
            state.lists += 1
            guard let error else { return }
            if let error = error as? KubeError {
                Self.surface(error, &state)
            } else {
                state.errorsSurfaced += 1
                Self.keep("error: list: \(error)", &state)
            }
        }
    }

    /// Connection failures, timeouts, 410 (relist), 429 and 5xx are what a watcher is
    /// for; anything else needs a person (RBAC, credentials, CA, a bug).
    static func isRecoverable(_ error: KubeError) -> Bool {
        if [.transport, .timeout, .watchIdleTimeout].contains(error.code) { return true }
        return error.isGone || error.isTooManyRequests || (error.statusCode ?? 0) >= 500
    }

    private static func surface(_ error: KubeError, _ state: inout State) {
        state.errorsSurfaced += 1
        if error.isUnauthorized { state.unauthorized += 1 }
        if error.isForbidden { state.forbidden += 1 }
        let kind = error.isForbidden ? "Forbidden" : error.isUnauthorized ? "Unauthorized" : error.reason ?? error.code.description
        keep("error: \(kind): \(error.message)", &state)
    }

    private static func keep(_ line: String, _ state: inout State) {
        // Every surfaced error is printed once per distinct message, so a retried 403 does not flood the log.
        guard !state.firstErrors.contains(line) else { return }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        if state.firstErrors.count < 20 { state.firstErrors.append(line) }
    }

    /// One JSON line with the digest and the figures.
    func report() -> String {
        state.withLock { state in
            let lines = state.cache.filter { $0.key != marker }.map { "\($0.key)=\($0.value)\n" }.sorted().joined()
            let digest = SHA256.hash(data: Data(lines.utf8)).map { String(format: "%02x", $0) }.joined()
            let disruptions: [[String: Double]] = state.disruptions.map { disruption in
                var entry = ["lastEventBefore": disruption.lastEventBefore, "failedAt": disruption.failedAt]
                if let recoveredAt = disruption.recoveredAt {
                    entry["recoveredAt"] = recoveredAt
                    entry["seconds"] = recoveredAt - disruption.lastEventBefore
                }
                return entry
            }
            let report: [String: Any] = [
                "digest": digest, "objects": state.cache.filter { $0.key != marker }.count, "events": state.events,
                "markerSeen": marker.map { state.cache[$0] != nil } ?? false,
                "disruptions": disruptions, "recoveredFailures": state.recoveredFailures, "errorsSurfaced": state.errorsSurfaced,
                "unauthorized": state.unauthorized, "forbidden": state.forbidden, "lists": state.lists, "errors": state.firstErrors,
            ]
            let data = (try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])) ?? Data("{}".utf8)
            return String(decoding: data, as: UTF8.self)
        }
    }
}
