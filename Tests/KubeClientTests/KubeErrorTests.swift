import Foundation
import KubeCore
import NIOCore
import Testing

@testable import KubeClient

@Suite("Error mapping", .timeLimit(.minutes(3)))
struct KubeErrorTests {
    func error(_ code: Int, _ body: String, retryAfter: Int? = nil) -> KubeError {
        KubeError.fromResponse(code: code, body: Data(body.utf8), retryAfter: retryAfter, kind: "configmaps", name: "cm", verb: "get")
    }

    @Test func statusBodiesAreKept() {
        let e = error(
            422,
            #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"ConfigMap \"x\" is invalid","reason":"Invalid","details":{"name":"x","kind":"ConfigMap","causes":[{"reason":"FieldValueRequired","field":"metadata.name"}]},"code":422}"#)
        #expect(e.code == .api && e.isInvalid && !e.isNotFound)
        #expect(e.status?.details?.causes?.first?.field == "metadata.name")
        #expect(e.message == "ConfigMap \"x\" is invalid")
    }

    @Test(arguments: [
        (401, "Unauthorized"), (403, "Forbidden"), (404, "NotFound"), (409, "Conflict"), (410, "Gone"), (422, "Invalid"),
        (429, "TooManyRequests"), (500, "InternalError"), (503, "ServiceUnavailable"),
    ])
    func statusesWithoutABodyAreSynthesized(code: Int, reason: String) {
        for body in ["", "<html><body><h1>502 Bad Gateway</h1></body></html>", "{\"kind\":\"Sta", "plain text"] {
            let e = error(code, body, retryAfter: code == 429 ? 3 : nil)
            #expect(e.status?.code == code)
            #expect(e.status?.reason == reason)
            let checks: [Int: Bool] = [
                401: e.isUnauthorized, 403: e.isForbidden, 404: e.isNotFound, 409: e.isConflict, 410: e.isGone, 422: e.isInvalid,
                429: e.isTooManyRequests, 500: e.isInternalError, 503: e.isServiceUnavailable,
            ]
            #expect(checks[code] == true)
            #expect(checks.filter { $0.value }.count == 1, "exactly one predicate for \(code)")
        }
        if code == 404 { #expect(error(404, "").message == "configmaps \"cm\" not found: the server could not find the requested resource") }
        if code == 429 { #expect(error(429, "", retryAfter: 3).status?.details?.retryAfterSeconds == 3) }
    }

    @Test func htmlPagesBecomeAShortMessage() {
        let e = error(502, "<html><head><title>Bad</title></head><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>")
        #expect(e.message.contains("Bad 502 Bad Gateway nginx"))
        #expect(!e.message.contains("<h1>"))
        #expect(e.status?.reason == StatusReason.internalError)
    }

    @Test func alreadyExistsIsNotConflict() {
        let e = error(409, #"{"kind":"Status","reason":"AlreadyExists","code":409,"message":"exists"}"#)
        #expect(e.isAlreadyExists && !e.isConflict)
    }

    @Test func decodingErrorsNameTheJSONPath() throws {
        struct Meta: Decodable { var name: String }
        struct Item: Decodable { var metadata: Meta }
        struct List: Decodable { var items: [Item] }
        let json = #"{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}},{"metadata":{"name":"c"}},{"metadata":{"name":7}}]}"#
        do {
            _ = try JSONDecoder().decode(List.self, from: Data(json.utf8))
            Issue.record("decoded")
        } catch {
            let e = KubeError.decoding(error, what: "the list")
            #expect(e.code == .decoding)
            #expect(e.message.contains("at items[3].metadata.name: expected a string"), "\(e.message)")
        }
        do {
            _ = try JSONDecoder().decode(List.self, from: Data(#"{"items":[{"metadata":{}}]}"#.utf8))
        } catch {
            #expect(KubeError.decoding(error, what: "x").message.contains("at items[0].metadata.name: required field is missing"))
        }
        do {
            _ = try JSONDecoder().decode(List.self, from: Data(#"{"items":[{"metad"#.utf8))
        } catch {
            #expect(KubeError.decoding(error, what: "x").message.contains("not valid JSON"))
        }
    }

    @Test func pathParts() {
        #expect(PathParts(path: "/api/v1/namespaces/ns/pods/web/status") == PathParts(resource: "pods", name: "web", subresource: "status"))
        #expect(PathParts(path: "/apis/apps/v1/deployments") == PathParts(resource: "deployments"))
        #expect(PathParts(path: "/api/v1/namespaces/ns") == PathParts(resource: "namespaces", name: "ns"))
        #expect(PathParts(path: "/api/v1/namespaces/ns/finalize") == PathParts(resource: "namespaces", name: "ns", subresource: "finalize"))
        #expect(PathParts(path: "/api/v1/namespaces/ns/configmaps").metricLabel == "configmaps")
        #expect(PathParts(path: "/version").metricLabel == "version")
    }
}

@Suite("Line splitting", .timeLimit(.minutes(3)))
struct LineSplitterTests {
    @Test func anyChunkingGivesTheSameLines() throws {
        let big = String(repeating: "x", count: 70_000)
        let lines = ["{\"type\":\"ADDED\"}", "{\"a\":\"\(big)\"}", "{}", "{\"type\":\"DELETED\"}"]
        let bytes = Array((lines.joined(separator: "\n") + "\n\n").utf8)
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200 {
            var splitter = LineSplitter()
            var out: [String] = []
            var offset = 0
            while offset < bytes.count {
                let size = round == 0 ? 1 : Int.random(in: 1...9000, using: &generator)
                let end = min(bytes.count, offset + size)
                out += try splitter.append(ByteBuffer(bytes: bytes[offset..<end])).map { String(decoding: $0, as: UTF8.self) }
                offset = end
            }
            #expect(splitter.finish() == nil)
            #expect(out == lines)
        }
    }

    @Test func trailingLineWithoutNewlineAndCRLF() throws {
        var splitter = LineSplitter()
        #expect(try splitter.append(ByteBuffer(string: "a\r\nb")).map { String(decoding: $0, as: UTF8.self) } == ["a"])
        #expect(splitter.finish().map { String(decoding: $0, as: UTF8.self) } == "b")
    }

    @Test func oversizedLinesAreRejected() {
        var splitter = LineSplitter(maxLineLength: 10)
        #expect(throws: LineSplitter.LineTooLong.self) { _ = try splitter.append(ByteBuffer(string: String(repeating: "y", count: 11))) }
    }
}

@Suite("Rate limiter", .timeLimit(.minutes(3)))
struct TokenBucketTests {
    @Test func burstThenRate() async throws {
        let bucket = RequestRateLimiter(RateLimit(qps: 20, burst: 5))
        let start = ContinuousClock.now
        for _ in 0..<5 { try await bucket.acquire() }
        let burst = ContinuousClock.now - start
        for _ in 0..<4 { try await bucket.acquire() }
        // 4 more at 20/s take about 200 ms: the lower bound is the limiter's promise; the upper
        // bound only catches a limiter that over-waits (generous, so a loaded CI machine passes).
        let elapsed = ContinuousClock.now - start
        #expect(burst < .milliseconds(150))
        #expect(elapsed >= .milliseconds(180) && elapsed < .seconds(30))
    }
}
