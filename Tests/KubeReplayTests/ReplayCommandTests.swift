import Foundation
import Testing

/// `kube-test-server replay DIR` as a process: one line per exchange, the total, and the
/// exit status, over a directory of recordings written here (a real-server answer and a
/// deliberately wrong copy of it).
@Suite(.timeLimit(.minutes(3)))
struct ReplayCommandTests {
    /// A request with a garbage bearer token, as the recorded kube-apiserver answered it.
    static func exchange(name: String, message: String) -> String {
        #"""
        {"name": "\#(name)", "category": "errors", "why": "a garbage token is a 401 Status",
         "steps": [{"request": {"method": "GET", "path": "/api/v1/namespaces/default/configmaps", "query": null,
                                "headers": {"Accept": "application/json", "identity": "bad-token"}, "body": null},
                    "response": {"status": 401, "headers": {"Content-Type": "application/json"},
                                 "body": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                          "message": "\#(message)", "reason": "Unauthorized", "code": 401}}}]}
        """#
    }

    static func recordings() throws -> String {
        let directory = try ReplayFixtures.temporaryDirectory("replay-cli")
        try exchange(name: "unauthorized", message: "Unauthorized")
            .write(toFile: directory + "/001-unauthorized.json", atomically: true, encoding: .utf8)
        try exchange(name: "unauthorized-wrong", message: "Who are you?")
            .write(toFile: directory + "/002-unauthorized-wrong.json", atomically: true, encoding: .utf8)
        try "not an exchange".write(toFile: directory + "/README.md", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func printsOneLinePerExchangeAndTheTotalAndFailsOnAMismatch() async throws {
        let directory = try Self.recordings()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await KubeTestServerBinary.run(["replay", directory])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(result.status == 1, "\(result)")
        #expect(lines.contains { $0.hasPrefix("match") && $0.hasSuffix("001-unauthorized") }, "\(result)")
        let mismatch = lines.first { $0.hasPrefix("mismatch") }
        #expect(mismatch?.contains(#"002-unauthorized-wrong: step 0 /body/message: recorded "Who are you?", replayed "Unauthorized""#) ?? false,
                "\(result)")
        #expect(lines.contains("1 of 2 exchanges match (1 exactly, 0 with allow-listed differences)"), "\(result)")
    }

    @Test func anAllowListEntryAcceptsTheDifferenceByName() async throws {
        let directory = try Self.recordings()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let allowList = directory + "/allow.json.txt"
        try #"{"entries": [{"exchange": "002-unauthorized-wrong", "step": 0, "path": "/body/message", "reason": "this test accepts the replayed message on purpose"}]}"#
            .write(toFile: allowList, atomically: true, encoding: .utf8)
        let expected = directory + "/expected.txt"
        let result = try await KubeTestServerBinary.run(["replay", directory, "--allow-list", allowList, "--write-expected", expected])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("allow-listed 002-unauthorized-wrong (1 allow-listed difference)"), "\(result)")
        #expect(result.stdout.contains("2 of 2 exchanges match (1 exactly, 1 with allow-listed differences)"), "\(result)")
        let written = try String(contentsOfFile: expected, encoding: .utf8)
        #expect(written.contains("001-unauthorized match\n002-unauthorized-wrong allow-listed\n"), "\(written)")
    }

    @Test func expectedResultsTurnKnownMismatchesIntoSuccessAndRegressionsIntoFailure() async throws {
        let directory = try Self.recordings()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let expected = directory + "/expected.txt"
        try "001-unauthorized match\n002-unauthorized-wrong mismatch the recording says another message\n".write(toFile: expected, atomically: true, encoding: .utf8)
        let known = try await KubeTestServerBinary.run(["replay", directory, "--expected", expected])
        #expect(known.status == 0, "\(known)")
        #expect(known.stdout.contains("every outcome is the expected one"), "\(known)")

        try "001-unauthorized match\n002-unauthorized-wrong match\n".write(toFile: expected, atomically: true, encoding: .utf8)
        let regressed = try await KubeTestServerBinary.run(["replay", directory, "--expected", expected])
        #expect(regressed.status == 1, "\(regressed)")
        #expect(regressed.stdout.contains("regression: mismatch     002-unauthorized-wrong"), "\(regressed)")
    }

    @Test func aDirectoryWithoutRecordingsIsAClearError() async throws {
        let directory = try ReplayFixtures.temporaryDirectory("replay-empty")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await KubeTestServerBinary.run(["replay", directory])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no *.json exchange files"), "\(result)")
    }
}
