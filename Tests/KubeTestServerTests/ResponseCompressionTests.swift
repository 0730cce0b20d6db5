import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// gzip as kube-apiserver answers it (`responsewriters.deferredResponseWriter`): only when asked
/// with an `Accept-Encoding` token that is exactly `gzip`, only for bodies above 128 KiB, never for
/// a watch stream; `Content-Encoding: gzip` and `Vary: Accept-Encoding` on what is compressed.
@Suite("Response compression", .timeLimit(.minutes(3)))
struct ResponseCompressionTests {
    let configMaps = "/api/v1/namespaces/default/configmaps"

    /// 40 ConfigMaps of ~5 KB of varied text: a list of ~200 KB, above the threshold.
    private func seed(_ wire: Wire) async throws {
        for index in 0..<40 {
            let text = (0..<120).map { "line \($0) of item \(index): \(UUID().uuidString)" }.joined(separator: "\n")
            let response = try await wire.post(configMaps, configMap("big-\(index)", data: ["text": text]))
            #expect(response.status == 201)
        }
    }

    private func names(_ json: JSONValue) -> [String] {
        json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
    }

    @Test func largeListIsGzippedWhenAskedAndInflatesToTheSameList() async throws {
        try await withServer { _, wire in
            try await seed(wire)
            let plain = try await wire.get(configMaps)
            #expect(plain.headers["Content-Encoding"].isEmpty)
            #expect(plain.body.count > Gzip.thresholdBytes)

            for asked in ["gzip", "deflate, gzip", " br ,gzip"] {
                let gzipped = try await wire.get(configMaps, headers: [("Accept-Encoding", asked)])
                #expect(gzipped.status == 200)
                #expect(gzipped.headers["Content-Encoding"] == ["gzip"], "Accept-Encoding: \(asked)")
                #expect(gzipped.headers["Vary"] == ["Accept-Encoding"])
                #expect(gzipped.headers["Content-Type"].first?.hasPrefix("application/json") == true)
                // The gzip magic, and a body several times smaller than the JSON.
                #expect(Array(gzipped.body.prefix(2)) == [0x1f, 0x8b])
                #expect(gzipped.body.count * 2 < plain.body.count, "\(gzipped.body.count) of \(plain.body.count) bytes")
                let inflated = try #require(Gzip.decompress(gzipped.body))
                let json = try JSONDecoder().decode(JSONValue.self, from: inflated)
                #expect(names(json) == names(plain.json))
                #expect(names(json).count == 41)
            }
        }
    }

    @Test func notCompressedUnlessAGzipTokenIsSentOrBelowTheThreshold() async throws {
        try await withServer { _, wire in
            try await seed(wire)
            // kube's negotiateContentEncoding matches the bare token only.
            for asked in ["deflate", "identity", "gzip;q=1", "x-gzip"] {
                let response = try await wire.get(configMaps, headers: [("Accept-Encoding", asked)])
                #expect(response.headers["Content-Encoding"].isEmpty, "Accept-Encoding: \(asked)")
                #expect(names(response.json).count == 41)
            }
            // One object, a small page: below 128 KiB, sent as is.
            let one = try await wire.get(configMaps + "/big-1", headers: [("Accept-Encoding", "gzip")])
            #expect(one.status == 200)
            #expect(one.headers["Content-Encoding"].isEmpty)
            #expect(one.json["metadata"]?["name"] == "big-1")
            let page = try await wire.get(configMaps + "?limit=5", headers: [("Accept-Encoding", "gzip")])
            #expect(page.headers["Content-Encoding"].isEmpty)
            #expect(names(page.json).count == 5)
        }
    }

    /// The initial ADDED events of a watch add up to more than the threshold: still identity.
    @Test func watchIsNeverCompressed() async throws {
        try await withServer { _, wire in
            try await seed(wire)
            let watch = try await wire.request(
                .GET, configMaps + "?watch=true&resourceVersion=0&timeoutSeconds=1", headers: [("Accept-Encoding", "gzip")])
            #expect(watch.status == 200)
            #expect(watch.headers["Content-Encoding"].isEmpty)
            #expect(watch.body.count > Gzip.thresholdBytes)
            let events = watch.text.split(separator: "\n").compactMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
            #expect(events.count == 41)
            #expect(events.allSatisfy { $0["type"] == "ADDED" })
        }
    }

    @Test func gzipRoundTripsAndRejectsGarbage() throws {
        let text = Data((0..<50_000).map { "\($0 % 97)," }.joined().utf8)
        let compressed = try #require(Gzip.compress(text))
        #expect(compressed.count < text.count / 3)
        #expect(Gzip.decompress(compressed) == text)
        #expect(Gzip.decompress(Data("not gzip".utf8)) == nil)
        #expect(Gzip.decompress(compressed.prefix(compressed.count / 2)) == nil)
        #expect(Gzip.decompress(compressed, limit: 1000) == nil)
        #expect(Gzip.decompress(try #require(Gzip.compress(Data()))) == Data())
    }
}
