import Synchronization

/// Runs `operation` with a hard time limit: the answer is `nil` when `limit` passes (or the
/// calling task is cancelled, if `cancellable`) first.
///
/// Why not a task group: a group waits for its children, so the bound would hold only as long
/// as the request honours cancellation promptly. Leadership must not depend on that, so the
/// operation runs in its own task, is cancelled when the limit passes, and its late result is
/// dropped (a late Lease write is harmless: it carries the `resourceVersion` it read).
func withTimeLimit<T: Sendable>(
    _ limit: Duration, clock: any LeaderElectionClock, cancellable: Bool = true, _ operation: @escaping @Sendable () async -> T
) async -> T? {
    guard limit > .zero else { return nil }
    let race = TimeLimitRace<T>()
    return await withTaskCancellationHandler {
        await withCheckedContinuation { continuation in
            race.start(
                continuation, operation: Task { race.finish(await operation()) },
                timer: Task {
                    try? await clock.sleep(for: limit)
                    race.finish(nil)
                })
        }
    } onCancel: {
        if cancellable { race.finish(nil) }
    }
}

/// The first of (operation, timer, cancellation) to finish resumes the caller; the others are cancelled.
private final class TimeLimitRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var result: T??
        var tasks: [Task<Void, Never>] = []
    }
    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<T?, Never>, operation: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished: T?? = state.withLock { state in
            state.tasks = [operation, timer]
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let finished {
            operation.cancel()
            timer.cancel()
            continuation.resume(returning: finished)
        }
    }

    func finish(_ value: T?) {
        let (continuation, tasks): (CheckedContinuation<T?, Never>?, [Task<Void, Never>]) = state.withLock { state in
            guard state.result == nil else { return (nil, []) }
            state.result = .some(value)
            defer { state.continuation = nil }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(returning: value)
    }
}
