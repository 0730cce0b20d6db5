import Foundation
import KubeModels
import KubeWebhooks
import Logging
import ServiceLifecycle
import Testing

/// The README's webhook server, compiled here (it binds :9443 and reads the conventional
/// certificate directory, so it is compiled, not run; `WebhookServerTests` run the same API).
func readmeWebhookServer(logger: Logger) async throws {
    // README-webhook:begin
    let server = WebhookServer(webhooks: [
        .validate(Pod.self, path: "/validate-pods") { request in
            request.object?.spec?.containers.contains { $0.image?.hasSuffix(":latest") == true } == true
                ? .deny("images must be pinned, not :latest") : .allow
        },
        .mutate(Deployment.self, path: "/mutate-deployments") { _, deployment in
            deployment.metadata.labels = (deployment.metadata.labels ?? [:]).merging(["team": "payments"]) { $1 }
        },
    ])  // HTTPS on :9443, certificate from /tmp/k8s-webhook-server/serving-certs, reloaded when it changes
    try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm], logger: logger).run()
    // README-webhook:end
}

@Suite("The README's webhook snippet", .timeLimit(.minutes(1)))
struct ReadmeWebhookTests {
    /// The README shows the function above verbatim (less its indentation).
    @Test func theReadmeShowsThisServer() throws {
        let here = URL(fileURLWithPath: #filePath)
        let source = try String(contentsOf: here, encoding: .utf8)
        let readme = try String(contentsOf: here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(source.range(of: "    // README-webhook:begin\n"))
        let end = try #require(source.range(of: "    // README-webhook:end\n"))
        let code = source[begin.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }.joined(separator: "\n")
        #expect(readme.contains("```swift\n" + code + "```"))
    }
}
