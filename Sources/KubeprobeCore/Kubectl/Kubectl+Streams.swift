import Foundation
import KubeClient
import KubeCore
import KubeModels

/// `kubeprobe logs` and `kubeprobe exec`: another pod's log (followed) and a command in it,
/// where RBAC allows (`get pods/log`; `create` and `get` on `pods/exec`).
extension Kubectl {
    /// Prints the log of `pod`; with `options.follow` line by line until the container stops.
    func logs(pod: String, namespace: String?, options: LogOptions) async throws {
        let pods = Api<Core.V1.Pod>.namespaced(client, namespace ?? client.namespace)
        if options.follow {
            for try await line in try pods.logLines(pod, options: options) { console.line(line) }
        } else {
            console.write(try await pods.logs(pod, options: options))
        }
    }

    /// Runs `command` in `pod`, copying its stdout and stderr (and `stdin`, when given) and
    /// returning its exit code; kubectl's "command terminated with exit code N" goes to stderr.
    func exec(
        pod: String, namespace: String?, command: [String], container: String?, stdin: AsyncStream<Data>?, tty: Bool = false
    ) async throws -> Int32 {
        let pods = Api<Core.V1.Pod>.namespaced(client, namespace ?? client.namespace)
        let process = try await pods.exec(pod, command: command, options: ExecOptions(container: container, stdin: stdin != nil, tty: tty))
        let console = self.console
        let feeder = Task {
            guard let stdin else { return }
            for await chunk in stdin { try await process.write(chunk) }
            try await process.closeStdin()
        }
        defer { feeder.cancel() }
        async let errors: Void = Self.copy(process.stderr) { console.error($0, newline: false) }
        try await Self.copy(process.stdout) { console.write($0) }
        try await errors
        let status = try await process.status()
        if !status.succeeded { console.error("command terminated with exit code \(status.exitCode)") }
        return status.exitCode
    }
}

extension Kubectl {
    static func copy(_ stream: AsyncThrowingStream<Data, any Error>, _ write: @Sendable (String) -> Void) async throws {
        for try await chunk in stream { write(String(decoding: chunk, as: UTF8.self)) }
    }
}

/// Standard input as chunks, read on its own thread (a blocking read must not hold a task's thread).
func standardInputChunks() -> AsyncStream<Data> {
    AsyncStream { continuation in
        let thread = Thread {
            while true {
                let data = FileHandle.standardInput.availableData
                if data.isEmpty { break }
                continuation.yield(data)
            }
            continuation.finish()
        }
        thread.start()
    }
}
