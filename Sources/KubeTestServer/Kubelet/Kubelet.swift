import Foundation
import Synchronization

extension KubeTestServer {
    /// The kubelet side of the pods a test creates: what `pods/exec`, `pods/attach`,
    /// `pods/portforward` and `pods/log` reach. There are no containers, so a test says
    /// what each one does: an exec handler gets the command and the streams, a port
    /// handler gets one forwarded connection, a ``ContainerLog`` is a log the test appends to.
    ///
    /// Handlers are looked up by namespace, pod and container; one registered with
    /// `container: nil` serves every container of that pod that has no handler of its own.
    /// Registering again replaces the earlier handler.
    public final class Kubelet: Sendable {
        /// Runs one `exec` (or `attach`: the command is empty) and returns its exit code;
        /// a non-zero code reaches the client as kube's `NonZeroExitCode` status. A thrown
        /// error reaches it as an `InternalError` status with the error's description.
        public typealias ExecHandler = @Sendable (Exec) async throws -> Int32
        /// Serves one forwarded connection; returning closes it.
        public typealias PortHandler = @Sendable (PortConnection) async throws -> Void

        struct Key: Hashable {
            var namespace: String
            var pod: String
            var container: String?
        }

        private struct State {
            var exec: [Key: ExecHandler] = [:]
            var attach: [Key: ExecHandler] = [:]
            var ports: [String: PortHandler] = [:]
            var logs: [Key: ContainerLog] = [:]
        }

        private let state = Mutex(State())

        init() {}

        /// Serves `kubectl exec` / ``exec`` for the container (every container of the pod when `nil`).
        public func handleExec(namespace: String = "default", pod: String, container: String? = nil, _ handler: @escaping ExecHandler) {
            state.withLock { $0.exec[Key(namespace: namespace, pod: pod, container: container)] = handler }
        }

        /// Serves `kubectl attach`: the handler is the container's main process.
        public func handleAttach(namespace: String = "default", pod: String, container: String? = nil, _ handler: @escaping ExecHandler) {
            state.withLock { $0.attach[Key(namespace: namespace, pod: pod, container: container)] = handler }
        }

        /// Listens on `port` inside the pod: every forwarded connection runs `handler`. A port
        /// with no handler answers like a port nobody listens on (connection refused).
        public func handlePort(namespace: String = "default", pod: String, port: Int, _ handler: @escaping PortHandler) {
            state.withLock { $0.ports[Self.portKey(namespace, pod, port)] = handler }
        }

        /// The log of a container, created empty on first use. Once a container has one,
        /// `pods/log` reads it instead of the `kube-test-server/logs` annotation.
        public func log(namespace: String = "default", pod: String, container: String) -> ContainerLog {
            state.withLock { state in
                let key = Key(namespace: namespace, pod: pod, container: container)
                if let log = state.logs[key] { return log }
                let log = ContainerLog()
                state.logs[key] = log
                return log
            }
        }

        func execHandler(namespace: String, pod: String, container: String, attach: Bool) -> ExecHandler? {
            state.withLock { state in
                let table = attach ? state.attach : state.exec
                return table[Key(namespace: namespace, pod: pod, container: container)] ?? table[Key(namespace: namespace, pod: pod, container: nil)]
            }
        }

        func portHandler(namespace: String, pod: String, port: Int) -> PortHandler? {
            state.withLock { $0.ports[Self.portKey(namespace, pod, port)] }
        }

        func existingLog(namespace: String, pod: String, container: String) -> ContainerLog? {
            state.withLock { $0.logs[Key(namespace: namespace, pod: pod, container: container)] }
        }

        private static func portKey(_ namespace: String, _ pod: String, _ port: Int) -> String { "\(namespace)/\(pod):\(port)" }
    }
}

extension KubeTestServer.Kubelet {
    /// A terminal size sent on the resize channel (kube's `TerminalSize`).
    public struct TerminalSize: Sendable, Hashable {
        public var width: Int
        public var height: Int

        public init(width: Int, height: Int) {
            self.width = width
            self.height = height
        }
    }

    /// One `exec` or `attach` as its handler sees it.
    public final class Exec: Sendable {
        /// The `command` query parameters (empty for attach).
        public let command: [String]
        public let container: String
        public let tty: Bool
        /// Which streams the client asked for (`stdin`, `stdout`, `stderr`).
        public let hasStdin: Bool
        public let hasStdout: Bool
        public let hasStderr: Bool
        /// What the client writes; finishes when it closes stdin (v5) or goes away.
        public let stdin: AsyncStream<Data>
        /// Resize events (channel 4); finishes with the connection.
        public let resizes: AsyncStream<TerminalSize>
        let output: @Sendable (UInt8, Data) async -> Void

        init(
            command: [String], container: String, tty: Bool, streams: (stdin: Bool, stdout: Bool, stderr: Bool),
            stdin: AsyncStream<Data>, resizes: AsyncStream<TerminalSize>, output: @escaping @Sendable (UInt8, Data) async -> Void
        ) {
            self.command = command
            self.container = container
            self.tty = tty
            (hasStdin, hasStdout, hasStderr) = streams
            self.stdin = stdin
            self.resizes = resizes
            self.output = output
        }

        /// Writes to the client's stdout (dropped when it did not ask for stdout).
        public func writeStdout(_ data: Data) async {
            if hasStdout { await output(StreamChannel.stdout, data) }
        }

        /// Writes to the client's stderr (dropped when it did not ask for stderr, or with a tty, as kube merges them).
        public func writeStderr(_ data: Data) async {
            if hasStderr && !tty { await output(StreamChannel.stderr, data) }
        }

        public func writeStdout(_ text: String) async { await writeStdout(Data(text.utf8)) }
        public func writeStderr(_ text: String) async { await writeStderr(Data(text.utf8)) }
    }

    /// One forwarded connection to a pod port.
    public final class PortConnection: Sendable {
        public let port: Int
        /// The bytes the client sends; finishes when it disconnects.
        public let inbound: AsyncStream<Data>
        let send: @Sendable (Data) async -> Void

        init(port: Int, inbound: AsyncStream<Data>, send: @escaping @Sendable (Data) async -> Void) {
            self.port = port
            self.inbound = inbound
            self.send = send
        }

        /// Sends bytes to the client.
        public func write(_ data: Data) async { await send(data) }
    }

    /// A container's log: lines with the time they were written, and the log of its
    /// previous instance. Followers (`follow=true`) see appended lines until ``finish()``.
    public final class ContainerLog: Sendable {
        struct Line: Sendable {
            var time: Date
            var text: String
        }

        private struct State {
            var lines: [Line] = []
            var previous: [Line]?
            var finished = false
            var followers: [UInt64: AsyncStream<Line>.Continuation] = [:]
            var nextFollower: UInt64 = 0
        }

        private let state = Mutex(State())

        init() {}

        /// Appends one line (without its newline) written at `time`.
        public func append(_ text: String, at time: Date = Date()) {
            let line = Line(time: time, text: text)
            let followers = state.withLock { state -> [AsyncStream<Line>.Continuation] in
                state.lines.append(line)
                return Array(state.followers.values)
            }
            for follower in followers { follower.yield(line) }
        }

        /// The container stopped: followed logs end (kubelet ends the stream when the container exits).
        public func finish() {
            let followers = state.withLock { state -> [AsyncStream<Line>.Continuation] in
                state.finished = true
                defer { state.followers = [:] }
                return Array(state.followers.values)
            }
            for follower in followers { follower.finish() }
        }

        /// The container restarted: the current log becomes the `previous=true` log and a new, empty one starts.
        public func restart() {
            let followers = state.withLock { state -> [AsyncStream<Line>.Continuation] in
                state.previous = state.lines
                state.lines = []
                state.finished = false
                defer { state.followers = [:] }
                return Array(state.followers.values)
            }
            for follower in followers { follower.finish() }
        }

        func snapshot(previous: Bool) -> [Line]? {
            state.withLock { previous ? $0.previous : $0.lines }
        }

        /// The current lines and, atomically with them, a stream of the lines appended later
        /// (finished at once when the container already stopped).
        func follow() -> (lines: [Line], later: AsyncStream<Line>) {
            let (stream, continuation) = AsyncStream.makeStream(of: Line.self)
            let lines = state.withLock { state -> [Line] in
                if state.finished {
                    continuation.finish()
                } else {
                    let id = state.nextFollower
                    state.nextFollower += 1
                    state.followers[id] = continuation
                    continuation.onTermination = { [weak self] _ in
                        _ = self?.state.withLock { $0.followers.removeValue(forKey: id) }
                    }
                }
                return state.lines
            }
            return (lines, stream)
        }
    }
}
