import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// `Api.watch` over TLS (HTTP/2) against the test server's watch implementation.
@Suite("Watch over the wire", .timeLimit(.minutes(3)))
struct WatchTests {
    /// Reads `stream` until `done` says so, the stream ends, or the deadline passes.
    private static func collect<K: KubeObject>(
        _ stream: WatchStream<K>, within seconds: Double = 10, until done: @escaping @Sendable ([WatchEvent<K>]) -> Bool
    ) async throws -> [WatchEvent<K>] {
        try await withDeadline(seconds) {
            var events: [WatchEvent<K>] = []
            for try await event in stream {
                events.append(event)
                if done(events) { break }
            }
            return events
        }
    }

    private static func summary<K: KubeObject>(_ events: [WatchEvent<K>]) -> [String] {
        events.compactMap { event in
            guard let object = event.object else { return nil }
            return "\(event.type.rawValue) \(object.metadata.name ?? "")"
        }
    }

    @Test func createUpdateDeleteInOrderAndResume() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion
            let stream = try configMaps.watch(WatchOptions(resourceVersion: start))
            let watching = Task { try await Self.collect(stream) { $0.last?.type == .deleted } }

            let created = try await configMaps.create(configMap("watched", data: ["v": "1"]))
            var next = created
            next.data = ["v": "2"]
            let updated = try await configMaps.replace("watched", next)
            _ = try await configMaps.delete("watched")

            let events = try await watching.value.filter { $0.type != .bookmark }
            #expect(Self.summary(events) == ["ADDED watched", "MODIFIED watched", "DELETED watched"])
            #expect(events[0].object?.data == ["v": "1"])
            #expect(events[1].object == updated)
            let versions = events.compactMap { $0.object?.metadata.resourceVersion.flatMap(Int.init) }
            #expect(versions == versions.sorted() && Set(versions).count == 3, "\(versions)")

            // Resuming from the ADDED event's version replays only what came after it.
            let resumed = try configMaps.watch(WatchOptions(resourceVersion: created.metadata.resourceVersion))
            let replay = try await Self.collect(resumed) { $0.last?.type == .deleted }.filter { $0.type != .bookmark }
            #expect(Self.summary(replay) == ["MODIFIED watched", "DELETED watched"])
        }
    }

    @Test func expiredWatchGetsAnError410Event() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion
            cluster.server.faults.expireNextWatch()
            let events = try await Self.collect(try configMaps.watch(WatchOptions(resourceVersion: start))) { _ in false }
            #expect(events.count == 1)
            guard case .error(let status) = events.first else {
                Issue.record("expected one ERROR event, got \(events.map(\.type))")
                return
            }
            #expect(status.code == 410)
            #expect(KubeError(status: status).isGone)

            // A version older than the compacted history gets the same answer.
            _ = try await configMaps.create(configMap("later"))
            await cluster.server.faults.compactHistory()
            let old = try await Self.collect(try configMaps.watch(WatchOptions(resourceVersion: start))) { _ in false }
            guard case .error(let compacted) = old.first else {
                Issue.record("expected an ERROR event, got \(old.map(\.type))")
                return
            }
            #expect(compacted.code == 410)
        }
    }

    @Test func droppedWatchEndsTheStream() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion
            let received = Locked(0)
            let stream = try configMaps.watch(WatchOptions(resourceVersion: start))
            let outcome = Task { () -> String in
                do {
                    for try await event in stream where event.type == .added { received.update { $0 += 1 } }
                    return "ended"
                } catch let error as KubeError {
                    return "error \(error.code)"
                }
            }
            _ = try await configMaps.create(configMap("first"))
            try await waitUntil(10, "the watch to deliver its first event") { received.value == 1 }
            await cluster.server.faults.dropAllWatches()
            // A cut connection ends the stream (cleanly or with a transport error), never hangs.
            let result = try await withDeadline(10) { try await outcome.value }
            #expect(result == "ended" || result == "error transport", "\(result)")
            #expect(received.value == 1)
        }
    }

    @Test func streamingListEndsItsInitialEventsWithABookmark() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            for index in 0..<3 { _ = try await configMaps.create(configMap("initial-\(index)", labels: ["set": "stream"])) }
            let options = WatchOptions(
                labelSelector: try LabelSelector(parsing: "set=stream"), allowWatchBookmarks: true, sendInitialEvents: true,
                resourceVersionMatch: .notOlderThan)
            let stream = try configMaps.watch(options)
            let initialDone = Locked(false)
            let watching = Task {
                try await Self.collect(stream) { events in
                    if case .bookmark(let bookmark) = events.last, bookmark.isInitialEventsEnd { initialDone.update { $0 = true } }
                    return events.contains { $0.object?.metadata.name == "live" }
                }
            }
            // Written once the initial state is delivered: it must come after the bookmark, as a live event.
            try await waitUntil(10, "the initial-events-end bookmark") { initialDone.value }
            _ = try await configMaps.create(configMap("live", labels: ["set": "stream"]))
            let events = try await watching.value
            let endIndex = events.firstIndex { event in
                if case .bookmark(let bookmark) = event { return bookmark.isInitialEventsEnd }
                return false
            }
            let end = try #require(endIndex, "no initial-events-end bookmark in \(events.map(\.type))")
            #expect(Set(Self.summary(Array(events[..<end]))) == ["ADDED initial-0", "ADDED initial-1", "ADDED initial-2"])
            #expect(Self.summary(Array(events[end...])) == ["ADDED live"])
        }
    }

    @Test func serverTimeoutEndsTheStreamAfterPeriodicBookmarks() async throws {
        try await Cluster.run({ $0.bookmarkInterval = .milliseconds(200) }) { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion
            let events = try await Self.collect(try configMaps.watch(WatchOptions(resourceVersion: start, timeoutSeconds: 1))) { _ in false }
            #expect(events.contains { $0.type == .bookmark })
            #expect(events.allSatisfy { $0.type == .bookmark })
        }
    }

    @Test func largeObjectsArriveIntact() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let start = try await configMaps.list().metadata.resourceVersion
            // 1.25 MiB in one value, with characters JSON must escape, split across many frames.
            let unit = "0123456789abcdef\"\\/\n\u{00e9}\u{1F600}"
            let big = String(repeating: unit, count: (1_310_720 / unit.utf8.count) + 1)
            #expect(big.utf8.count >= 1_310_720)
            let stream = try configMaps.watch(WatchOptions(resourceVersion: start))
            let watching = Task { try await Self.collect(stream) { $0.contains { $0.type == .added } } }
            let created = try await configMaps.create(configMap("large", data: ["blob": big, "small": "x"]))
            #expect(created.data?["blob"] == big)
            #expect(try await configMaps.get("large").data?["blob"] == big)
            let added = try #require(try await watching.value.first { $0.type == .added }?.object)
            #expect(added.data?["blob"] == big)
            #expect(added == created)
        }
    }
}
