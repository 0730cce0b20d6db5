import Foundation
import InMemoryLogging
import KubeCore
import KubeModels
import Logging
import MetricsTestKit
import Testing

@testable import KubeWebhooks

@Suite("Webhook logs and metrics", .timeLimit(.minutes(1)))
struct WebhookObservabilityTests {
    @Test func everyReviewIsLoggedWithoutObjectContents() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "test", factory: { _ in handler })
        let metrics = TestMetrics()
        let router = WebhookRouter(
            webhooks: [
                .validate(Pod.self, path: "/v") { request in
                    request.object?.metadata.name == "bad" ? .deny("name bad is reserved") : .allow
                },
                .mutate(Pod.self, path: "/m") { _, pod in pod.metadata.labels?["team"] = "a" },
            ],
            logger: logger, metricsFactory: metrics)
        let secretish = Reviews.pod(extra: ["data": ["password": "s3cr3t-value"]])
        _ = await router.respond(method: "POST", path: "/v", body: Reviews.admission(uid: "r1", object: secretish))
        _ = await router.respond(method: "POST", path: "/v", body: Reviews.admission(uid: "r2", object: Reviews.pod(name: "bad")))
        _ = await router.respond(method: "POST", path: "/m", body: Reviews.admission(uid: "r3", operation: "UPDATE", object: secretish, oldObject: secretish))
        _ = await router.respond(method: "POST", path: "/v", body: Data("garbage".utf8))

        let reviews = handler.entries.filter { $0.message == "admission review" }
        #expect(reviews.map { $0.metadata["uid"]?.description } == ["r1", "r2", "r3"])
        #expect(reviews.map { $0.metadata["result"]?.description } == ["allowed", "denied", "patched"])
        #expect(reviews.allSatisfy { $0.level == .info && $0.metadata["user"]?.description == "alice" })
        #expect(reviews[1].metadata["message"]?.description == "name bad is reserved")
        #expect(reviews[0].metadata["object"]?.description == "default/web-1")
        #expect(handler.entries.contains { $0.message == "malformed admission review" })
        for entry in handler.entries {
            #expect(!"\(entry.message) \(entry.metadata)".contains("s3cr3t"), "object contents logged: \(entry)")
        }

        func count(_ webhook: String, _ operation: String, _ result: String) throws -> Int64 {
            try metrics.expectCounter("kube_webhook_reviews_total", [("webhook", webhook), ("operation", operation), ("result", result)]).totalValue
        }
        #expect(try count("/v", "CREATE", "allowed") == 1)
        #expect(try count("/v", "CREATE", "denied") == 1)
        #expect(try count("/m", "UPDATE", "patched") == 1)
        #expect(try count("/v", "unknown", "error") == 1)
        #expect(try metrics.expectTimer("kube_webhook_review_duration_seconds", [("webhook", "/v")]).values.count == 3)
    }
}
