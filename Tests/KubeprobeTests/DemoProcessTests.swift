import Foundation
import Testing

@Suite("kubeprobe demo (process)", .timeLimit(.minutes(5)))
struct DemoProcessTests {
    @Test("demo: check, get, a watch across a token rotation; exit 0, cleans up, well under the time limit")
    func demo() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("kubeprobe-demo-home-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try await Kubeprobe.run(["demo"], environment: ["HOME": home, "TMPDIR": home], timeout: 60)
        #expect(result.exitCode == 0, "\(result.stdout)\n\(result.stderr)")
        let out = result.stdout
        #expect(out.contains("Started an embedded Kubernetes API server on https://127.0.0.1:"))
        #expect(out.contains("✓ 1. Environment"))
        #expect(out.contains("✓ 2. Service account mount"))
        #expect(out.contains("⚠ 3. DNS"))
        #expect(out.contains("the client connects to KUBERNETES_SERVICE_HOST=127.0.0.1 directly"))
        #expect(out.contains("✓ 5. TLS handshake"))
        #expect(out.contains("authenticated as system:serviceaccount:demo:app"))
        #expect(out.contains("✗ 8. Permissions"))
        #expect(out.contains("✓ list pods in demo"))
        #expect(out.contains("✗ update leases.coordination.k8s.io in kube-system: forbidden"))
        #expect(out.contains("kind: RoleBinding"))
        #expect(out.contains("✓ 10. List and watch"))
        #expect(out.contains("app-config"))
        #expect(out.contains("Error from server (Forbidden)"))
        #expect(out.contains("token rotated"))
        #expect(out.contains("live-2"))
        #expect(out.contains("DELETED"))
        #expect(out.contains("Cleaned up"))
        #expect(result.seconds < 30)
        // Nothing left behind in the temporary directory.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: home).filter { $0.hasPrefix("kubeprobe-demo-") }
        #expect(leftovers.isEmpty)
    }
}
