import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Synchronization
import Testing
@testable import KubeRuntime

@Suite("Leader election against KubeTestServer", .timeLimit(.minutes(3)))
struct LeaderElectorTests {
    /// Intervals during which each candidate ran the leader's work, on one monotonic clock.
    final class FencingLog: Sendable {
        struct Term: Sendable { let identity: String; let start: ContinuousClock.Instant; var end: ContinuousClock.Instant? }
        let terms = Mutex<[Term]>([])
        func begin(_ identity: String) { terms.withLock { $0.append(Term(identity: identity, start: .now, end: nil)) } }
        func end(_ identity: String) {
            terms.withLock { terms in
                if let index = terms.lastIndex(where: { $0.identity == identity && $0.end == nil }) { terms[index].end = .now }
            }
        }
        var current: String? { terms.withLock { $0.last(where: { $0.end == nil })?.identity } }
        var all: [Term] { terms.withLock { $0 } }

        /// No two terms overlap.
        var neverTwoLeaders: Bool {
            let sorted = all.sorted { $0.start < $1.start }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                guard let end = a.end, end <= b.start else { return false }
            }
            return true
        }
    }

    func config(_ identity: String, release: Bool = true) throws -> LeaderElectionConfig {
        try LeaderElectionConfig(
            leaseName: "singleton", namespace: "default", identity: identity, leaseDuration: .seconds(3),
            renewDeadline: .seconds(2), retryPeriod: .milliseconds(400), releaseOnCancel: release)
    }

    func candidate(_ client: KubeClient, _ config: LeaderElectionConfig, _ log: FencingLog) -> (LeaderElector, Task<Void, any Error>) {
        let elector = LeaderElector(client: client, config: config)
        let identity = config.identity
        let task = Task {
            try await elector.run {
                log.begin(identity)
                defer { log.end(identity) }
                try await Task.sleep(for: .seconds(3600))
            }
        }
        return (elector, task)
    }

    @Test func validatesTimingsLikeClientGo() {
        #expect(throws: LeaderElectionError.self) {
            try LeaderElectionConfig(leaseName: "l", namespace: "n", identity: "a", leaseDuration: .seconds(10), renewDeadline: .seconds(10))
        }
        #expect(throws: LeaderElectionError.self) {
            try LeaderElectionConfig(leaseName: "l", namespace: "n", identity: "a", renewDeadline: .seconds(2), retryPeriod: .seconds(2))
        }
        #expect(throws: LeaderElectionError.self) { try LeaderElectionConfig(leaseName: "l", namespace: "n", identity: "") }
        #expect(throws: Never.self) { try LeaderElectionConfig(leaseName: "l", namespace: "n", identity: "a") }
        #expect(LeaderElectionConfig.defaultIdentity(environment: ["POD_NAME": "web-0", "HOSTNAME": "x"]) == "web-0")
        #expect(LeaderElectionConfig.defaultIdentity(environment: ["HOSTNAME": "web-1"]) == "web-1")
    }

    @Test func oneLeaderFailoverAndGracefulHandOver() async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            // A crash (no release) and two graceful candidates.
            var candidates: [String: (LeaderElector, Task<Void, any Error>)] = [:]
            for identity in ["a", "b", "c"] {
                candidates[identity] = candidate(cluster.client, try config(identity, release: true), log)
            }
            #expect(await eventually(timeout: .seconds(10)) { log.current != nil })
            let first = try #require(log.current)

            // Stop the leader (it releases the Lease): another takes over quickly.
            candidates[first]?.1.cancel()
            let killedAt = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(15)) { log.current != nil && log.current != first })
            let failover = ContinuousClock.now - killedAt
            let second = try #require(log.current)
            print("failover from \(first) to \(second) took \(failover)")
            // Graceful cancellation releases, so this is quick; a crash would take up to leaseDuration.
            #expect(failover < .seconds(3) + .milliseconds(400 * 3))

            // Graceful stop of the second leader: the third takes over within about one retry period.
            candidates[second]?.1.cancel()
            let stoppedAt = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(10)) { log.current != nil && log.current != second })
            let handOver = ContinuousClock.now - stoppedAt
            print("graceful hand-over from \(second) to \(log.current ?? "?") took \(handOver)")
            #expect(handOver < .seconds(2))
            #expect(log.neverTwoLeaders, "overlapping terms: \(log.all)")
            for (_, candidate) in candidates { candidate.1.cancel() }
        }
    }

    @Test func aCrashedLeaderIsReplacedAfterTheLeaseExpires() async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            let (_, crashing) = candidate(cluster.client, try config("crashing", release: false), log)
            #expect(await eventually(timeout: .seconds(10)) { log.current == "crashing" })
            let (_, successor) = candidate(cluster.client, try config("successor"), log)
            // While the leader renews, the successor must not take over.
            try await Task.sleep(for: .seconds(4))
            #expect(log.current == "crashing")
            crashing.cancel()  // no release: like a crashed process
            let crashedAt = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(15)) { log.current == "successor" })
            let takeover = ContinuousClock.now - crashedAt
            print("takeover after a crash took \(takeover) (lease 3 s, retry 0.4 s)")
            // At least the lease duration minus what had passed since the last renewal, at most
            // leaseDuration + a jittered retry period (+ slack for a loaded machine).
            #expect(takeover >= .seconds(2) && takeover < .seconds(3) + .milliseconds(880) + .seconds(3))
            #expect(log.neverTwoLeaders, "overlapping terms: \(log.all)")
            successor.cancel()
            let lease = try await Api<Lease>.namespaced(cluster.client, "default").get("singleton")
            #expect((lease.spec?.leaseTransitions ?? 0) >= 1)
        }
    }

    @Test func leadershipIsLostWhenRenewalsFail() async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            let (elector, task) = candidate(cluster.client, try config("fragile"), log)
            var events = elector.events.makeAsyncIterator()
            #expect(await events.next() == .newLeader("fragile") || elector.isLeader)
            #expect(await eventually(timeout: .seconds(10)) { log.current == "fragile" })
            // Every request fails for a while: the leader must stop before renewDeadline + retry.
            cluster.server.faults.failNextRequests(1000, status: 500)
            let failingAt = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(10)) { log.current == nil })
            let stoppedAfter = ContinuousClock.now - failingAt
            print("leader stopped \(stoppedAfter) after renewals began to fail")
            #expect(stoppedAfter < .seconds(3), "must stop before the lease (3 s) expires for others")
            cluster.server.faults.clear()
            task.cancel()
        }
    }
}
