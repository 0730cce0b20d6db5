import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// core/v1 and events.k8s.io/v1 Events: one storage served through both APIs with kube's
/// field conversion, field selectors in each API's terms (recordings 115-118).
@Suite("Events through both APIs (recordings 115-118)", .timeLimit(.minutes(3)))
struct EventsConversionTests {
    @Test(arguments: ["115-core-event-read-as-events-v1", "116-events-v1-with-series", "117-events-field-selectors", "118-events-update-and-defaults"])
    func replaysAsRecorded(_ name: String) async throws {
        try await withServer { server, wire in
            let replay = try Replayer(name, server: server, wire: wire)
            for step in replay.recording.steps.indices {
                let differences = try await replay.mismatches(step)
                #expect(differences == [], "\(name): \(differences)")
            }
        }
    }

    @Test func watchesSeeEventsWrittenThroughTheOtherAPI() async throws {
        try await withServer { _, wire in
            let core = "/api/v1/namespaces/default/events"
            let modern = "/apis/events.k8s.io/v1/namespaces/default/events"
            let start = try await wire.get(modern).json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            let watch = try await wire.watch(modern + "?watch=1&timeoutSeconds=3&resourceVersion=\(start)")
            let event: JSONValue = [
                "apiVersion": "v1", "kind": "Event", "metadata": ["name": "legacy"],
                "involvedObject": ["kind": "Pod", "namespace": "default", "name": "web-1"],
                "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning", "count": 3,
            ]
            #expect(try await wire.post(core, event).status == 201)
            let events = try await watch.events(limit: 1, timeout: .seconds(10))
            #expect(events.first?["type"] == "ADDED")
            let object = events.first?["object"]
            #expect(object?["apiVersion"] == "events.k8s.io/v1")
            #expect(object?["note"] == "Back-off restarting failed container")
            #expect(object?["regarding"]?["name"] == "web-1")
            #expect(object?["deprecatedCount"] == 3)
            #expect(object?["eventTime"] == .null)
            #expect(object?["message"] == nil && object?["involvedObject"] == nil)

            // Deleting through events.k8s.io removes the core Event.
            #expect(try await wire.delete(modern + "/legacy").status == 200)
            #expect(try await wire.get(core + "/legacy").status == 404)
            let missing = try await wire.get(modern + "/legacy")
            #expect(missing.statusObject?.message == #"events.events.k8s.io "legacy" not found"#)
        }
    }
}
