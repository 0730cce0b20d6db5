import Foundation
import KubeCore
import Logging
import NIOConcurrencyHelpers

/// How an exec'd or attached process ended: the exit code from the status channel.
/// A non-zero exit is a result, not an error.
public struct ExecStatus: Sendable, Hashable {
    /// 0 for `Success`, else the code of kube's `NonZeroExitCode` status.
    public let exitCode: Int32
    /// The `Status` the kubelet sent.
    public let status: Status

    public var succeeded: Bool { exitCode == 0 }
}

/// Everything a finished process wrote, and how it ended (``AttachedProcess/output()``).
public struct ExecOutput: Sendable {
    public var stdout: Data
    public var stderr: Data
    public var status: ExecStatus

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A process in a container reached by `exec` or `attach` over WebSocket
/// (`v5.channel.k8s.io`, or `v4.channel.k8s.io` from an older server).
///
/// Read ``stdout`` and ``stderr`` as they arrive (each is buffered until read, so one may be
/// read after the other), write stdin with ``write(_:)``, and get the exit code with
/// ``status()``. Both streams end when the process does; if the connection ends without an
/// exit status (cut, or ``close()``), they and ``status()`` throw ``KubeError`` with code
/// ``KubeError/Code/streamClosed``. Safe to share between tasks.
public final class AttachedProcess: Sendable {
    /// What the process writes to stdout (empty when it was not requested).
    public let stdout: AsyncThrowingStream<Data, any Error>
    /// What the process writes to stderr (empty when not requested or with a tty).
    public let stderr: AsyncThrowingStream<Data, any Error>
    /// The subprotocol the server chose.
    public var subprotocol: String { socket.subprotocol }
    private let socket: ClientWebSocket
    private let sink: ExecSink

    init(socket: ClientWebSocket, sink: ExecSink) {
        self.socket = socket
        self.sink = sink
        self.stdout = sink.stdout
        self.stderr = sink.stderr
    }

    /// Writes to the process's stdin (the exec must have been opened with `stdin: true`).
    public func write(_ data: Data) async throws {
        var offset = data.startIndex
        while offset < data.endIndex {
            let end = data.index(offset, offsetBy: ChannelMessages.maxChunk, limitedBy: data.endIndex) ?? data.endIndex
            try await socket.send(ChannelMessages.frame(StreamChannel.stdin, Data(data[offset..<end])))
            offset = end
        }
    }

    public func write(_ text: String) async throws { try await write(Data(text.utf8)) }

    /// Closes stdin so the process sees end of file (v5's close signal). `v4.channel.k8s.io`
    /// cannot half-close: there it throws ``KubeError/Code/invalidRequest``; ``close()`` ends everything.
    public func closeStdin() async throws {
        guard socket.subprotocol == ChannelMessages.v5 else {
            throw KubeError(.invalidRequest, "\(socket.subprotocol) cannot close stdin alone (v5.channel.k8s.io can)")
        }
        try await socket.send(ChannelMessages.closeSignal(StreamChannel.stdin))
    }

    /// Tells a tty process its terminal size (the resize channel).
    public func resize(width: Int, height: Int) async throws {
        try await socket.send(ChannelMessages.resize(width: width, height: height))
    }

    /// Waits for the process to end and returns its exit status. Throws the server's error
    /// `Status` when the process could not run, ``KubeError/Code/streamClosed`` when the
    /// connection ended first.
    public func status() async throws -> ExecStatus {
        try await sink.result.value().get()
    }

    /// Reads stdout and stderr to their end and returns them with the exit status.
    public func output() async throws -> ExecOutput {
        async let err = Self.collect(stderr)
        let out = try await Self.collect(stdout)
        let errors = try await err
        return ExecOutput(stdout: out, stderr: errors, status: try await status())
    }

    /// Closes the connection (the process is no longer reachable; kube does not kill it).
    public func close() async {
        await socket.close()
    }

    private static func collect(_ stream: AsyncThrowingStream<Data, any Error>) async throws -> Data {
        var data = Data()
        for try await chunk in stream { data.append(chunk) }
        return data
    }
}

/// Feeds ``ExecStreamState``'s events into the streams of an ``AttachedProcess``.
final class ExecSink: WebSocketSink {
    let stdout: AsyncThrowingStream<Data, any Error>
    let stderr: AsyncThrowingStream<Data, any Error>
    let result = OnceValue<Result<ExecStatus, KubeError>>()
    private let stdoutInput: AsyncThrowingStream<Data, any Error>.Continuation
    private let stderrInput: AsyncThrowingStream<Data, any Error>.Continuation
    private let state = NIOLockedValueBox(ExecStreamState())

    init() {
        (stdout, stdoutInput) = AsyncThrowingStream.makeStream(of: Data.self)
        (stderr, stderrInput) = AsyncThrowingStream.makeStream(of: Data.self)
    }

    func received(_ message: Data) {
        switch state.withLockedValue({ $0.receive(message) }) {
        case .stdout(let data): stdoutInput.yield(data)
        case .stderr(let data): stderrInput.yield(data)
        case .finished(let outcome): finish(outcome)
        case nil: break
        }
    }

    func closed(clean: Bool) {
        finish(state.withLockedValue { $0.closed() })
    }

    private func finish(_ outcome: Result<ExecStatus, KubeError>) {
        switch outcome {
        case .success:
            stdoutInput.finish()
            stderrInput.finish()
        case .failure(let error):
            // The process's own failure Status ends the output cleanly; only a cut connection is an error there.
            let cut: (any Error)? = error.code == .streamClosed ? error : nil
            stdoutInput.finish(throwing: cut)
            stderrInput.finish(throwing: cut)
        }
        result.set(outcome)
    }
}

/// A value set once and awaited by any number of tasks (a waiter's cancellation throws for it alone).
final class OnceValue<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        var next: UInt64 = 0
    }

    private let state = NIOLockedValueBox(State())

    func set(_ value: Value) {
        let waiters = state.withLockedValue { state -> [CheckedContinuation<Value, any Error>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func value() async throws -> Value {
        let id = state.withLockedValue { state -> UInt64 in
            defer { state.next += 1 }
            return state.next
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                // Decided in one critical section, so the continuation is resumed exactly once.
                let ready = state.withLockedValue { state -> Result<Value, any Error>? in
                    if let value = state.value { return .success(value) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
