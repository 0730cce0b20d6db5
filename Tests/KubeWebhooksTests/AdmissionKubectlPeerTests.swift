import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The preinstalled kubectl (CI requires it).
private let installedKubectl: String? = ["/usr/local/bin/kubectl", "/usr/bin/kubectl"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The preinstalled `kubectl` against KubeTestServer with a validating webhook: a rejected
/// `kubectl apply` prints the denial as it does against a real cluster.
@Suite(
    "kubectl apply denied by an admission webhook", .enabled(if: installedKubectl != nil || ProcessInfo.processInfo.environment["CI"] == "true"),
    .timeLimit(.minutes(3)))
struct AdmissionKubectlPeerTests {
    @Test func deniedApplyShowsTheWebhookMessage() async throws {
        let kubectl = try #require(installedKubectl, "kubectl is required in CI")
        try await AdmissionRawWebhookTests.with(handler: { _, review in
            let images = review["request"]?["object"]?["spec"]?["containers"]?.arrayValue?.compactMap { $0["image"]?.stringValue } ?? []
            if let latest = images.first(where: { $0.hasSuffix(":latest") }) {
                return RawWebhookServer.answer(review, allowed: false, status: ["code": 403, "reason": "Forbidden", "message": .string("image \(latest) uses :latest")])
            }
            return RawWebhookServer.answer(review)
        }) { api, _, ca, base in
            try await api.addValidating("deny-latest", [
                TestAPI.webhook("deny-latest.example.com", url: base, path: "/validate", caPEM: ca, rules: [TestAPI.rule(operations: ["CREATE", "UPDATE"], resources: ["pods"])]),
            ])
            let directory = NSTemporaryDirectory() + "kubectl-admission-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try api.server.writeAdminKubeconfig(to: directory + "/kubeconfig")
            try """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web
                  namespace: default
                spec:
                  containers:
                  - name: app
                    image: nginx:latest
                """.write(toFile: directory + "/pod.yaml", atomically: true, encoding: .utf8)
            // No /openapi/v2 here: client-side schema validation off (the denial comes from the server either way).
            let result = try await Self.run(kubectl, ["apply", "--validate=false", "-f", "pod.yaml"], directory: directory)
            #expect(result.status == 1)
            #expect(result.stderr.contains(
                "Error from server (Forbidden): error when creating \"pod.yaml\": admission webhook \"deny-latest.example.com\" denied the request: image nginx:latest uses :latest"),
                "\(result.stderr)")
            #expect(try await api.send(.GET, "/api/v1/namespaces/default/pods/web").status == 404)
        }
    }

    /// Runs a process with a private HOME and KUBECONFIG, with a time limit.
    static func run(_ executable: String, _ arguments: [String], directory: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ["HOME": directory, "KUBECONFIG": directory + "/kubeconfig", "PATH": "/usr/bin:/bin"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, stdout, stderr)
    }
}
