import Synchronization

/// A one-shot answer: the first ``resolve(_:)`` resumes the installed continuation,
/// later ones are ignored. Used to race a handler against its timeout without waiting
/// for the loser.
final class ResultGate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, Never>?
        var resolved = false
        var cleanups: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Returns `true` when this call delivered the answer.
    @discardableResult
    func resolve(_ value: T) -> Bool {
        let (continuation, cleanups) = state.withLock { state -> (CheckedContinuation<T, Never>?, [@Sendable () -> Void]) in
            guard !state.resolved else { return (nil, []) }
            state.resolved = true
            defer {
                state.continuation = nil
                state.cleanups = []
            }
            return (state.continuation, state.cleanups)
        }
        guard let continuation else { return false }
        for cleanup in cleanups { cleanup() }
        continuation.resume(returning: value)
        return true
    }

    /// Runs `cleanup` once the answer is delivered (at once if it already is).
    func onResolve(_ cleanup: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.resolved { return true }
            state.cleanups.append(cleanup)
            return false
        }
        if now { cleanup() }
    }
}
