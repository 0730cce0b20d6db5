import Foundation
import KubeCore
import Logging
import Testing

@testable import KubeClient

@Suite("Send path against a scripted server", .timeLimit(.minutes(3)))
struct SendPathTests {
    func client(_ server: StubServer, credentials: ClientConfig.Credentials = .token("secret-token"), configure: (inout ClientConfig) -> Void = { _ in })
        throws -> KubeClient
    {
        var config = ClientConfig(server: server.url, namespace: "ns", credentials: credentials)
        configure(&config)
        return try KubeClient(config: config)
    }

    @Test func retryAfterIsHonouredFor429() async throws {
        let count = Counter()
        let server = try await StubServer.start { _ in
            count.next() == 1
                ? .json(429, #"{"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down"}"#, headers: [("Retry-After", "1")])
                : .json(200, ConfigMap.json("a"))
        }
        let client = try client(server)
        let start = ContinuousClock.now
        let cm = try await Api<ConfigMap>.namespaced(client, "ns").get("a")
        #expect(cm.metadata.name == "a")
        #expect(ContinuousClock.now - start >= .seconds(1))
        #expect(server.requests.count == 2)
        #expect(server.requests[0].header("Authorization") == "Bearer secret-token")
        #expect(server.requests[0].header("User-Agent")?.hasPrefix("swift-kubernetes/") == true)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func attemptsAreBoundedAndWritesReplay() async throws {
        let server = try await StubServer.start { _ in .json(503, "<html>busy</html>", headers: [("Retry-After", "0")]) }
        let client = try client(server) { $0.retry = RetryPolicy(maxAttempts: 3) }
        let error = await #expect(throws: KubeError.self) {
            _ = try await Api<ConfigMap>.namespaced(client, "ns").create(ConfigMap(name: "x", data: ["k": "v"]))
        }
        #expect(error?.isServiceUnavailable == true)
        #expect(server.requests.count == 3)
        #expect(server.requests.allSatisfy { String(decoding: $0.body, as: UTF8.self).contains("\"k\":\"v\"") })
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func noRetryWithoutRetryAfterNorForWatches() async throws {
        let server = try await StubServer.start { request in
            request.query.contains("watch=true")
                ? .json(429, "", headers: [("Retry-After", "0")])
                : .json(500, #"{"kind":"Status","code":500,"reason":"InternalError","message":"boom"}"#)
        }
        let client = try client(server)
        let api = Api<ConfigMap>.namespaced(client, "ns")
        let error = await #expect(throws: KubeError.self) { _ = try await api.get("a") }
        #expect(error?.isInternalError == true && error?.message == "boom")
        #expect(server.requests.count == 1)
        let watchError = await #expect(throws: KubeError.self) { for try await _ in try api.watch() {} }
        #expect(watchError?.isTooManyRequests == true)
        #expect(server.requests.count == 2)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func unauthorizedForcesATokenReread() async throws {
        var fs = try Fixtures.PodFilesystem(token: "old-token", caPEM: nil, namespace: nil)
        let server = try await StubServer.start { request in
            request.header("Authorization") == "Bearer new-token"
                ? .json(200, ConfigMap.json("a")) : .json(401, #"{"kind":"Status","code":401,"reason":"Unauthorized"}"#)
        }
        let client = try client(server, credentials: .tokenFile(fs.directory.appendingPathComponent("token").path)) {
            $0.credentialRefreshInterval = .seconds(3600)
        }
        try fs.publish(token: "new-token", caPEM: nil, namespace: nil)
        _ = try await Api<ConfigMap>.namespaced(client, "ns").get("a")
        #expect(server.requests.map { $0.header("Authorization") } == ["Bearer old-token", "Bearer new-token"])
        // A second 401 after the re-read is final.
        try fs.publish(token: "wrong-token", caPEM: nil, namespace: nil)
        let before = server.requests.count
        await client.authenticator.invalidate()
        let error = await #expect(throws: KubeError.self) { _ = try await Api<ConfigMap>.namespaced(client, "ns").get("a") }
        #expect(error?.isUnauthorized == true)
        #expect(server.requests.count - before == 2)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func watchSplitsLinesWhateverTheChunking() async throws {
        let big = String(repeating: "z", count: 100_000)
        let events = [
            #"{"type":"ADDED","object":\#(ConfigMap.json("a", rv: 1))}"#,
            #"{"type":"MODIFIED","object":\#(ConfigMap.json("b", rv: 2, data: "{\"big\":\"\(big)\"}"))}"#,
            #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"3","annotations":{"k8s.io/initial-events-end":"true"}}}}"#,
            #"{"type":"DELETED","object":\#(ConfigMap.json("a", rv: 4))}"#,
            #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Expired","code":410,"message":"too old"}}"#,
        ]
        let stream = events.joined(separator: "\n") + "\n"
        // Odd chunk sizes: several events per chunk, one event over many chunks.
        var chunks: [StubServer.Chunk] = []
        var rest = Substring(stream)
        for size in [10, 3000, 7, 50_000, 1, 60_000, 100_000] where !rest.isEmpty {
            chunks.append(.data(String(rest.prefix(size))))
            chunks.append(.delay(.milliseconds(5)))
            rest = rest.dropFirst(size)
        }
        if !rest.isEmpty { chunks.append(.data(String(rest))) }
        let scripted = chunks
        let server = try await StubServer.start { _ in StubServer.Response(status: 200, chunks: scripted) }
        let client = try client(server)
        var seen: [String] = []
        for try await event in try Api<ConfigMap>.namespaced(client, "ns").watch(WatchOptions(resourceVersion: "0")) {
            switch event {
            case .added(let cm), .modified(let cm), .deleted(let cm):
                seen.append("\(event.type.rawValue) \(cm.metadata.name ?? "") \(cm.data?["big"]?.count ?? 0)")
            case .bookmark(let bookmark): seen.append("BOOKMARK \(bookmark.resourceVersion) \(bookmark.isInitialEventsEnd)")
            case .error(let status): seen.append("ERROR \(status.code ?? 0)")
            }
        }
        #expect(seen == ["ADDED a 0", "MODIFIED b 100000", "BOOKMARK 3 true", "DELETED a 0", "ERROR 410"])
        #expect(server.requests.first?.query.contains("watch=true") == true)
        #expect(server.requests.first?.query.contains("allowWatchBookmarks=true") == true)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func deadWatchesHitTheIdleTimeout() async throws {
        let server = try await StubServer.start { _ in
            StubServer.Response(status: 200, chunks: [.data(#"{"type":"ADDED","object":\#(ConfigMap.json("a"))}"# + "\n"), .delay(.seconds(30))])
        }
        let client = try client(server) { $0.timeouts.watchIdle = .milliseconds(300) }
        let start = ContinuousClock.now
        var events = 0
        let error = await #expect(throws: KubeError.self) {
            for try await _ in try Api<ConfigMap>.namespaced(client, "ns").watch() { events += 1 }
        }
        #expect(error?.code == .watchIdleTimeout)
        #expect(events == 1)
        // 300 ms idle; the server would stay silent for 30 s. Loose for a loaded 2-core machine.
        #expect(ContinuousClock.now - start < .seconds(10))
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func cancellingAWatchReturnsPromptly() async throws {
        let server = try await StubServer.start { _ in
            StubServer.Response(status: 200, chunks: [.data(#"{"type":"ADDED","object":\#(ConfigMap.json("a"))}"# + "\n"), .delay(.seconds(30))])
        }
        let client = try client(server)
        let api = Api<ConfigMap>.namespaced(client, "ns")
        let start = ContinuousClock.now
        let (firstEvent, signal) = AsyncStream<Void>.makeStream()
        let task = Task {
            var count = 0
            for try await _ in try api.watch() {
                count += 1
                signal.yield()
            }
            return count
        }
        // Cancel once the first event is in (waiting on it, not on a fixed delay).
        for await _ in firstEvent { break }
        task.cancel()
        let count = try await task.value
        #expect(count == 1)
        #expect(ContinuousClock.now - start < .seconds(5))
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func aBadLineInAChunkDeliversTheEventsBeforeItThenFails() async throws {
        let line: @Sendable (String) -> String = { name in #"{"type":"ADDED","object":\#(ConfigMap.json(name))}"# + "\n" }
        let server = try await StubServer.start { _ in
            // One chunk: two good events, a line that is not JSON, one more good event.
            StubServer.Response(status: 200, chunks: [.data(line("a") + line("b") + "{\"type\":\"ADDED\",\"object\":nope}\n" + line("c"))])
        }
        let client = try client(server)
        var names: [String] = []
        let error = await #expect(throws: KubeError.self) {
            for try await event in try Api<ConfigMap>.namespaced(client, "ns").watch() {
                names.append(event.object?.metadata.name ?? "")
            }
        }
        #expect(names == ["a", "b"])
        #expect(error?.code == .decoding)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func cancellingWhileEventsAreBufferedEndsTheStream() async throws {
        let server = try await StubServer.start { _ in
            let lines = (0..<5).map { index in #"{"type":"ADDED","object":\#(ConfigMap.json("cm\(index)"))}"# + "\n" }
            return StubServer.Response(status: 200, chunks: [.data(lines.joined()), .delay(.seconds(30))])
        }
        let client = try client(server)
        let api = Api<ConfigMap>.namespaced(client, "ns")
        let (firstEvent, signal) = AsyncStream<Void>.makeStream()
        let task = Task {
            var count = 0
            for try await _ in try api.watch() {
                count += 1
                signal.yield()
                // Four more events of the same chunk wait in the iterator; stay here until cancelled.
                try? await Task.sleep(for: .seconds(30))
            }
            return count
        }
        for await _ in firstEvent { break }
        task.cancel()
        #expect(try await task.value == 1)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func listAllPagesAndRestartsOnceOnExpiredContinue() async throws {
        let expired = Counter()
        let server = try await StubServer.start { request in
            let items = (0..<7).map { ConfigMap.json("cm\($0)") }
            func page(_ range: Range<Int>, next: String?) -> StubServer.Response {
                .json(200, #"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"9"\#(next.map { ",\"continue\":\"\($0)\"" } ?? "")},"items":[\#(items[range].joined(separator: ","))]}"#)
            }
            if request.query.contains("continue=p2") && expired.next() == 1 {
                return .json(410, #"{"kind":"Status","code":410,"reason":"Expired","message":"continue token expired"}"#)
            }
            if request.query.contains("continue=p2") { return page(3..<6, next: "p3") }
            if request.query.contains("continue=p3") { return page(6..<7, next: nil) }
            return page(0..<3, next: "p2")
        }
        let client = try client(server)
        var names: [String] = []
        for try await cm in Api<ConfigMap>.namespaced(client, "ns").listAll(ListOptions(resourceVersion: "0"), pageSize: 3) {
            names.append(cm.metadata.name ?? "")
        }
        #expect(names == (0..<7).map { "cm\($0)" })
        let queries = server.requests.map(\.query)
        #expect(queries.count == 5)  // p1, p2 (410), p1 again, p2, p3
        #expect(queries.allSatisfy { $0.contains("limit=3") })
        #expect(!queries[1].contains("resourceVersion="))
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func verbsAndResults() async throws {
        let server = try await StubServer.start { request in
            switch (request.method, request.path) {
            case ("DELETE", "/api/v1/namespaces/ns/configmaps/gone"):
                return .json(200, #"{"kind":"Status","apiVersion":"v1","status":"Success","details":{"name":"gone"}}"#)
            case ("DELETE", "/api/v1/namespaces/ns/configmaps/slow"):
                return .json(200, ConfigMap.json("slow"))
            case ("GET", "/api/v1/namespaces/ns/configmaps/missing"):
                return .json(404, "")
            case ("GET", "/version"):
                return .json(200, #"{"major":"1","minor":"31","gitVersion":"v1.31.0"}"#)
            case ("GET", "/api/v1/namespaces/ns/configmaps/truncated"):
                return .json(200, #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"na"#)
            default:
                return .json(200, ConfigMap.json("echo"))
            }
        }
        let client = try client(server)
        let api = Api<ConfigMap>.default(client)
        if case .deleted(let status) = try await api.delete("gone") { #expect(status.details?.name == "gone") } else { Issue.record("expected Status") }
        if case .deleting(let cm) = try await api.delete("slow") { #expect(cm.metadata.name == "slow") } else { Issue.record("expected object") }
        #expect(try await api.getIfExists("missing") == nil)
        #expect(try await client.version().gitVersion == "v1.31.0")
        let decoding = await #expect(throws: KubeError.self) { _ = try await api.get("truncated") }
        #expect(decoding?.code == .decoding)
        _ = try await api.patch("p", .apply(["data": ["a": "b"]]), options: PatchOptions(fieldManager: "me", force: true))
        _ = try await api.patch("p", .merge(["data": ["a": nil]]))
        _ = try await api.patch("p", .json([.replace("/data/a", "c")]))
        _ = try await api.patch("p", .strategic(["data": ["a": "d"]]), options: PatchOptions(dryRun: true))
        _ = try await api.replaceStatus("p", ConfigMap(name: "p"))
        _ = try await api.create(ConfigMap(data: ["x": "y"]).with { $0.metadata.generateName = "gen-" })
        let dynamic = DynamicApi(client, resource: ConfigMap.descriptor, namespace: "ns")
        _ = try await dynamic.create(DynamicObject(metadata: ObjectMeta(name: "d"), fields: ["data": ["k": "v"]]))
        let requests = server.requests.suffix(7)
        #expect(requests.map { $0.header("Content-Type") ?? "" } == [
            "application/apply-patch+yaml", "application/merge-patch+json", "application/json-patch+json",
            "application/strategic-merge-patch+json", "application/json", "application/json", "application/json",
        ])
        let apply = Array(requests)[0]
        #expect(apply.query.contains("fieldManager=me") && apply.query.contains("force=true"))
        #expect(Array(requests)[3].query.contains("dryRun=All"))
        #expect(Array(requests)[4].path == "/api/v1/namespaces/ns/configmaps/p/status")
        #expect(String(decoding: Array(requests)[5].body, as: UTF8.self).contains(#""generateName":"gen-""#))
        let dynamicBody = String(decoding: Array(requests)[6].body, as: UTF8.self)
        #expect(dynamicBody.contains(#""kind":"ConfigMap""#) && dynamicBody.contains(#""apiVersion":"v1""#))
        let badPatch = await #expect(throws: KubeError.self) { _ = try await api.patch("p", .apply(["a": 1])) }
        #expect(badPatch?.code == .invalidRequest)
        try await client.shutdown()
        await server.shutdown()
    }

    @Test func refusedConnectionsAndShutdown() async throws {
        // A port nothing listens on: GETs are retried a bounded number of times, then fail as transport errors.
        let server = try await StubServer.start { _ in .json(200, "{}") }
        let port = server.port
        await server.shutdown()
        let client = try KubeClient(config: ClientConfig(server: "http://127.0.0.1:\(port)", retry: RetryPolicy(maxAttempts: 2)))
        let error = await #expect(throws: KubeError.self) { _ = try await client.version() }
        #expect(error?.code == .transport)
        try await client.shutdown()
        let afterShutdown = await #expect(throws: KubeError.self) { _ = try await client.version() }
        #expect(afterShutdown?.code == .clientShutdown)
    }
}

/// A thread-safe counter for scripted handlers.
final class Counter: Sendable {
    private let value = NIOLockedValueBox(0)
    func next() -> Int { value.withLockedValue { $0 += 1; return $0 } }
}

import NIOConcurrencyHelpers

extension ConfigMap {
    func with(_ change: (inout ConfigMap) -> Void) -> ConfigMap {
        var copy = self
        change(&copy)
        return copy
    }
}
