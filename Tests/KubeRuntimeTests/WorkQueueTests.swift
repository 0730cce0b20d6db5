import KubeClient
import Synchronization
import Testing
@testable import KubeRuntime

/// Records what workers do, to check the work queue's contract.
private final class Tracker: Sendable {
    struct State {
        var active: Set<Int> = []
        var concurrentViolations = 0
        var lastAdd: [Int: Int] = [:]  // item → sequence number of its last add
        var lastStart: [Int: Int] = [:]  // item → sequence number of its last processing start
        var clock = 0
    }
    let state = Mutex(State())

    func added(_ item: Int) { state.withLock { $0.clock += 1; $0.lastAdd[item] = $0.clock } }
    func start(_ item: Int) {
        state.withLock { state in
            state.clock += 1
            if !state.active.insert(item).inserted { state.concurrentViolations += 1 }
            state.lastStart[item] = state.clock
        }
    }
    func end(_ item: Int) { _ = state.withLock { $0.active.remove(item) } }
}

@Suite(.timeLimit(.minutes(3))) struct WorkQueueTests {
    @Test func dirtyItemRunsAgainAfterDone() async {
        let queue = WorkQueue<String>()
        await queue.add("a")
        let first = await queue.next()
        #expect(first == "a")
        await queue.add("a")  // while processing: marked dirty, not handed out
        await queue.add("b")
        #expect(await queue.next() == "b")
        await queue.done("b")
        #expect(await queue.count == 0)
        await queue.done("a")
        #expect(await queue.next() == "a")
    }

    @Test func addsAreDeduplicatedAndFair() async {
        let queue = WorkQueue<Int>()
        for item in [3, 1, 3, 2, 1] { await queue.add(item) }
        #expect(await queue.count == 3)
        var order: [Int] = []
        for _ in 0..<3 { if let item = await queue.next() { order.append(item); await queue.done(item) } }
        #expect(order == [3, 1, 2])
    }

    @Test(arguments: [1, 7, 99])
    func neverConcurrentNeverLost(seed: UInt64) async {
        var random = SplitMix64(seed: seed)
        let queue = WorkQueue<Int>()
        let tracker = Tracker()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    while let item = await queue.next() {
                        tracker.start(item)
                        await Task.yield()
                        tracker.end(item)
                        await queue.done(item)
                    }
                }
            }
            var adds: [(Int, Bool)] = []
            for _ in 0..<2000 { adds.append((Int(random.next() % 20), random.next() % 5 == 0)) }
            for (item, pause) in adds {
                tracker.added(item)
                await queue.add(item)
                if pause { await Task.yield() }
            }
            await queue.shutDown(drain: true)
        }
        let state = tracker.state.withLock { $0 }
        #expect(state.concurrentViolations == 0)
        // Never lost: each item's last processing started after its last add.
        for (item, added) in state.lastAdd {
            #expect((state.lastStart[item] ?? 0) > added, "item \(item) added at \(added) was not processed after it")
        }
    }

    @Test func delayedAddKeepsEarliestDeadline() async throws {
        let queue = WorkQueue<String>()
        await queue.addAfter("x", delay: .seconds(30))
        await queue.addAfter("x", delay: .milliseconds(20))
        let start = ContinuousClock.now
        let item = await queue.next()
        #expect(item == "x")
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func rateLimitedBackoffGrowsAndForgets() async {
        let limiter = RateLimiter()
        #expect(limiter.backoff(failures: 0) == .milliseconds(5))
        #expect(limiter.backoff(failures: 3) == .milliseconds(40))
        #expect(limiter.backoff(failures: 40) == .seconds(1000))
        let queue = WorkQueue<String>(rateLimiter: RateLimiter(base: .milliseconds(1), qps: nil))
        await queue.addRateLimited("a")
        await queue.addRateLimited("a")
        #expect(await queue.requeues("a") == 2)
        #expect(await queue.next() == "a")
        await queue.forget("a")
        #expect(await queue.requeues("a") == 0)
    }

    @Test func tokenBucketLimitsOverallRate() {
        let now = ContinuousClock.now
        var bucket = TokenBucket(qps: 10, burst: 2, now: now)
        #expect(bucket.reserve(now: now) == .zero)
        #expect(bucket.reserve(now: now) == .zero)
        let third = bucket.reserve(now: now)
        #expect(third > .milliseconds(90) && third <= .milliseconds(100))
    }

    @Test func shutdownWithoutDrainEndsWorkers() async {
        let queue = WorkQueue<Int>()
        await queue.add(1)
        await queue.add(2)
        await queue.shutDown(drain: false)
        #expect(await queue.next() == nil)
        await queue.add(3)
        #expect(await queue.count == 0)
    }
}
