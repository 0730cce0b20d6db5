import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// Server-side apply bookkeeping as the recorded kube-apiserver v1.36 does it (exchanges 071,
/// 074), over TLS: an apply that changes nothing records no time for its manager, which puts
/// it first in kube's managedFields order.
@Suite("Server-side apply fidelity", .timeLimit(.minutes(2)))
struct ApplyFidelityTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    func apply(_ wire: Wire, _ manager: String, _ data: JSONValue, force: Bool = false) async throws -> WireResponse {
        let body: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "ssa"], "data": data]
        let query = "?fieldManager=\(manager)" + (force ? "&force=true" : "")
        return try await wire.request(.PATCH, configMaps + "/ssa" + query, body: JSONWriter.data(body), contentType: "application/apply-patch+yaml")
    }

    func managers(_ response: WireResponse) -> [JSONValue?] {
        (response.json["metadata"]?["managedFields"]?.arrayValue ?? []).map { $0["manager"] }
    }

    @Test func noOpApplyHasNoTimeAndSortsFirst() async throws {
        try await withServer { _, wire in
            let created = try await apply(wire, "alice", ["a": "1", "b": "2"])
            #expect(created.status == 201)
            let shared = try await apply(wire, "carol", ["b": "2"])
            #expect(shared.status == 200)
            #expect(managers(shared) == ["carol", "alice"])
            let entries = shared.json["metadata"]?["managedFields"]?.arrayValue ?? []
            #expect(entries.first?["time"] == nil)
            #expect(entries.last?["time"]?.stringValue.flatMap(RFC3339.parse) != nil)

            // A forced apply changes the object: bob gets a time and sorts after the untimed carol.
            let forced = try await apply(wire, "bob", ["a": "bob"], force: true)
            #expect(forced.status == 200)
            #expect(managers(forced) == ["carol", "alice", "bob"])
            #expect(forced.json["data"] == ["a": "bob", "b": "2"])
            let refused = try await apply(wire, "alice", ["a": "1", "b": "2"])
            #expect(refused.status == 409)
            #expect(refused.json["message"] == "Apply failed with 1 conflict: conflict with \"bob\": .data.a")
        }
    }
}
