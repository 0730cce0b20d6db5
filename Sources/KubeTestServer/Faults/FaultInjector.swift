import Foundation
import Synchronization

/// The fault state the request path consults.
final class FaultState: Sendable {
    struct Failure: Sendable {
        var remaining: Int
        var status: Int
        var retryAfterSeconds: Int?
        var pathContains: String?
    }

    struct State: Sendable {
        var failures: [Failure] = []
        var expireNextWatches = 0
        var responseDelay: Duration = .zero
    }

    let state = Mutex(State())
    /// Stalled heads and bodies (``FaultInjector/stallNextResponses(_:pathContains:watchesOnly:)``).
    let stalls = StallFaults()
    /// Open connections, for ``FaultInjector/blackHoleConnections(listener:)``.
    let connections = ConnectionFaults()

    /// The injected failure for this request path, if one is pending (consumes it).
    func takeFailure(path: String) -> Failure? {
        state.withLock { state in
            guard let index = state.failures.firstIndex(where: { $0.remaining > 0 && ($0.pathContains.map(path.contains) ?? true) }) else {
                return nil
            }
            state.failures[index].remaining -= 1
            let failure = state.failures[index]
            if failure.remaining == 0 { state.failures.remove(at: index) }
            return failure
        }
    }

    /// `true` once per `expireNextWatch()` call.
    func takeWatchExpiry() -> Bool {
        state.withLock { state in
            guard state.expireNextWatches > 0 else { return false }
            state.expireNextWatches -= 1
            return true
        }
    }

    var responseDelay: Duration { state.withLock { $0.responseDelay } }
}

/// In-process fault control for reliability tests. The admin can drive the same
/// controls over HTTP: `POST /_control/faults` with a JSON body
/// `{"action": "failNextRequests", "count": 3, "status": 429, "retryAfterSeconds": 1, "pathContains": "/pods"}`
/// (actions: `failNextRequests`, `expireNextWatch`, `dropAllWatches`, `setResponseDelay`
/// with `milliseconds`, `compactHistory`, `rotateSigningKey`, `expireAllTokens`, `clear`,
/// and `stopListener` / `startListener` with `index`, which call
/// ``KubeTestServer/stopListener(_:)`` / ``KubeTestServer/startListener(_:)``;
/// `stallNextResponses` with `count` and optional `pathContains`, `watchesOnly`;
/// `stallNextResponseBodies` with `count`, `afterBytes` and optional `pathContains`;
/// `blackHoleConnections` with optional `index` (a listener), which spares the connection
/// carrying the control request and answers `{"message": "<n> connections"}`).
public struct FaultInjector: Sendable {
    let state: FaultState
    let store: ObjectStore
    let tokens: TokenAuthority

    /// The next `count` requests (whose path contains `pathContains`, when given) are
    /// answered with `status` and a matching `Status` body; `retryAfterSeconds` sets
    /// `Retry-After` and `details.retryAfterSeconds` (429 and 503 are the usual ones).
    public func failNextRequests(_ count: Int, status: Int, retryAfterSeconds: Int? = nil, pathContains: String? = nil) {
        guard count > 0 else { return }
        state.state.withLock {
            $0.failures.append(.init(remaining: count, status: status, retryAfterSeconds: retryAfterSeconds, pathContains: pathContains))
        }
    }

    /// The next watch request gets a `410 Expired` ERROR event instead of events, as
    /// when its resourceVersion fell out of the watch cache.
    public func expireNextWatch() {
        state.state.withLock { $0.expireNextWatches += 1 }
    }

    /// Cuts every open watch connection now (no clean end of the response).
    public func dropAllWatches() async {
        await store.endAllWatches(cut: true)
    }

    /// Delays every response by `delay` (`.zero` turns it off).
    public func setResponseDelay(_ delay: Duration) {
        state.state.withLock { $0.responseDelay = delay }
    }

    /// Compacts the history now: lists at exact older versions, older continue tokens
    /// and watches from older versions get 410 from now on.
    public func compactHistory() async {
        await store.compact()
    }

    /// Replaces the service account signing key: every token minted so far is refused
    /// with 401 (the admin token and client certificates keep working).
    public func rotateSigningKey() async {
        await tokens.rotate()
    }

    /// Refuses (401) every service account token minted before now; new ones work.
    public func expireAllTokens() async {
        await tokens.expireAll()
    }

    /// Clears pending failures, watch expiries and the response delay, and pending stalls.
    /// Connections already black-holed stay dead.
    public func clear() {
        state.state.withLock { $0 = FaultState.State() }
        state.stalls.clear()
    }
}

// MARK: - Stalls and black holes (hangs a real network produces)

extension FaultInjector {
    /// The next `count` requests (whose path contains `pathContains`, when given; only
    /// watches with `watchesOnly`) are accepted and never answered: no response head, the
    /// stream or connection stays open until the client gives up (then the server lets go).
    public func stallNextResponses(_ count: Int, pathContains: String? = nil, watchesOnly: Bool = false) {
        state.stalls.add(.init(kind: .head, remaining: count, pathContains: pathContains, watches: watchesOnly ? true : nil))
    }

    /// The next `count` non-watch requests (whose path contains `pathContains`, when given)
    /// are answered with their real status, headers (with the full `Content-Length`) and the
    /// first `afterBytes` bytes of the body (at most all but one), then nothing more: the
    /// response stays incomplete until the client gives up.
    public func stallNextResponseBodies(_ count: Int, afterBytes: Int, pathContains: String? = nil) {
        state.stalls.add(.init(kind: .body(afterBytes: max(0, afterBytes)), remaining: count, pathContains: pathContains, watches: false))
    }

    /// How many responses the stall faults have held so far.
    public var stalledResponses: Int { state.stalls.served }

    /// Black-holes every connection open now (on listener `listener`, when given), as when a
    /// peer hangs or a network path dies without a reset: the server stops reading and
    /// writing on them without closing them (bytes from the client are dropped unread, no
    /// FIN or RST is ever sent). New connections work normally. A black-holed connection ends
    /// when the client closes it or the listener stops. Returns how many were black-holed.
    @discardableResult
    public func blackHoleConnections(listener: Int? = nil) async -> Int {
        await state.connections.blackHole(listener: listener, except: nil)
    }
}
