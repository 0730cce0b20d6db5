import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeRuntime

@Suite("Event recorder", .timeLimit(.minutes(2)))
struct EventRecorderTests {
    @Test func lruForgetsTheLeastRecentlyUsed() {
        var cache = LRUCache<String, Int>(capacity: 3)
        cache.set("a", 1)
        cache.set("b", 2)
        cache.set("c", 3)
        #expect(cache["a"] == 1)  // a is now the most recent
        cache.set("d", 4)  // evicts b
        #expect(cache.count == 3)
        #expect(cache["b"] == nil)
        #expect(cache["a"] == 1 && cache["c"] == 3 && cache["d"] == 4)
        cache.set("c", 30)  // an update is a use, not a new entry
        cache.set("e", 5)  // evicts a (c and d were used after it... a was read first above)
        #expect(cache.count == 3)
        #expect(cache["a"] == nil)
        #expect(cache["c"] == 30 && cache["d"] == 4 && cache["e"] == 5)
    }

    /// 100,000 distinct events (each note different, as with notes that embed object names or
    /// errors): the recorder remembers at most 4096 of them at any time.
    @Test func aggregationKeysStayBounded() {
        var aggregator = EventAggregator(window: .seconds(360), capacity: 4096)
        let now = ContinuousClock.now
        var largest = 0
        for index in 0..<100_000 {
            let key = EventAggregator.Key(uid: "uid", namespace: "default", type: "Warning", reason: "Failed", action: "Sync", note: "error \(index)")
            #expect(aggregator.decide(key, now: now) == .create)
            aggregator.created(key, name: "event-\(index)", now: now)
            largest = max(largest, aggregator.count)
        }
        #expect(largest == 4096)
        #expect(aggregator.count == 4096)
        // The most recent keys are still aggregated; the oldest were forgotten.
        let recent = EventAggregator.Key(uid: "uid", namespace: "default", type: "Warning", reason: "Failed", action: "Sync", note: "error 99999")
        #expect(aggregator.decide(recent, now: now) == .patch(name: "event-99999", count: 2))
        let old = EventAggregator.Key(uid: "uid", namespace: "default", type: "Warning", reason: "Failed", action: "Sync", note: "error 0")
        #expect(aggregator.decide(old, now: now) == .create)
        // Outside the window a repeat is a new Event.
        #expect(aggregator.decide(recent, now: now + .seconds(361)) == .create)
    }

    /// Over the wire with a tiny cache: repeats of remembered events patch the series, and an
    /// event that was forgotten creates a new Event.
    @Test func recordsAndAggregatesOverTheWire() async throws {
        try await withCluster { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.client, "default")
            let events = Api<Events.V1.Event>.namespaced(cluster.client, "default")
            let object = try await configMaps.create(configMap("subject"))
            let recorder = EventRecorder(client: cluster.client, controller: "example.com/test", instance: "test-0", cacheSize: 4)
            for index in 0..<10 {
                await recorder.record(.warning, reason: "Failed", action: "Sync", note: "attempt \(index)", regarding: object)
            }
            #expect(recorder.rememberedEventCount == 4)
            #expect(try await events.list().items.count == 10)
            await recorder.record(.warning, reason: "Failed", action: "Sync", note: "attempt 9", regarding: object)
            let repeated = try await events.list().items.filter { $0.note == "attempt 9" }
            #expect(repeated.count == 1)
            #expect(repeated.first?.series?.count == 2)
            await recorder.record(.warning, reason: "Failed", action: "Sync", note: "attempt 0", regarding: object)
            #expect(try await events.list().items.filter { $0.note == "attempt 0" }.count == 2)
            #expect(recorder.rememberedEventCount == 4)
        }
    }
}
