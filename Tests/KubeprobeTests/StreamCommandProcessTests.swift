import Foundation
import KubeTestServer
import Testing

/// `kubeprobe logs [-f]` and `kubeprobe exec` as a process against the emulated kubelet, in
/// cluster with a service account whose RBAC allows exactly that.
@Suite("kubeprobe logs and exec (process)", .serialized, .timeLimit(.minutes(5)))
struct StreamCommandProcessTests {
    static func runningPod(_ server: KubeTestServer, _ name: String, namespace: String) async throws {
        try await server.apply(json: Data(#"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},
             "spec":{"containers":[{"name":"main","image":"busybox:1.36"}]},"status":{"phase":"Running"}}
            """#.utf8))
    }

    static func grant(_ server: KubeTestServer, namespace: String, serviceAccount: String, rules: String) async throws {
        try await server.apply(json: Data(#"""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"streams","namespace":"\#(namespace)"},"rules":\#(rules)}
            """#.utf8))
        try await server.apply(json: Data(#"""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"streams","namespace":"\#(namespace)"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"streams"},
             "subjects":[{"kind":"ServiceAccount","name":"\#(serviceAccount)","namespace":"\#(namespace)"}]}
            """#.utf8))
    }

    @Test("logs: the whole log, --tail, and -f following lines written later until the container stops; forbidden without pods/log")
    func logs() async throws {
        try await withCluster { cluster in
            let (_, environment) = try await cluster.pod(namespace: "team", serviceAccount: "app")
            try await Self.runningPod(cluster.server, "worker", namespace: "team")
            let log = cluster.server.kubelet.log(namespace: "team", pod: "worker", container: "main")
            log.append("one")
            log.append("two")

            let denied = try await Kubeprobe.run(["logs", "worker"], environment: environment)
            #expect(denied.exitCode == 1)
            #expect(denied.stderr.contains("cannot get resource \"pods/log\""), "\(denied.stderr)")

            try await Self.grant(cluster.server, namespace: "team", serviceAccount: "app",
                                 rules: #"[{"apiGroups":[""],"resources":["pods/log"],"verbs":["get"]}]"#)
            let whole = try await Kubeprobe.run(["logs", "worker"], environment: environment)
            #expect(whole.exitCode == 0, "\(whole.stderr)")
            #expect(whole.stdout == "one\ntwo\n")
            let tail = try await Kubeprobe.run(["logs", "worker", "--tail", "1"], environment: environment)
            #expect(tail.stdout == "two\n")

            let writer = Task {
                try await Task.sleep(for: .seconds(2))
                log.append("three, written while kubeprobe follows")
                try await Task.sleep(for: .milliseconds(300))
                log.finish()
            }
            let followed = try await Kubeprobe.run(["logs", "-f", "worker"], environment: environment, timeout: 30)
            try await writer.value
            #expect(followed.exitCode == 0, "\(followed.stderr)")
            #expect(followed.stdout == "one\ntwo\nthree, written while kubeprobe follows\n")
        }
    }

    @Test("exec: output, stdin with -i, the remote exit code as kubeprobe's; forbidden without create on pods/exec")
    func exec() async throws {
        try await withCluster { cluster in
            let (_, environment) = try await cluster.pod(namespace: "team", serviceAccount: "app")
            try await Self.runningPod(cluster.server, "db", namespace: "team")
            cluster.server.kubelet.handleExec(namespace: "team", pod: "db") { exec in
                var input = Data()
                for await chunk in exec.stdin { input.append(chunk) }
                await exec.writeStdout("\(exec.command.joined(separator: " "))|\(String(decoding: input, as: UTF8.self))")
                await exec.writeStderr("note\n")
                return exec.command.first == "false" ? 1 : 0
            }
            try await Self.grant(cluster.server, namespace: "team", serviceAccount: "app",
                                 rules: #"[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["get"]}]"#)
            let denied = try await Kubeprobe.run(["exec", "db", "--", "true"], environment: environment)
            #expect(denied.exitCode == 1)
            #expect(denied.stderr.contains("cannot create resource \"pods/exec\""), "\(denied.stderr)")

            try await Self.grant(cluster.server, namespace: "team", serviceAccount: "app",
                                 rules: #"[{"apiGroups":[""],"resources":["pods/exec"],"verbs":["get","create"]}]"#)
            let ran = try await Kubeprobe.run(["exec", "db", "--", "psql", "-c", "select 1"], environment: environment)
            #expect(ran.exitCode == 0, "\(ran.stderr)")
            #expect(ran.stdout == "psql -c select 1|")
            #expect(ran.stderr == "note\n")

            let piped = try await Kubeprobe.run(["exec", "-i", "db", "--", "cat"], environment: environment, stdin: "from stdin")
            #expect(piped.exitCode == 0, "\(piped.stderr)")
            #expect(piped.stdout == "cat|from stdin")

            let failed = try await Kubeprobe.run(["exec", "db", "--", "false"], environment: environment)
            #expect(failed.exitCode == 1)
            #expect(failed.stderr.contains("command terminated with exit code 1"))

            let usage = try await Kubeprobe.run(["exec", "db"], environment: environment)
            #expect(usage.exitCode == 2)
        }
    }
}
