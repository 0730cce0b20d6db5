import Foundation
import KubeReplay
import Testing

/// Replays every recorded kube-apiserver v1.36 exchange against a fresh KubeTestServer
/// and holds the outcome to the committed expected results: an exchange that matched
/// (or differed only by allow-listed values) and now mismatches fails the suite, and so
/// does one listed as a known mismatch that now matches (update the file with the fix).
@Suite("Replay of the recorded kube-apiserver exchanges", .serialized, .timeLimit(.minutes(10)))
struct ReplayFixturesTests {
    @Test("every exchange has its expected outcome, and the published count is current")
    func everyExchangeHasItsExpectedOutcome() async throws {
        guard let directory = ReplayFixtures.recordings else {
            if ReplayFixtures.requiredByCI { Issue.record("the recordings are missing at \(ReplayFixtures.sharedDirectory)/fixtures/apiserver-v1.36") }
            return
        }
        let recordings = try ReplayRecording.load(directory: directory)
        #expect(recordings.count >= 124)
        var options = Replayer.Options()
        options.allowList = try ReplayAllowList.load(ReplayFixtures.allowList)
        options.server.openAPIDirectory = ReplayFixtures.openAPIDirectory
        let report = try await Replayer.run(recordings, options: options)
        let expectations = try ReplayExpectations.load(ReplayFixtures.expected)

        let problems = expectations.problems(in: report)
        #expect(problems.isEmpty, "\(problems.count) outcomes differ from Tests/Fixtures/replay-expected.txt:\n\(problems.joined(separator: "\n"))")
        #expect(report.unusedAllowListEntries.isEmpty, "allow-list entries that accept nothing: \(report.unusedAllowListEntries)")

        // The count users read is the count measured.
        let count = "\(report.matchCount) of \(report.results.count) exchanges match"
        for document in ["docs/test-server-fidelity.md", "README.md"] {
            let text = try String(contentsOfFile: ReplayFixtures.packageRoot + "/" + document, encoding: .utf8)
            #expect(text.contains(count), "\(document) does not say \"\(count)\"")
        }
    }

    @Test("every allow-list entry names an exchange that exists and gives a reason")
    func allowListEntriesAreNamed() throws {
        let allowList = try ReplayAllowList.load(ReplayFixtures.allowList)
        #expect(allowList.entries.count <= 15, "the allow-list is for true emulator limits; keep it short")
        guard let directory = ReplayFixtures.recordings else { return }
        let ids = Set(try ReplayRecording.load(directory: directory).map(\.id))
        for entry in allowList.entries {
            #expect(ids.contains(entry.exchange), "\(entry.exchange) is not a recorded exchange")
            #expect(entry.reason.count >= 20, "\(entry): say why a user would accept it")
        }
    }
}
