import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
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
        // The Lease stores whole seconds: 2.5 s is written as 2, which is not more than the renew deadline.
        #expect(throws: LeaderElectionError.self) {
            try LeaderElectionConfig(
                leaseName: "l", namespace: "n", identity: "a", leaseDuration: .milliseconds(2500), renewDeadline: .seconds(2),
                retryPeriod: .milliseconds(500))
        }
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

    /// A client of the cluster's server whose User-Agent names `identity`, so that faults can target it.
    func client(_ cluster: Cluster, identity: String) throws -> KubeClient {
        var config = try ClientConfig.kubeconfig(paths: [cluster.directory.appendingPathComponent("kubeconfig").path], environment: [:])
        config.userAgent += " candidate/\(identity)"
        return try KubeClient(config: config, logger: Logger(label: "client", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func eventsFollowLeadership() async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            let (elector, task) = candidate(cluster.client, try config("watched"), log)
            let events = EventCollector(elector.events)
            #expect(await eventually(timeout: .seconds(10)) { events.seen.contains(.startedLeading) })
            #expect(events.seen.contains(.newLeader("watched")))
            task.cancel()
            #expect(await eventually(timeout: .seconds(10)) { events.seen.last == .stoppedLeading }, "\(events.seen)")
            #expect(events.seen.filter { $0 == .startedLeading }.count == 1)
        }
    }

    /// Collects an elector's events in the background (no bare `await next()` that could hang a test).
    final class EventCollector: Sendable {
        private let events = Mutex<[LeadershipEvent]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)
        init(_ stream: AsyncStream<LeadershipEvent>) {
            let collecting = Task { [weak self] in
                for await event in stream { self?.events.withLock { $0.append(event) } }
            }
            task.withLock { $0 = collecting }
        }
        var seen: [LeadershipEvent] { events.withLock { $0 } }
        deinit { task.withLock { $0?.cancel() } }
    }

    /// Item 4: a renewal whose answer never comes in time is cut off at the renew deadline, and
    /// the leader stops before the lease (3 s) can expire for the others — with either kind of delay.
    @Test(arguments: [true, false]) func aHangingRenewalIsCutOffAtTheRenewDeadline(applyFirst: Bool) async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            let slow = try client(cluster, identity: "slow")
            let (_, task) = candidate(slow, try config("slow"), log)
            #expect(await eventually(timeout: .seconds(10)) { log.current == "slow" })
            // Every answer to this client comes 10 s late (a request timeout plus retries, say).
            cluster.server.faults.delayResponses(toUserAgentContaining: "candidate/slow", by: .seconds(10), applyFirst: applyFirst)
            let delayedAt = ContinuousClock.now
            #expect(await eventually(timeout: .seconds(8)) { log.current == nil })
            let stoppedAfter = ContinuousClock.now - delayedAt
            print("leader with delayed answers (applyFirst: \(applyFirst)) stopped \(stoppedAfter) after the delay began")
            #expect(stoppedAfter < .seconds(3), "must stop before the lease (3 s) expires for others")
            // A healthy candidate takes over once the lease has expired, and the slow one never overlaps.
            let (_, successor) = candidate(cluster.client, try config("healthy"), log)
            #expect(await eventually(timeout: .seconds(10)) { log.current == "healthy" })
            #expect(log.neverTwoLeaders, "overlapping terms: \(log.all)")
            cluster.server.faults.clear()
            task.cancel()
            successor.cancel()
            _ = try? await task.value
            _ = try? await successor.value
            try await slow.shutdown()
        }
    }

    /// Item 5: another holder's lease is judged by its own `leaseDurationSeconds`, not ours.
    @Test(arguments: [(Int32(6), Int64(3)), (Int32(1), Int64(3))]) func anotherHoldersLeaseLastsAsLongAsItSays(holderSeconds: Int32, ourSeconds: Int64) async throws {
        try await withCluster { cluster in
            let leases = Api<Lease>.namespaced(cluster.client, "default")
            let now = MicroTime.now()
            _ = try await leases.create(
                Lease(
                    metadata: ObjectMeta(name: "singleton", namespace: "default"),
                    spec: Coordination.V1.LeaseSpec(acquireTime: now, holderIdentity: "elsewhere", leaseDurationSeconds: holderSeconds, leaseTransitions: 0, renewTime: now)))
            let log = FencingLog()
            let ours = try LeaderElectionConfig(
                leaseName: "singleton", namespace: "default", identity: "ours", leaseDuration: .seconds(ourSeconds),
                renewDeadline: .seconds(2), retryPeriod: .milliseconds(400))
            let startedAt = ContinuousClock.now
            let (_, task) = candidate(cluster.client, ours, log)
            #expect(await eventually(timeout: .seconds(15)) { log.current == "ours" })
            let takeover = ContinuousClock.now - startedAt
            print("took over a \(holderSeconds) s lease (ours: \(ourSeconds) s) after \(takeover)")
            // From our first observation, which comes right after we start.
            #expect(takeover >= .seconds(Int64(holderSeconds)), "took over before the holder's lease ran out")
            #expect(takeover < .seconds(Int64(holderSeconds)) + .milliseconds(880) + .seconds(1))
            task.cancel()
        }
    }

    /// The decision of one attempt, without a network.
    @Test func decisionFollowsTheLease() {
        func lease(_ holder: String?, seconds: Int32?) -> Lease {
            Lease(metadata: ObjectMeta(name: "l"), spec: Coordination.V1.LeaseSpec(holderIdentity: holder, leaseDurationSeconds: seconds))
        }
        func decide(_ lease: Lease?, observedAt: Duration = .seconds(10), now: Duration) -> LeaseDecision {
            LeaseDecision.decide(lease: lease, identity: "me", observedAt: observedAt, now: now, fallbackDuration: .seconds(15))
        }
        #expect(decide(nil, now: .seconds(10)) == .create)
        #expect(decide(lease("me", seconds: 15), now: .seconds(100)) == .renew)
        #expect(decide(lease(nil, seconds: 1), now: .seconds(10)) == .acquire)
        #expect(decide(lease("", seconds: 1), now: .seconds(10)) == .acquire)
        // The holder's own duration, from our observation.
        #expect(decide(lease("other", seconds: 40), now: .seconds(49)) == .wait(holder: "other", expiresAt: .seconds(50)))
        #expect(decide(lease("other", seconds: 40), now: .seconds(50)) == .acquire)
        #expect(decide(lease("other", seconds: 2), now: .seconds(12)) == .acquire)
        // Without a duration in the Lease, ours.
        #expect(decide(lease("other", seconds: nil), now: .seconds(24)) == .wait(holder: "other", expiresAt: .seconds(25)))
        #expect(decide(lease("other", seconds: nil), now: .seconds(25)) == .acquire)
    }

    @Test func timeLimitCutsOffAnOperationThatIgnoresCancellation() async {
        let clock = SystemLeaderElectionClock()
        let started = ContinuousClock.now
        let result = await withTimeLimit(.milliseconds(200), clock: clock) { () async -> Int in
            // Ignores cancellation for a whole second.
            let end = ContinuousClock.now + .seconds(1)
            while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(20)) }
            return 1
        }
        #expect(result == nil)
        #expect(ContinuousClock.now - started < .milliseconds(800))
        #expect(await withTimeLimit(.seconds(5), clock: clock, { 42 }) == 42)
    }

    @Test func leadershipIsLostWhenRenewalsFail() async throws {
        try await withCluster { cluster in
            let log = FencingLog()
            let (_, task) = candidate(cluster.client, try config("fragile"), log)
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
