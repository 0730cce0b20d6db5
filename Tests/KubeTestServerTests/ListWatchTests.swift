import AsyncHTTPClient
import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

@Suite("List and watch", .timeLimit(.minutes(3)))
struct ListWatchTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    private func seed(_ wire: Wire, count: Int) async throws {
        for index in 0..<count {
            let response = try await wire.post(configMaps, configMap(String(format: "item-%02d", index), labels: ["parity": index % 2 == 0 ? "even" : "odd"]))
            #expect(response.status == 201)
        }
    }

    private func names(_ response: WireResponse) -> [String] {
        response.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
    }

    @Test func selectorsFilter() async throws {
        try await withServer { _, wire in
            try await seed(wire, count: 6)
            let even = try await wire.get(configMaps + "?labelSelector=parity%3Deven")
            #expect(names(even) == ["item-00", "item-02", "item-04"])
            let setBased = try await wire.get(configMaps + "?labelSelector=parity%20notin%20(even),!missing")
            // `notin` also matches objects without the label (kube-root-ca.crt).
            #expect(names(setBased) == ["item-01", "item-03", "item-05", "kube-root-ca.crt"])
            let byName = try await wire.get(configMaps + "?fieldSelector=metadata.name%3Ditem-03")
            #expect(names(byName) == ["item-03"])
            let everywhere = try await wire.get("/api/v1/configmaps?fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Ditem-00&labelSelector=parity")
            #expect(names(everywhere) == ["item-01", "item-02", "item-03", "item-04", "item-05"])
            let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"], "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "i"]]]]
            _ = try await wire.post("/api/v1/namespaces/default/pods", pod)
            let onNode = try await wire.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dn1,status.phase%3DPending")
            #expect(names(onNode) == ["p"])
        }
    }

    @Test func paginationWithContinueTokensAndExpiry() async throws {
        try await withServer { server, wire in
            try await seed(wire, count: 7)
            var collected: [String] = []
            var token: String?
            var pages = 0
            var snapshot: String?
            repeat {
                let path = configMaps + "?limit=3" + (token.map { "&continue=\($0)" } ?? "")
                let page = try await wire.get(path)
                #expect(page.status == 200)
                collected += names(page)
                if pages == 0 {
                    snapshot = page.json["metadata"]?["resourceVersion"]?.stringValue
                    #expect(page.json["metadata"]?["remainingItemCount"] == 5)  // 7 + kube-root-ca.crt - 3
                    // Changes after the first page do not show up in later pages.
                    _ = try await wire.post(configMaps, configMap("item-99"))
                }
                #expect(page.json["metadata"]?["resourceVersion"]?.stringValue == snapshot)
                token = page.json["metadata"]?["continue"]?.stringValue
                pages += 1
            } while token != nil
            #expect(pages == 3)
            #expect(collected == (0..<7).map { String(format: "item-%02d", $0) } + ["kube-root-ca.crt"])

            let first = try await wire.get(configMaps + "?limit=2")
            let stale = first.json["metadata"]?["continue"]?.stringValue ?? ""
            _ = try await wire.post(configMaps, configMap("after"))
            await server.faults.compactHistory()
            let expired = try await wire.get(configMaps + "?limit=2&continue=\(stale)")
            #expect(expired.status == 410)
            #expect(expired.statusObject?.reason == "Expired")
            let bogus = try await wire.get(configMaps + "?limit=2&continue=bm90LWEtdG9rZW4")
            #expect(bogus.status == 400)
        }
    }

    @Test func resourceVersionSemantics() async throws {
        try await withServer { server, wire in
            let created = try await wire.post(configMaps, configMap("rv", data: ["v": "1"]))
            let rv1 = created.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            var next = created.json
            next["data"] = ["v": "2"]
            _ = try await wire.put(configMaps + "/rv", next)
            let exact = try await wire.get(configMaps + "?resourceVersion=\(rv1)&resourceVersionMatch=Exact&fieldSelector=metadata.name%3Drv")
            #expect(exact.json["metadata"]?["resourceVersion"]?.stringValue == rv1)
            #expect(exact.json["items"]?.arrayValue?.first?["data"] == ["v": "1"])
            let any = try await wire.get(configMaps + "?resourceVersion=0&fieldSelector=metadata.name%3Drv")
            #expect(any.json["items"]?.arrayValue?.first?["data"] == ["v": "2"])
            let notOlder = try await wire.get(configMaps + "?resourceVersion=\(rv1)&resourceVersionMatch=NotOlderThan&fieldSelector=metadata.name%3Drv")
            #expect(notOlder.json["items"]?.arrayValue?.first?["data"] == ["v": "2"])
            let future = try await wire.get(configMaps + "?resourceVersion=999999&resourceVersionMatch=NotOlderThan")
            #expect(future.status == 504)
            let badMatch = try await wire.get(configMaps + "?resourceVersion=1&resourceVersionMatch=Sometimes")
            #expect(badMatch.status == 422)  // ValidateListOptions: NotSupported
            await server.faults.compactHistory()
            let gone = try await wire.get(configMaps + "?resourceVersion=\(rv1)&resourceVersionMatch=Exact")
            #expect(gone.status == 410)
            #expect(gone.statusObject?.reason == "Expired")
        }
    }

    @Test func watchStreamsEventsAndResumes() async throws {
        try await withServer { _, wire in
            let start = try await wire.get(configMaps)
            let rv = start.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            let watch = try await wire.watch(configMaps + "?watch=true&resourceVersion=\(rv)&timeoutSeconds=10")
            #expect(watch.status == 200)
            #expect(watch.headers.first(name: "content-type") == "application/json")
            let created = try await wire.post(configMaps, configMap("w"))
            var changed = created.json
            changed["data"] = ["k": "2"]
            let updated = try await wire.put(configMaps + "/w", changed)
            _ = try await wire.delete(configMaps + "/w")
            let events = try await watch.events(limit: 3)
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "MODIFIED", "DELETED"])
            #expect(events[1]["object"]?["data"] == ["k": "2"])
            let modifiedRV = updated.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            // Resume after the MODIFIED event: only the DELETED follows.
            let resumed = try await wire.watch(configMaps + "?watch=1&resourceVersion=\(modifiedRV)&timeoutSeconds=1")
            let rest = try await resumed.events()
            #expect(rest.map { $0["type"]?.stringValue ?? "" } == ["DELETED"])
        }
    }

    @Test func replaysAreSentInOrderWithOneEncodingSharedByEveryWatch() async throws {
        try await withServer { _, wire in
            let start = try await wire.get(configMaps)
            let rv = start.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            for index in 0..<300 { _ = try await wire.post(configMaps, configMap("r\(index)")) }
            let path = configMaps + "?watch=true&resourceVersion=\(rv)&timeoutSeconds=10"
            let first = try await wire.watch(path).lines(limit: 300)
            let second = try await wire.watch(path).lines(limit: 300)
            #expect(first.count == 300)
            // Two watches replaying the same history get byte-identical lines, kube's shape:
            // the type first, then the object as served (kind and apiVersion set).
            #expect(first == second)
            #expect(first.allSatisfy { $0.hasPrefix(#"{"type":"ADDED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":"#) })
            let names = try first.map { try JSONDecoder().decode(JSONValue.self, from: Data($0.utf8))["object"]?["metadata"]?["name"]?.stringValue ?? "" }
            #expect(names == (0..<300).map { "r\($0)" })
        }
    }

    @Test func watchInitialStateBookmarksAndTimeout() async throws {
        try await withServer({ $0.bookmarkInterval = .milliseconds(200) }) { _, wire in
            _ = try await wire.post(configMaps, configMap("a"))
            let initial = try await wire.watch(configMaps + "?watch=true&fieldSelector=metadata.name%3Da&timeoutSeconds=1")
            let events = try await initial.events()
            #expect(events.map { $0["type"]?.stringValue ?? "" } == ["ADDED"])
            let streaming = try await wire.watch(
                configMaps + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1")
            let streamed = try await streaming.events()
            let types = streamed.map { $0["type"]?.stringValue ?? "" }
            #expect(types.prefix(3) == ["ADDED", "ADDED", "BOOKMARK"])
            #expect(streamed[2]["object"]?["metadata"]?["annotations"]?["k8s.io/initial-events-end"] == "true")
            #expect(streamed.dropFirst(3).allSatisfy { $0["type"] == "BOOKMARK" })
            #expect(streamed.count >= 5)
            let invalid = try await wire.get(configMaps + "?watch=true&sendInitialEvents=true")
            #expect(invalid.status == 422)
        }
    }

    @Test func watchFromCompactedVersionGets410AndSelectorTransitions() async throws {
        try await withServer({ $0.historyWindow = 3 }) { server, wire in
            let first = try await wire.post(configMaps, configMap("old"))
            let rv = first.json["metadata"]?["resourceVersion"]?.stringValue ?? ""
            for index in 0..<5 { _ = try await wire.post(configMaps, configMap("n\(index)")) }
            let tooOld = try await wire.watch(configMaps + "?watch=true&resourceVersion=\(rv)")
            let events = try await tooOld.events()
            #expect(events.count == 1)
            #expect(events[0]["type"] == "ERROR")
            #expect(events[0]["object"]?["code"] == 410)
            #expect(events[0]["object"]?["reason"] == "Expired")
            #expect(events[0]["object"]?["message"]?.stringValue?.hasPrefix("too old resource version: \(rv)") == true)

            server.faults.expireNextWatch()
            let expired = try await wire.watch(configMaps + "?watch=true&resourceVersion=\(await server.currentResourceVersion)")
            #expect(try await expired.events().first?["object"]?["code"] == 410)

            let now = await server.currentResourceVersion
            let selected = try await wire.watch(configMaps + "?watch=true&labelSelector=role%3Dpick&resourceVersion=\(now)&timeoutSeconds=5")
            var object = try await wire.get(configMaps + "/n0").json
            object["metadata"]?["labels"] = ["role": "pick"]
            object = try await wire.put(configMaps + "/n0", object).json
            object["metadata"]?["labels"] = ["role": "other"]
            let moved = try await wire.put(configMaps + "/n0", object).json
            let transitions = try await selected.events(limit: 2)
            #expect(transitions.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "DELETED"])
            // The DELETED of an object leaving the selection carries its last matching state
            // at the resourceVersion of the write that moved it out (kube's watch cache).
            #expect(transitions.last?["object"]?["metadata"]?["labels"] == ["role": "pick"])
            #expect(transitions.last?["object"]?["metadata"]?["resourceVersion"] == moved["metadata"]?["resourceVersion"])
        }
    }
}
