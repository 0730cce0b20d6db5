import Foundation
import KubeCore
import Testing
@testable import KubeTestServer

/// PodDisruptionBudget validation as the recorded kube-apiserver v1.36 answers it (exchange
/// 049), over TLS.
@Suite("PodDisruptionBudget validation", .timeLimit(.minutes(1)))
struct DisruptionBudgetValidationTests {
    let budgets = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"

    func budget(_ name: String, spec: JSONValue) -> JSONValue {
        ["apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name)], "spec": spec]
    }

    @Test func minAvailableAndMaxUnavailableExcludeEachOther() async throws {
        try await withServer { _, wire in
            let one = try await wire.post(budgets, budget("web", spec: ["minAvailable": 1, "selector": ["matchLabels": ["app": "web"]]]))
            #expect(one.status == 201)

            let both = try await wire.post(budgets, budget("both", spec: [
                "minAvailable": 1, "maxUnavailable": "50%",
                "selector": ["matchLabels": ["app": "web"], "matchExpressions": [["key": "tier", "operator": "Exists"]]],
            ]))
            #expect(both.status == 422)
            let rendered = #"{"MinAvailable":1,"Selector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"Exists"}]},"MaxUnavailable":"50%","UnhealthyPodEvictionPolicy":null}"#
            let detail = "Invalid value: \(rendered): minAvailable and maxUnavailable cannot be both set"
            let status = try #require(both.statusObject)
            #expect(status.message == "PodDisruptionBudget.policy \"both\" is invalid: spec: \(detail)")
            #expect(status.details?.group == "policy")
            #expect(status.details?.causes == [StatusCause(reason: "FieldValueInvalid", message: detail, field: "spec")])
            #expect(try await wire.get(budgets + "/both").status == 404)
        }
    }
}
