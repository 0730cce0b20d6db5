import KubeCore
import Testing
@testable import KubeRuntime

@Suite(.timeLimit(.minutes(3))) struct WatcherStateMachineTests {
    typealias Machine = WatcherStateMachine<TestObject>
    let t0 = ContinuousClock.now

    @Test func paginatedListThenWatch() {
        var machine = Machine(strategy: .list(pageSize: 2), seed: 1)
        #expect(machine.step(.start, now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 2)])
        let a = TestObject("a"), b = TestObject("b"), c = TestObject("c")
        #expect(
            machine.step(.listPage(items: [a, b], resourceVersion: "10", continueToken: "next"), now: t0)
                == [.emit(.initObject(a)), .emit(.initObject(b)), .list(continueToken: "next", pageSize: 2)])
        #expect(
            machine.step(.listPage(items: [c], resourceVersion: "10", continueToken: nil), now: t0)
                == [.emit(.initObject(c)), .emit(.initDone(resourceVersion: "10")), .watch(resourceVersion: "10", sendInitialEvents: false)])
        let changed = TestObject("a", resourceVersion: "11")
        #expect(machine.step(.event(.modified(changed)), now: t0) == [.emit(.modified(changed))])
        #expect(machine.phase == .watching(resourceVersion: "11"))
        #expect(machine.step(.event(.bookmark(Bookmark(resourceVersion: "15"))), now: t0) == [.emit(.bookmark(resourceVersion: "15"))])
        // A server timeout resumes from the last seen version at once.
        #expect(machine.step(.watchEnded, now: t0) == [.watch(resourceVersion: "15", sendInitialEvents: false)])
        let gone = TestObject("b", resourceVersion: "16")
        #expect(machine.step(.event(.deleted(gone)), now: t0) == [.emit(.deleted(gone))])
        #expect(machine.phase == .watching(resourceVersion: "16"))
    }

    @Test func goneRelistsAtOnce() {
        var machine = Machine(strategy: .list(pageSize: 500), seed: 1)
        _ = machine.step(.start, now: t0)
        _ = machine.step(.listPage(items: [], resourceVersion: "5", continueToken: nil), now: t0)
        let expired = Status(message: "too old resource version: 5 (9)", reason: StatusReason.expired, code: 410)
        #expect(machine.step(.event(.error(expired)), now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 500)])
        // An HTTP 410 on the watch request does the same.
        _ = machine.step(.listPage(items: [], resourceVersion: "9", continueToken: nil), now: t0)
        #expect(machine.step(.failed(gone: true, invalid: false), now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 500)])
    }

    @Test func expiredContinueTokenRestartsOnceThenBacksOff() {
        var machine = Machine(strategy: .list(pageSize: 1), seed: 1)
        _ = machine.step(.start, now: t0)
        _ = machine.step(.listPage(items: [TestObject("a")], resourceVersion: "5", continueToken: "c1"), now: t0)
        #expect(machine.step(.failed(gone: true, invalid: false), now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 1)])
        let second = machine.step(.failed(gone: true, invalid: false), now: t0)
        guard case .sleep = second.first else {
            Issue.record("expected a backoff, got \(second)")
            return
        }
        #expect(machine.step(.backoffElapsed, now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 1)])
    }

    @Test func failuresBackOffWithJitterAndReset() {
        var machine = Machine(strategy: .list(pageSize: 500), seed: 42)
        _ = machine.step(.start, now: t0)
        _ = machine.step(.listPage(items: [], resourceVersion: "5", continueToken: nil), now: t0)
        var delays: [Duration] = []
        for _ in 0..<8 {
            let actions = machine.step(.failed(gone: false, invalid: false), now: t0)
            guard case .sleep(let delay) = actions.first else {
                Issue.record("expected a sleep, got \(actions)")
                return
            }
            delays.append(delay)
            // A watch failure resumes the watch from where it was, not a relist.
            #expect(machine.step(.backoffElapsed, now: t0) == [.watch(resourceVersion: "5", sendInitialEvents: false)])
        }
        #expect(delays[0] >= .milliseconds(400) && delays[0] < .milliseconds(1200))
        #expect(delays.allSatisfy { $0 <= .seconds(30) })
        #expect(delays[7] >= .seconds(15))  // 0.8 s · 2^7 is past the cap: 30 s ± jitter, capped
        // After two minutes of health, the backoff starts from 0.8 s again.
        _ = machine.step(.event(.bookmark(Bookmark(resourceVersion: "6"))), now: t0)
        let later = t0 + .seconds(121)
        guard case .sleep(let reset) = machine.step(.failed(gone: false, invalid: false), now: later).first else {
            Issue.record("expected a sleep")
            return
        }
        #expect(reset < .milliseconds(1200))
    }

    @Test func streamingListEndsWithTheInitialEventsBookmark() {
        var machine = Machine(strategy: .streamingList, seed: 1)
        #expect(machine.step(.start, now: t0) == [.emit(.initStart), .watch(resourceVersion: nil, sendInitialEvents: true)])
        let a = TestObject("a", resourceVersion: "3")
        #expect(machine.step(.event(.added(a)), now: t0) == [.emit(.initObject(a))])
        #expect(machine.step(.event(.bookmark(Bookmark(resourceVersion: "4"))), now: t0) == [])
        let end = Bookmark(resourceVersion: "7", annotations: [Bookmark.initialEventsEndAnnotation: "true"])
        #expect(machine.step(.event(.bookmark(end)), now: t0) == [.emit(.initDone(resourceVersion: "7"))])
        let b = TestObject("b", resourceVersion: "8")
        #expect(machine.step(.event(.added(b)), now: t0) == [.emit(.added(b))])
    }

    @Test func streamingListFallsBackToPagesWhenUnsupported() {
        var machine = Machine(strategy: .streamingList, seed: 1)
        _ = machine.step(.start, now: t0)
        #expect(machine.step(.failed(gone: false, invalid: true), now: t0) == [.emit(.initStart), .list(continueToken: nil, pageSize: 500)])
        #expect(machine.strategy == .list(pageSize: 500))
    }

    @Test func streamEndingEarlyStartsOver() {
        var machine = Machine(strategy: .streamingList, seed: 1)
        _ = machine.step(.start, now: t0)
        _ = machine.step(.event(.added(TestObject("a"))), now: t0)
        #expect(machine.step(.watchEnded, now: t0) == [.emit(.initStart), .watch(resourceVersion: nil, sendInitialEvents: true)])
    }

    @Test func inputsOutOfPhaseAreIgnored() {
        var machine = Machine(strategy: .list(pageSize: 500), seed: 1)
        #expect(machine.step(.event(.added(TestObject("x"))), now: t0) == [])
        #expect(machine.step(.backoffElapsed, now: t0) == [])
        #expect(machine.phase == .idle)
    }
}
