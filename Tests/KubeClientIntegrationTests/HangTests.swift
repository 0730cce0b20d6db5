import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// The slow and half-dead cases a real network produces, over TLS (HTTP/2) against the test
/// server's stall and black-hole faults: every one must end in a typed error within its
/// configured bound, never a hang.
@Suite("Hangs become typed errors within their bound", .timeLimit(.minutes(3)))
struct HangTests {
    /// The admin client with small bounds: 2 s per request, PING after 1 s idle, 1 s to answer.
    static func fastClient(_ cluster: Cluster) throws -> KubeClient {
        var config = try cluster.adminConfig()
        config.timeouts.request = .seconds(2)
        config.timeouts.connectionReadIdle = .seconds(1)
        config.timeouts.pingTimeout = .seconds(1)
        config.retry = RetryPolicy(maxAttempts: 1)
        return try cluster.client(config)
    }

    @Test func aListWhoseBodyStallsFailsWithinTheRequestTimeout() async throws {
        try await Cluster.run { cluster in
            let client = try Self.fastClient(cluster)
            let api = Api<ConfigMap>.namespaced(client, "default")
            for index in 0..<20 { _ = try await api.create(configMap("cm-\(index)", data: ["k": String(repeating: "v", count: 200)])) }
            cluster.server.faults.stallNextResponseBodies(1, afterBytes: 1000, pathContains: "/configmaps")
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeError.self) { _ = try await withDeadline(10) { try await api.list() } }
            let elapsed = ContinuousClock.now - started
            print("stalled list body: failed after \(elapsed)")
            #expect(error?.code == .timeout, "\(String(describing: error))")
            #expect(error?.isTimeout == true)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(3.5), "took \(elapsed)")
            #expect(cluster.server.faults.stalledResponses == 1)
            // The stalled stream was reset; the connection and the next list are fine.
            let after = try await api.list()
            #expect(after.items.filter { $0.metadata.name?.hasPrefix("cm-") == true }.count == 20, "\(after.items.count) items")
        }
    }

    @Test func aRequestWhoseHeadNeverComesFailsWithinTheRequestTimeout() async throws {
        try await Cluster.run { cluster in
            let client = try Self.fastClient(cluster)
            let api = Api<ConfigMap>.namespaced(client, "default")
            cluster.server.faults.stallNextResponses(1, pathContains: "/configmaps")
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeError.self) { _ = try await withDeadline(10) { try await api.get("anything") } }
            let elapsed = ContinuousClock.now - started
            #expect(error?.code == .timeout)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(3.5), "took \(elapsed)")
            #expect(try await api.getIfExists("anything") == nil)
        }
    }

    @Test func aWatchWhoseHeadNeverComesFailsWithinTheRequestTimeout() async throws {
        try await Cluster.run { cluster in
            let client = try Self.fastClient(cluster)
            let api = Api<ConfigMap>.namespaced(client, "default")
            cluster.server.faults.stallNextResponses(1, watchesOnly: true)
            let started = ContinuousClock.now
            let error = await #expect(throws: KubeError.self) {
                try await withDeadline(10) { for try await _ in try api.watch(WatchOptions(timeoutSeconds: 60)) {} }
            }
            let elapsed = ContinuousClock.now - started
            print("stalled watch head: failed after \(elapsed)")
            #expect(error?.code == .timeout)
            #expect(elapsed >= .seconds(2) && elapsed < .seconds(3.5), "took \(elapsed)")
            #expect(cluster.server.faults.stalledResponses == 1)
        }
    }

    @Test func aBlackHoledConnectionFailsItsWatchAfterAnUnansweredPing() async throws {
        try await Cluster.run { cluster in
            let client = try Self.fastClient(cluster)
            let api = Api<ConfigMap>.namespaced(client, "default")
            let version = try await api.list().metadata.resourceVersion
            _ = try await api.create(configMap("before"))
            let failure = Locked<(KubeError?, Duration?)>((nil, nil))
            let blackHoled = Locked<ContinuousClock.Instant?>(nil)
            let watching = Task {
                do {
                    for try await event in try api.watch(WatchOptions(resourceVersion: version, timeoutSeconds: 300)) {
                        if event.object?.metadata.name == "before", blackHoled.value == nil {
                            // The watch is established and delivering: cut the network under it.
                            let count = await cluster.server.faults.blackHoleConnections()
                            #expect(count >= 1)
                            blackHoled.update { $0 = .now }
                        }
                    }
                } catch let error as KubeError {
                    let elapsed = blackHoled.value.map { ContinuousClock.now - $0 }
                    failure.update { $0 = (error, elapsed) }
                }
            }
            try await waitUntil(10, "the watch to fail") { failure.value.0 != nil }
            watching.cancel()
            let (error, elapsed) = failure.value
            print("black-holed watch: failed \(elapsed.map { "\($0)" } ?? "?") after the black hole")
            #expect(error?.code == .transport, "\(String(describing: error))")
            // Nothing arrives for 1 s (PING sent), the PING is unanswered for 1 s: closed.
            let detected = try #require(elapsed)
            #expect(detected >= .seconds(1) && detected < .seconds(3.5), "took \(detected)")
            // A new connection works at once.
            #expect(try await api.get("before").metadata.name == "before")
        }
    }

    /// A CA file that is broken, then rotated while the client key is unreadable (so no client
    /// can be built from it), then usable: the client must end up trusting the new CA, which
    /// means a failed build is tried again on a later refresh period.
    @Test func aCAThatCouldNotBeAppliedIsTriedAgain() async throws {
        try await Cluster.run { cluster in
            let other = try await KubeTestServer.start()
            let otherCA = other.caCertificatePEM
            await other.shutdown()
            let issued = try cluster.adminConfig(clientCertificate: true)
            guard case .pem(let certificate)? = issued.tls.clientCertificate, case .pem(let key)? = issued.tls.clientKey else {
                Issue.record("the admin kubeconfig has no inline client certificate")
                return
            }
            let caPath = cluster.directory + "/rotating-ca.crt"
            let certificatePath = cluster.directory + "/client.crt"
            let keyPath = cluster.directory + "/client.key"
            try Data(otherCA.utf8).write(to: URL(fileURLWithPath: caPath))
            try Data(certificate.utf8).write(to: URL(fileURLWithPath: certificatePath))
            try Data(key.utf8).write(to: URL(fileURLWithPath: keyPath))
            let config = ClientConfig(
                server: cluster.server.url,
                tls: .init(certificateAuthority: .file(caPath), clientCertificate: .file(certificatePath), clientKey: .file(keyPath)),
                retry: RetryPolicy(maxAttempts: 1), credentialRefreshInterval: .milliseconds(100))
            let client = try cluster.client(config)
            let period: Duration = .milliseconds(150)

            // The wrong CA: verification fails.
            #expect(await #expect(throws: KubeError.self) { _ = try await client.version() }?.code == .tlsVerification)
            // A broken CA file keeps the current roots.
            try Data("garbage".utf8).write(to: URL(fileURLWithPath: caPath))
            try await Task.sleep(for: period)
            #expect(await #expect(throws: KubeError.self) { _ = try await client.version() }?.code == .tlsVerification)
            // The right CA arrives while the client key is mid-rotation: no client can be built.
            try Data("-----BEGIN PRIVATE KEY-----\ntruncated".utf8).write(to: URL(fileURLWithPath: keyPath))
            try Data(cluster.server.caCertificatePEM.utf8).write(to: URL(fileURLWithPath: caPath))
            try await Task.sleep(for: period)
            #expect(await #expect(throws: KubeError.self) { _ = try await client.version() }?.code == .tlsVerification)
            // The key is back: a later period builds the client with the new CA.
            try Data(key.utf8).write(to: URL(fileURLWithPath: keyPath))
            try await waitUntil(5, "the client to trust the rotated CA") { (try? await client.version()) != nil }
        }
    }
}
