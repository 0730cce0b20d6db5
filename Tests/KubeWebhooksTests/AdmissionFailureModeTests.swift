import Foundation
import KubeCore
import KubeTestServer
import Testing

/// What the user sees when a webhook is down, slow or answers badly, under `failurePolicy`
/// Fail and Ignore (texts as kube-apiserver's).
@Suite("Admission webhook failure modes", .timeLimit(.minutes(5)))
struct AdmissionFailureModeTests {
    static let path = "/api/v1/namespaces/default/configmaps"

    @Test func webhookDownFailsClosedOrOpen() async throws {
        try await AdmissionRawWebhookTests.with { api, hooks, ca, base in
            await hooks.stop()
            try await api.addValidating("down", [TestAPI.webhook("down.example.com", url: base, path: "/down", caPEM: ca)])
            let reply = try await api.send(.POST, Self.path, TestAPI.configMap("a"))
            #expect(reply.status == 500)
            #expect(reply.body["reason"] == "InternalError")
            #expect(reply.message == "Internal error occurred: failed calling webhook \"down.example.com\": failed to call webhook: Post \"\(base)/down?timeout=10s\": dial tcp 127.0.0.1:\(hooks.port): connect: connection refused")
            var configuration = try await api.send(.GET, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down").body
            configuration["webhooks"]?[0]?["failurePolicy"] = "Ignore"
            #expect(try await api.send(.PUT, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/down", configuration).status == 200)
            #expect(try await api.send(.POST, Self.path, TestAPI.configMap("a")).status == 201)
        }
    }

    @Test func slowWebhookTimesOut() async throws {
        try await AdmissionRawWebhookTests.with(handler: { _, review in
            try? await Task.sleep(for: .seconds(3))
            return RawWebhookServer.answer(review)
        }) { api, _, ca, base in
            try await api.addValidating("slow", [
                TestAPI.webhook("slow.example.com", url: base, path: "/slow", caPEM: ca, extra: ["timeoutSeconds": 1]),
            ])
            let started = ContinuousClock.now
            let reply = try await api.send(.POST, Self.path, TestAPI.configMap("a"))
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(reply.status == 500)
            #expect(reply.message == "Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"\(base)/slow?timeout=1s\": context deadline exceeded")
        }
    }

    @Test func badAnswers() async throws {
        try await AdmissionRawWebhookTests.with(handler: { path, review in
            switch path.prefix(while: { $0 != "?" }) {
            case "/wrong-uid":
                var answer = review
                answer["response"] = ["uid": "not-it", "allowed": true]
                answer["request"] = nil
                return (200, try! JSONEncoder().encode(answer))
            case "/not-json":
                return (200, Data("hello".utf8))
            case "/bad-patch":
                return RawWebhookServer.answer(review, patch: [["op": "remove", "path": "/data/missing"]])
            case "/deny-bare":
                return RawWebhookServer.answer(review, allowed: false)
            case "/deny-code":
                return RawWebhookServer.answer(review, allowed: false, status: ["code": 422, "reason": "Invalid", "message": "no thanks"])
            case "/error-500":
                return (500, Data("boom".utf8))
            default:
                return RawWebhookServer.answer(review)
            }
        }) { api, _, ca, base in
            /// Installs one webhook, writes a ConfigMap, checks the answer, removes the webhook.
            func expect(_ webhook: String, mutating: Bool = false, code: Int, _ message: (String) -> Bool) async throws {
                let hook = TestAPI.webhook("\(webhook).example.com", url: base, path: "/\(webhook)", caPEM: ca)
                if mutating { try await api.addMutating(webhook, [hook]) } else { try await api.addValidating(webhook, [hook]) }
                let reply = try await api.send(.POST, Self.path, TestAPI.configMap("x"))
                #expect(reply.status == code, "\(webhook)")
                #expect(message(reply.message), "\(webhook): \(reply.message)")
                let plural = mutating ? "mutatingwebhookconfigurations" : "validatingwebhookconfigurations"
                try await api.send(.DELETE, "/apis/admissionregistration.k8s.io/v1/\(plural)/\(webhook)")
            }
            let failed = "Internal error occurred: failed calling webhook "
            try await expect("wrong-uid", code: 500) {
                $0.hasPrefix(failed + "\"wrong-uid.example.com\": received invalid webhook response: expected response.uid=\"")
                    && $0.hasSuffix("\", got \"not-it\"")
            }
            try await expect("not-json", code: 500) { $0.hasPrefix(failed + "\"not-json.example.com\": failed to call webhook: ") }
            try await expect("error-500", code: 500) {
                $0 == failed + "\"error-500.example.com\": failed to call webhook: the server responded with the status code 500 but did not return more information"
            }
            // A patch that does not apply is an error whatever the failure policy.
            try await expect("bad-patch", mutating: true, code: 500) { $0.hasPrefix("Internal error occurred: ") && $0.contains("/data/missing") }
            try await expect("deny-bare", code: 400) { $0 == "admission webhook \"deny-bare.example.com\" denied the request without explanation" }
            try await expect("deny-code", code: 422) { $0 == "admission webhook \"deny-code.example.com\" denied the request: no thanks" }
            // A plain allow goes through.
            try await expect("allow", code: 201) { _ in true }
            #expect(try await api.send(.GET, Self.path + "/x").status == 200)
        }
    }
}
