import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// kubectl 1.32's exec, logs -f and port-forward against the emulated kubelet. exec speaks
/// WebSocket (`v5.channel.k8s.io`) by default; port-forward tunnels SPDY inside WebSocket
/// (`SPDY/3.1+portforward.k8s.io`), which the server does not speak, so that test asserts the
/// refusal kubectl reports.
@Suite("kubectl exec, logs -f, port-forward against KubeTestServer", .serialized,
       .enabled(if: Peers.shouldRun(Peers.kubectl), "kubectl is not installed on this machine"), .timeLimit(.minutes(5)))
struct KubectlStreamPeerTests {
    static func runningPod(_ server: KubeTestServer, _ name: String) async throws {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default"],
            "spec": ["containers": [["name": "main", "image": "busybox:1.36"]]],
            "status": ["phase": "Running"],
        ]
        try await server.apply(pod)
    }

    @Test func execPrintsOutputAndExitsWithTheCommandsCode() async throws {
        try await KubectlPeerTests.withSession { session in
            try await Self.runningPod(session.server, "web")
            session.server.kubelet.handleExec(pod: "web") { exec in
                // `sh -c "exit N"` exits N; anything else echoes its arguments.
                if exec.command.count == 3, exec.command[0] == "sh", let code = Int32(exec.command[2].replacingOccurrences(of: "exit ", with: "")) {
                    await exec.writeStderr("exiting \(code)\n")
                    return code
                }
                var stdin = 0
                for await chunk in exec.stdin { stdin += chunk.count }
                await exec.writeStdout(exec.command.dropFirst().joined(separator: " ") + "\n")
                if exec.hasStdin { await exec.writeStdout("stdin: \(stdin) bytes, closed\n") }
                await exec.writeStderr("to stderr\n")
                return 0
            }
            let echo = try await session.kubectl(["exec", "web", "--", "echo", "hello", "from", "the", "pod"])
            #expect(echo.status == 0, "\(echo)")
            #expect(echo.stdout == "hello from the pod\n", "\(echo)")
            #expect(echo.stderr == "to stderr\n", "\(echo)")

            let failing = try await session.kubectl(["exec", "web", "--", "sh", "-c", "exit 7"])
            #expect(failing.status == 7, "kubectl exits with the remote exit code: \(failing)")
            #expect(failing.stderr.contains("exiting 7"), "\(failing)")
            #expect(failing.stderr.contains("command terminated with exit code 7"), "\(failing)")

            // -i: kubectl's stdin (empty here) is streamed and closed with v5's close signal.
            let interactive = try await session.kubectl(["exec", "-i", "web", "--", "cat", "-"])
            #expect(interactive.status == 0, "\(interactive)")
            #expect(interactive.stdout == "-\nstdin: 0 bytes, closed\n", "\(interactive)")

            let missing = try await session.kubectl(["exec", "nope", "--", "true"])
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("pods \"nope\" not found"), "\(missing)")
            let container = try await session.kubectl(["exec", "web", "-c", "db", "--", "true"])
            #expect(container.status == 1)
            #expect(container.stderr.contains("container db is not valid for pod web"), "\(container)")
        }
    }

    @Test func logsFollowSeesLinesAppendedLaterAndEndsWithTheContainer() async throws {
        try await KubectlPeerTests.withSession { session in
            try await Self.runningPod(session.server, "worker")
            let log = session.server.kubelet.log(pod: "worker", container: "main")
            log.append("starting")
            log.append("ready")
            let follow = try ChildProcess(
                try Peers.require(Peers.kubectl, "kubectl"), ["logs", "-f", "worker"], environment: session.environment, directory: session.directory)
            let backlog = await follow.waitForOutput { $0 == "starting\nready\n" }
            #expect(backlog, "stdout: \(follow.stdout) stderr: \(follow.stderr)")
            log.append("request 1 served")
            let later = await follow.waitForOutput { $0 == "starting\nready\nrequest 1 served\n" }
            #expect(later, "stdout: \(follow.stdout) stderr: \(follow.stderr)")
            log.finish()
            let result = await follow.wait(timeout: .seconds(20))
            #expect(result.status == 0, "kubectl logs -f ends when the container's log ends: \(result)")
            #expect(result.stdout == "starting\nready\nrequest 1 served\n", "\(result)")

            let tail = try await session.kubectl(["logs", "worker", "--tail=1", "--timestamps"])
            #expect(tail.status == 0, "\(tail)")
            #expect(tail.stdout.hasSuffix("Z request 1 served\n"), "\(tail)")
            let previous = try await session.kubectl(["logs", "worker", "--previous"])
            #expect(previous.status == 1)
            #expect(previous.stderr.contains("previous terminated container \"main\" in pod \"worker\" not found"), "\(previous)")
        }
    }

    @Test func portForwardIsRefusedBecauseKubectlTunnelsSPDY() async throws {
        try await KubectlPeerTests.withSession { session in
            try await Self.runningPod(session.server, "db")
            session.server.kubelet.handlePort(pod: "db", port: 5432) { _ in }
            // kubectl 1.32 tries SPDY/3.1 inside WebSocket, then falls back to a plain SPDY upgrade: both are refused with a reason.
            let forward = try await Peers.run(
                try Peers.require(Peers.kubectl, "kubectl"), ["port-forward", "pod/db", "0:5432"], environment: session.environment,
                directory: session.directory, timeout: .seconds(30))
            #expect(forward.status != 0, "\(forward)")
            #expect(forward.stderr.contains("error upgrading connection"), "\(forward)")
            #expect(forward.stderr.contains("SPDY (and SPDY tunnelled in WebSocket) is not supported"), "\(forward)")
        }
    }
}
