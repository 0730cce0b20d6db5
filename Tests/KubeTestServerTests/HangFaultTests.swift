import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import Synchronization
import Testing
@testable import KubeTestServer

/// The hang faults (stall head, stall body mid-way, black-hole established connections) driven
/// through the admin control API, as a client in another process would, and observed with a
/// plain AsyncHTTPClient over TLS.
@Suite("Hang faults over POST /_control/faults", .timeLimit(.minutes(2)))
struct HangFaultTests {
    final class ByteCount: Sendable {
        let value = Mutex(0)
    }

    func adminRequest(_ server: KubeTestServer, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server.url + path)
        request.headers.add(name: "Authorization", value: "Bearer \(server.adminToken)")
        return request
    }

    @Test func aStalledBodySendsTheHeadAndAPrefixThenNothing() async throws {
        try await withServer { server, wire async throws in
            let control = try await wire.post(
                "/_control/faults", ["action": "stallNextResponseBodies", "count": 1, "afterBytes": 10, "pathContains": "/configmaps"])
            #expect(control.status == 200)
            let response = try await wire.client.execute(adminRequest(server, "/api/v1/namespaces/default/configmaps"), timeout: .seconds(5))
            #expect(response.status.code == 200)
            let length = try #require(Int(response.headers.first(name: "content-length") ?? ""))
            #expect(length > 10)
            let received = ByteCount()
            // Reading the body does not end within 1.5 s, and only the prefix arrives.
            let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    for try await chunk in response.body { received.value.withLock { $0 += chunk.readableBytes } }
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(1.5))
                    return false
                }
                defer { group.cancelAll() }
                return try await group.next() ?? true
            }
            #expect(!finished)
            #expect(received.value.withLock { $0 } == 10)
            #expect(server.faults.stalledResponses == 1)
            // Only one response was stalled.
            #expect(try await wire.get("/api/v1/namespaces/default/configmaps").status == 200)
        }
    }

    @Test func aStalledHeadNeverAnswers() async throws {
        try await withServer { server, wire async throws in
            #expect(try await wire.post("/_control/faults", ["action": "stallNextResponses", "count": 1, "pathContains": "/version"]).status == 200)
            await #expect(throws: (any Error).self) { _ = try await wire.client.execute(adminRequest(server, "/version"), timeout: .seconds(1)) }
            #expect(server.faults.stalledResponses == 1)
            #expect(try await wire.get("/version").status == 200)
            #expect(try await wire.post("/_control/faults", ["action": "stallNextResponses"]).status == 400)
            #expect(try await wire.post("/_control/faults", ["action": "stallNextResponseBodies", "count": 1]).status == 400)
        }
    }

    @Test func blackHolingSparesTheControlConnectionOnly() async throws {
        try await withServer { server, wire async throws in
            let victim = try Wire(server: server, token: server.adminToken)
            #expect(try await victim.get("/healthz").status == 200)  // its connection is now pooled
            #expect(try await wire.get("/healthz").status == 200)
            let control = try await wire.post("/_control/faults", ["action": "blackHoleConnections"])
            #expect(control.status == 200)
            #expect(control.statusObject?.message == "1 connections")
            // The victim's connection neither answers nor closes.
            await #expect(throws: (any Error).self) { _ = try await victim.client.execute(adminRequest(server, "/healthz"), timeout: .seconds(1)) }
            // The control connection and new connections work.
            #expect(try await wire.get("/healthz").status == 200)
            let fresh = try Wire(server: server, token: server.adminToken)
            #expect(try await fresh.get("/healthz").status == 200)
            await fresh.shutdown()
            await victim.shutdown()
        }
    }
}
