import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// exec, attach, port-forward and followed logs over TLS and WebSocket against the server's
/// emulated kubelet: every byte goes through the client's WebSocket dialer, the server's
/// upgrade and the channel protocol.
@Suite("Pod streams over WebSocket", .timeLimit(.minutes(3)))
struct PodStreamTests {
    /// A Running pod with the given containers (seeded with its status, as a kubelet would report it).
    static func runningPod(_ cluster: Cluster, _ name: String, containers: [String] = ["main"]) async throws {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["containers": .array(containers.map { ["name": .string($0), "image": "busybox:1.36"] })],
            "status": ["phase": "Running"],
        ]
        try await cluster.server.apply(json: try JSONEncoder().encode(pod))
    }

    @Test func execCollectsStdoutStderrAndExitCode() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "web")
            cluster.server.kubelet.handleExec(pod: "web") { exec in
                await exec.writeStdout("ran \(exec.command.joined(separator: " ")) in \(exec.container)\n")
                await exec.writeStderr("a warning\n")
                return exec.command.last == "fail" ? 3 : 0
            }
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let output = try await withDeadline(20) { try await pods.exec("web", command: ["sh", "-c", "ok"]).output() }
            #expect(output.stdoutText == "ran sh -c ok in main\n")
            #expect(output.stderrText == "a warning\n")
            #expect(output.status.exitCode == 0)
            #expect(output.status.succeeded)

            // A non-zero exit is a result: the code from the NonZeroExitCode status, no error.
            let process = try await pods.exec("web", command: ["sh", "-c", "fail"])
            #expect(process.subprotocol == "v5.channel.k8s.io")
            let failed = try await withDeadline(20) { try await process.output() }
            #expect(failed.status.exitCode == 3)
            #expect(failed.status.status.reason == "NonZeroExitCode")
            #expect(failed.stdoutText == "ran sh -c fail in main\n")
        }
    }

    @Test func stdinIsStreamedAndClosedAndResizesArrive() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "shell")
            cluster.server.kubelet.handleExec(pod: "shell") { exec in
                var received = Data()
                for await chunk in exec.stdin { received.append(chunk) }
                await exec.writeStdout("got \(received.count) bytes: \(String(decoding: received, as: UTF8.self).uppercased())")
                return 0
            }
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let process = try await pods.exec("shell", command: ["cat"], options: ExecOptions(stdin: true))
            try await process.write("hello ")
            try await process.write(Data("world".utf8))
            try await process.closeStdin()
            let output = try await withDeadline(20) { try await process.output() }
            #expect(output.stdoutText == "got 11 bytes: HELLO WORLD")

            cluster.server.kubelet.handleExec(pod: "shell") { exec in
                var iterator = exec.resizes.makeAsyncIterator()
                guard let size = await iterator.next() else { return 9 }
                await exec.writeStdout("tty=\(exec.tty) \(size.width)x\(size.height)")
                await exec.writeStderr("dropped: a tty has no stderr")
                return 0
            }
            let terminal = try await pods.exec("shell", command: ["top"], options: ExecOptions(stdin: true, tty: true))
            try await terminal.resize(width: 132, height: 43)
            let resized = try await withDeadline(20) { try await terminal.output() }
            #expect(resized.stdoutText == "tty=true 132x43")
            #expect(resized.stderr.isEmpty)
        }
    }

    @Test func attachReachesTheAttachHandler() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "app", containers: ["main", "sidecar"])
            cluster.server.kubelet.handleAttach(pod: "app", container: "sidecar") { exec in
                await exec.writeStdout("attached to \(exec.container), command \(exec.command)")
                return 0
            }
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let output = try await withDeadline(20) {
                try await pods.attach("app", options: ExecOptions(container: "sidecar")).output()
            }
            #expect(output.stdoutText == "attached to sidecar, command []")
            // Two containers and none named: kube's 400 naming the choices.
            let ambiguous = await #expect(throws: KubeError.self) { _ = try await pods.attach("app") }
            #expect(ambiguous?.statusCode == 400)
            #expect(ambiguous?.message.contains("choose one of: [main sidecar]") == true)
        }
    }

    @Test func badTargetsAreTypedErrors() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "web")
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let missing = await #expect(throws: KubeError.self) { _ = try await pods.exec("nope", command: ["true"]) }
            #expect(missing?.isNotFound == true)
            let container = await #expect(throws: KubeError.self) {
                _ = try await pods.exec("web", command: ["true"], options: ExecOptions(container: "db"))
            }
            #expect(container?.statusCode == 400)
            #expect(container?.message == "container db is not valid for pod web")
            let empty = await #expect(throws: KubeError.self) { _ = try await pods.exec("web", command: []) }
            #expect(empty?.code == .invalidRequest)

            // No handler for the command: the kubelet's failure Status, thrown by status(), not a hang.
            let process = try await pods.exec("web", command: ["psql"])
            let failure = await #expect(throws: KubeError.self) { _ = try await withDeadline(20) { try await process.status() } }
            #expect(failure?.reason == "InternalError")
            #expect(failure?.message.contains("executable file not found") == true)

            // A pod that is not running cannot stream.
            _ = try await pods.create(Pod(metadata: ObjectMeta(name: "pending"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "busybox", name: "main")])))
            let pending = await #expect(throws: KubeError.self) { _ = try await pods.exec("pending", command: ["true"]) }
            #expect(pending?.statusCode == 400)
        }
    }

    @Test func aCutConnectionEndsTheStreamsWithATypedError() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "web")
            let started = Locked(false)
            cluster.server.kubelet.handleExec(pod: "web") { exec in
                await exec.writeStdout("first\n")
                started.update { $0 = true }
                try await Task.sleep(for: .seconds(3600))
                return 0
            }
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let process = try await pods.exec("web", command: ["sleep", "3600"])
            try await waitUntil(10, "the handler to start") { started.value }
            try await cluster.server.stopListener(0)  // closes every connection of the listener
            let outcome = try await withDeadline(20) { () -> (String, KubeError?) in
                var text = ""
                do {
                    for try await chunk in process.stdout { text += String(decoding: chunk, as: UTF8.self) }
                    return (text, nil)
                } catch let error as KubeError {
                    return (text, error)
                }
            }
            #expect(outcome.0 == "first\n")
            #expect(outcome.1?.code == .streamClosed)
            let status = await #expect(throws: KubeError.self) { _ = try await withDeadline(20) { try await process.status() } }
            #expect(status?.code == .streamClosed)
        }
    }

    @Test func execNeedsCreateOnPodsExec() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "web")
            cluster.server.kubelet.handleExec(pod: "web") { _ in 0 }
            let pod = try await cluster.podFilesystem(serviceAccount: "debugger")
            try await cluster.grant(pod, verbs: ["get"], resources: ["pods", "pods/exec"])
            let client = try cluster.client(try cluster.inClusterConfig(pod))
            let pods = Api<Pod>.namespaced(client, "default")
            // `get` alone was enough before 1.31; the WebSocket GET now also needs `create`.
            let forbidden = await #expect(throws: KubeError.self) { _ = try await pods.exec("web", command: ["true"]) }
            #expect(forbidden?.isForbidden == true)
            #expect(forbidden?.message.contains("cannot create resource \"pods/exec\"") == true)
            try await cluster.grant(pod, verbs: ["create"], resources: ["pods/exec"])
            let status = try await withDeadline(20) { try await pods.exec("web", command: ["true"]).status() }
            #expect(status.exitCode == 0)
        }
    }

    @Test func portForwardCarriesBytesBothWays() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "db")
            cluster.server.kubelet.handlePort(pod: "db", port: 5432) { connection in
                for await chunk in connection.inbound {
                    await connection.write(Data("echo:".utf8) + chunk)
                    if String(decoding: chunk, as: UTF8.self) == "bye" { return }
                }
            }
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let forward = try await pods.portForward("db", port: 5432)
            let received = try await withDeadline(20) { () -> [String] in
                var replies: [String] = []
                var iterator = forward.inbound.makeAsyncIterator()
                for message in ["hello", "bye"] {
                    try await forward.write(Data(message.utf8))
                    guard let reply = try await iterator.next() else { break }
                    replies.append(String(decoding: reply, as: UTF8.self))
                }
                // The handler returned: the connection closes and inbound ends.
                while try await iterator.next() != nil {}
                return replies
            }
            #expect(received == ["echo:hello", "echo:bye"])
        }
    }

    @Test func portForwardMovesAMebibyte() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "db")
            let pods = Api<Pod>.namespaced(cluster.admin, "default")

            // 1 MiB through the port, in both directions.
            cluster.server.kubelet.handlePort(pod: "db", port: 8080) { connection in
                for await chunk in connection.inbound { await connection.write(chunk) }
            }
            let big = Data((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let echo = try await pods.portForward("db", port: 8080)
            let back = try await withDeadline(30) { () -> Data in
                try await echo.write(big)
                var data = Data()
                for try await chunk in echo.inbound {
                    data.append(chunk)
                    if data.count >= big.count { break }
                }
                await echo.close()
                return data
            }
            #expect(back == big)
        }
    }

    @Test func aPortNobodyListensOnIsATypedError() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "db")
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let forward = try await pods.portForward("db", port: 9999)
            let error = await #expect(throws: KubeError.self) {
                try await withDeadline(20) { for try await _ in forward.inbound {} }
            }
            #expect(error?.code == .portForward)
            #expect(error?.message.contains("failed to connect to localhost:9999") == true)
            #expect(error?.message.contains("connection refused") == true)
            await forward.close()
            let invalid = await #expect(throws: KubeError.self) { _ = try await pods.portForward("db", port: 70000) }
            #expect(invalid?.code == .invalidRequest)
        }
    }

    @Test func logsFollowSeesLaterLinesAndEndsWithTheContainer() async throws {
        try await Cluster.run { cluster in
            try await Self.runningPod(cluster, "worker")
            let log = cluster.server.kubelet.log(pod: "worker", container: "main")
            log.append("one", at: Date().addingTimeInterval(-600))
            log.append("two")
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            let lines = Locked<[String]>([])
            let follower = Task {
                for try await line in try pods.logLines("worker") { lines.update { $0.append(line) } }
            }
            try await waitUntil(10, "the backlog") { lines.value == ["one", "two"] }
            log.append("three")
            try await waitUntil(10, "a line appended later") { lines.value == ["one", "two", "three"] }
            log.finish()
            try await withDeadline(20) { try await follower.value }
            #expect(lines.value == ["one", "two", "three"])

            #expect(try await pods.logs("worker", options: LogOptions(tailLines: 1)) == "three\n")
            #expect(try await pods.logs("worker", options: LogOptions(sinceSeconds: 60)) == "two\nthree\n")
            #expect(try await pods.logs("worker", options: LogOptions(limitBytes: 6)) == "one\ntw")
            let stamped = try await pods.logs("worker", options: LogOptions(tailLines: 1, timestamps: true))
            #expect(stamped.hasSuffix("Z three\n"))
            #expect(stamped.count == "2026-01-02T03:04:05.123456789Z three\n".count)

            let noPrevious = await #expect(throws: KubeError.self) { _ = try await pods.logs("worker", options: LogOptions(previous: true)) }
            #expect(noPrevious?.message == "previous terminated container \"main\" in pod \"worker\" not found")
            log.restart()
            log.append("after restart")
            #expect(try await pods.logs("worker", options: LogOptions(previous: true)) == "one\ntwo\nthree\n")
            #expect(try await pods.logs("worker") == "after restart\n")
            let badTail = await #expect(throws: KubeError.self) { _ = try await pods.logs("worker", options: LogOptions(tailLines: -1)) }
            #expect(badTail?.statusCode == 400)
        }
    }
}

