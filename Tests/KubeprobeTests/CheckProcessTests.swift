import Foundation
import KubeprobeCore
import KubeTestServer
import Testing

/// `kubeprobe check` run as a process against an in-process KubeTestServer.
@Suite("kubeprobe check (process)", .serialized, .timeLimit(.minutes(5)))
struct CheckProcessTests {
    func decodeReport(_ text: String) throws -> CheckReport {
        try JSONDecoder().decode(CheckReport.self, from: Data(text.utf8))
    }

    func status(_ report: CheckReport, _ number: Int) -> StepStatus? {
        report.steps.first { $0.number == number }?.status
    }

    @Test("admin through a kubeconfig: TCP, TLS (h2), health, identity, list and watch pass; exit 0")
    func kubeconfigAdmin() async throws {
        try await withCluster { cluster in
            let result = try await Kubeprobe.run(["check", "--kubeconfig", cluster.kubeconfig], environment: cluster.outsideEnvironment)
            #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("✓ 4. TCP connect"))
            #expect(result.stdout.contains("✓ 5. TLS handshake"))
            #expect(result.stdout.contains("ALPN h2"))
            #expect(result.stdout.contains("authenticated as admin"))
            #expect(result.stdout.contains("– 1. Environment"))
            #expect(result.stdout.contains("✓ 10. List and watch"))
            #expect(!result.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
            #expect(!result.stdout.contains(cluster.server.adminToken), "the token never appears")

            let json = try await Kubeprobe.run(["check", "--kubeconfig", cluster.kubeconfig, "-o", "json"], environment: cluster.outsideEnvironment)
            #expect(json.exitCode == 0)
            let report = try decodeReport(json.stdout)
            #expect(report.mode == "kubeconfig")
            #expect(report.steps.map(\.number) == Array(1...10))
            #expect(status(report, 1) == .skipped)
            #expect(status(report, 5) == .ok)
            #expect(status(report, 6) == .ok)
            #expect(status(report, 9) == .warning, "the test server publishes no loopback endpoints")
            #expect(report.ok)
        }
    }

    @Test("in-cluster as a service account: claims, projected volume, DNS warning, missing permission with ready-to-apply YAML; exit 1")
    func inClusterServiceAccount() async throws {
        try await withCluster { cluster in
            let (_, environment) = try await cluster.pod(namespace: "team", serviceAccount: "app")
            let result = try await Kubeprobe.run(
                ["check", "--need", "list pods", "--need", "update leases -n kube-system", "-o", "json"], environment: environment)
            #expect(result.exitCode == 1, "\(result.stdout)\n\(result.stderr)")
            let report = try decodeReport(result.stdout)
            #expect(report.mode == "in-cluster")
            #expect(status(report, 1) == .ok)
            #expect(status(report, 2) == .ok)
            let mount = try #require(report.steps.first { $0.number == 2 })
            #expect(mount.summary.contains("service account team/app"))
            #expect(mount.details.contains { $0.contains("projected volume: ..data") })
            #expect(mount.details.contains { $0.contains("issuer https://kubernetes.default.svc.cluster.local") })
            #expect(status(report, 5) == .ok)
            #expect(status(report, 7) == .ok)
            #expect(report.steps.first { $0.number == 7 }?.summary.contains("system:serviceaccount:team:app") == true)
            let permissions = try #require(report.steps.first { $0.number == 8 })
            #expect(permissions.status == .failed)
            let yaml = try #require(permissions.fixYAML)
            #expect(yaml.contains("kind: Role"))
            #expect(yaml.contains("kind: RoleBinding"))
            #expect(yaml.contains("namespace: kube-system"))
            #expect(yaml.contains("- leases"))
            #expect(yaml.contains("- coordination.k8s.io"))
            #expect(yaml.contains("- pods"))
            #expect(yaml.contains("kind: ServiceAccount"))
            #expect(yaml.contains("name: app"))

            let text = try await Kubeprobe.run(["check", "--need", "list pods"], environment: environment)
            #expect(text.exitCode == 1)
            #expect(text.stdout.contains("✗ 8. Permissions"))
            #expect(text.stdout.contains("fix: apply this Role and RoleBinding"))
            #expect(text.stdout.contains("1 step failed: 8 (Permissions)"))
        }
    }

    @Test("not in a cluster: step 1 names the missing variables and suggests --kubeconfig; the rest is skipped")
    func notInCluster() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("kubeprobe-empty-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try await Kubeprobe.run(["check"], environment: ["HOME": home])
        #expect(result.exitCode == 1)
        #expect(result.stdout.contains("✗ 1. Environment"))
        #expect(result.stdout.contains("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"))
        #expect(result.stdout.contains("--kubeconfig"))
        #expect(result.stdout.contains("– 4. TCP connect"))
        #expect(result.stdout.contains("skipped: step 1 (Environment) did not pass"))

        let get = try await Kubeprobe.run(["get", "pods"], environment: ["HOME": home])
        #expect(get.exitCode == 1)
        #expect(get.stderr.contains("KUBERNETES_SERVICE_HOST"))
        #expect(get.stderr.contains("--kubeconfig"))
    }

    @Test("server unreachable: stops at TCP connect with the cause, skips the rest, no hang")
    func unreachable() async throws {
        try await withCluster { cluster in
            let (_, environment) = try await cluster.pod()
            try await cluster.server.stopListener(0)
            let result = try await Kubeprobe.run(["check", "--timeout", "3"], environment: environment, timeout: 30)
            #expect(result.exitCode == 1)
            #expect(result.stdout.contains("✗ 4. TCP connect"))
            #expect(result.stdout.contains("connection refused"))
            #expect(result.stdout.contains("cause: nothing answers at the ClusterIP"))
            #expect(result.stdout.contains("– 5. TLS handshake"))
            #expect(result.stdout.contains("– 10. List and watch"))
            #expect(result.seconds < 15)
        }
    }

    @Test("wrong CA: the TLS step fails with the cause; the API steps are skipped")
    func wrongCA() async throws {
        try await withCluster { cluster in
            let (pod, environment) = try await cluster.pod()
            let other = try await KubeTestServer.start()
            let foreignCA = other.caCertificatePEM
            await other.shutdown()
            try Data(foreignCA.utf8).write(to: URL(fileURLWithPath: pod.caPath))
            let result = try await Kubeprobe.run(["check"], environment: environment)
            #expect(result.exitCode == 1)
            #expect(result.stdout.contains("✓ 4. TCP connect"))
            #expect(result.stdout.contains("✗ 5. TLS handshake"))
            #expect(result.stdout.contains("not signed by ca.crt"))
            #expect(result.stdout.contains("– 6. /version and /readyz"))
        }
    }

    @Test("bad usage exits 2: a malformed --need, a bad --timeout")
    func badUsage() async throws {
        let need = try await Kubeprobe.run(["check", "--need", "frobnicate pods"], environment: ["HOME": "/nonexistent"])
        #expect(need.exitCode == 2)
        #expect(need.stderr.contains("unknown verb \"frobnicate\""))
        let timeout = try await Kubeprobe.run(["check", "--timeout", "-1"], environment: ["HOME": "/nonexistent"])
        #expect(timeout.exitCode == 2)
    }
}
