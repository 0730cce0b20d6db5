import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// A Service's cluster IP is immutable, as the recorded kube-apiserver v1.36 answers it
/// (exchange 036 step 9), over TLS.
@Suite("Service update validation", .timeLimit(.minutes(1)))
struct ServiceUpdateValidationTests {
    let services = "/api/v1/namespaces/default/services"

    @Test func clusterIPMayNotChange() async throws {
        try await withServer { _, wire in
            let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "svc"], "spec": ["ports": [["port": 80]]]]
            let created = try await wire.post(services, service)
            #expect(created.status == 201)
            let allocated = try #require(created.json["spec"]?["clusterIP"]?.stringValue)
            let other = allocated == "10.96.0.250" ? "10.96.0.251" : "10.96.0.250"
            let patch = #"{"spec":{"clusterIP":"\#(other)","clusterIPs":["\#(other)"]}}"#
            let refused = try await wire.request(.PATCH, services + "/svc", body: Data(patch.utf8), contentType: "application/merge-patch+json")
            #expect(refused.status == 422)
            let detail = "Invalid value: [\"\(other)\"]: may not change once set"
            #expect(refused.statusObject?.message == "Service \"svc\" is invalid: spec.clusterIPs[0]: \(detail)")
            #expect(refused.statusObject?.details?.causes == [StatusCause(reason: "FieldValueInvalid", message: detail, field: "spec.clusterIPs[0]")])
            // Other changes still go through.
            let relabelled = try await wire.request(
                .PATCH, services + "/svc", body: Data(#"{"metadata":{"labels":{"a":"b"}}}"#.utf8), contentType: "application/merge-patch+json")
            #expect(relabelled.status == 200)
            #expect(relabelled.json["spec"]?["clusterIP"]?.stringValue == allocated)
        }
    }
}
