import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// A pod's client keeps working while the kubelet (here the test server) rotates its
/// projected token and the API server stops accepting the old ones.
///
/// Half the requests are SelfSubjectReviews, whose answer carries the token's
/// `credential-id` (`JTI=...`), so the test sees which token each request was sent with;
/// the other half are GETs of a ConfigMap the pod's Role allows.
@Suite("Token rotation", .timeLimit(.minutes(3)))
struct TokenRotationTests {
    private static func credentialID(_ client: KubeClient) async throws -> String {
        let review = try await Api<SelfSubjectReview>.cluster(client).create(SelfSubjectReview())
        #expect(review.status?.userInfo?.username == "system:serviceaccount:default:rotating")
        return review.status?.userInfo?.extra?["authentication.kubernetes.io/credential-id"]?.first ?? ""
    }

    @Test(.timeLimit(.minutes(1)))
    func continuousRequestsSurviveRotationWithZeroFailures() async throws {
        try await Cluster.run { cluster in
            // Tokens that live 4 s, rotated every second (the kubelet rotates at 80% of the lifetime).
            let pod = try await cluster.podFilesystem(serviceAccount: "rotating", tokenExpirationSeconds: 4)
            var config = try cluster.inClusterConfig(pod)
            // The public knob, lowered from client-go's minute to match the 4 s tokens.
            config.credentialRefreshInterval = .milliseconds(500)
            let client = try cluster.client(config)
            try await cluster.grant(pod, verbs: ["get"], resources: ["configmaps"])
            _ = try await Api<ConfigMap>.namespaced(cluster.admin, "default").create(configMap("read-by-the-pod", data: ["k": "v"]))
            let configMaps = Api<ConfigMap>.default(client)
            let firstToken = try String(contentsOfFile: pod.tokenPath, encoding: .utf8)

            let failures = Locked<[String]>([])
            let seen = Locked<[String]>([])
            let stop = Locked(false)
            // A hard revocation (new signing key, all tokens expired) has no overlap: the new token
            // can only be minted after it. The requests pause for that instant, so that what is
            // measured is the client's recovery, not the gap between revoking and projecting.
            let gate = Locked((pause: false, idle: false))
            let started = ContinuousClock.now
            let requests = Task {
                var count = 0
                while count < 300 || !stop.value {
                    if gate.value.pause {
                        gate.update { $0.idle = true }
                        try await Task.sleep(for: .milliseconds(5))
                        continue
                    }
                    gate.update { $0.idle = false }
                    do {
                        if count.isMultiple(of: 2) {
                            let id = try await Self.credentialID(client)
                            seen.update { ids in if ids.last != id { ids.append(id) } }
                        } else {
                            if try await configMaps.get("read-by-the-pod").data != ["k": "v"] { throw WaitFailed(what: "the right ConfigMap") }
                        }
                    } catch {
                        failures.update { $0.append("\(error)") }
                    }
                    count += 1
                    try await Task.sleep(for: .milliseconds(5))
                }
                return count
            }
            // About 10 s: a fresh 4 s token every second (old ones expire on their own); once the
            // signing key is replaced and once every older token revoked, each followed at once by
            // a fresh token. The client still holds the revoked one: 401, re-read, retry.
            for round in 0..<10 {
                try await Task.sleep(for: .seconds(1))
                if round == 3 || round == 6 {
                    gate.update { $0 = (pause: true, idle: false) }
                    try await waitUntil(10, "the request loop to pause") { gate.value.idle }
                    if round == 3 { await cluster.server.faults.rotateSigningKey() } else { await cluster.server.faults.expireAllTokens() }
                    try await cluster.server.rotateToken(pod, expirationSeconds: 4)
                    gate.update { $0.pause = false }
                } else {
                    try await cluster.server.rotateToken(pod, expirationSeconds: 4)
                }
            }
            stop.update { $0 = true }
            let sent = try await withDeadline(30) { try await requests.value }
            print("token rotation: \(sent) requests in \(ContinuousClock.now - started), \(seen.value.count) tokens, \(failures.value.count) failures")

            #expect(failures.value.isEmpty, "failed requests: \(failures.value)")
            #expect(sent >= 300)
            // The client moved through several tokens, not just the first and the last.
            #expect(seen.value.count >= 5, "credential ids used: \(seen.value)")

            // The first token no longer works: rotation was needed, not cosmetic.
            var stale = config
            stale.credentials = .token(firstToken.trimmingCharacters(in: .whitespacesAndNewlines))
            let staleClient = try cluster.client(stale)
            let refused = await #expect(throws: KubeError.self) { _ = try await Self.credentialID(staleClient) }
            #expect(refused?.isUnauthorized == true)
        }
    }

    @Test func unauthorizedForcesOneReReadAndRetry() async throws {
        try await Cluster.run { cluster in
            let pod = try await cluster.podFilesystem(serviceAccount: "rotating")
            // The default refresh interval (one minute): only the 401 can make the client re-read.
            let client = try cluster.client(try cluster.inClusterConfig(pod))
            let before = try await Self.credentialID(client)

            // The kubelet writes a new token, then the API server revokes every older one...
            let oldToken = try String(contentsOfFile: pod.tokenPath, encoding: .utf8)
            await cluster.server.faults.expireAllTokens()
            try await cluster.server.rotateToken(pod)
            #expect(try String(contentsOfFile: pod.tokenPath, encoding: .utf8) != oldToken)

            // ...so the next request is sent with the cached old token, gets 401, re-reads the
            // file and succeeds with the new one.
            let after = try await Self.credentialID(client)
            #expect(after != before)
            #expect(!after.isEmpty)
            #expect(try await Self.credentialID(client) == after)

            // Revoked with no new token on disk: one re-read, one retry, then the 401 surfaces.
            await cluster.server.faults.expireAllTokens()
            let refused = await #expect(throws: KubeError.self) { _ = try await Self.credentialID(client) }
            #expect(refused?.isUnauthorized == true)
        }
    }

    @Test
    func aReconnectingWatchUsesTheCurrentToken() async throws {
        try await Cluster.run { cluster in
            let pod = try await cluster.podFilesystem(serviceAccount: "watcher")
            try await cluster.grant(pod, verbs: ["list", "watch"], resources: ["configmaps"])
            let client = try cluster.client(try cluster.inClusterConfig(pod))
            let configMaps = Api<ConfigMap>.default(client)
            let admin = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion

            // First connection: sees "before", then the connection is cut.
            let first = Locked<[String]>([])
            let stream = try configMaps.watch(WatchOptions(resourceVersion: start))
            let reading = Task {
                do { for try await event in stream where event.type == .added { first.update { $0.append(event.object?.metadata.name ?? "") } } } catch {}
            }
            _ = try await admin.create(configMap("before"))
            try await waitUntil(10, "the first watch to see its object") { first.value == ["before"] }

            // The kubelet projects a new token and the old one is revoked while no watch is open.
            await cluster.server.faults.expireAllTokens()
            try await cluster.server.rotateToken(pod)
            await cluster.server.faults.dropAllWatches()
            _ = try await withDeadline(10) { await reading.value }
            _ = try await admin.create(configMap("after"))

            // The reconnect (from the last seen version) is refused once, re-reads the token and streams on.
            let resumed = try configMaps.watch(WatchOptions(resourceVersion: try await admin.get("before").metadata.resourceVersion))
            let next = try await withDeadline(10) { () -> String? in
                for try await event in resumed where event.type == .added { return event.object?.metadata.name }
                return nil
            }
            #expect(next == "after")
        }
    }
}
