import ArgumentParser
import Foundation
import KubeReplay
import KubeTestServer

/// `kube-test-server replay DIR`: replays recorded exchanges against a fresh server.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded kube-apiserver exchanges against a fresh test server and compare the answers.",
        discussion: """
            DIR holds one JSON file per exchange, in the format of the swift-kubernetes recordings
            (../shared/fixtures/apiserver-v1.36/README.md): the requests, in order, and the responses a real
            kube-apiserver gave. Every exchange is replayed in its own namespace; the status, Content-Type,
            Warning headers and the body (as JSON structure) must match, except for values no second server
            can reproduce (uids, resourceVersion values, timestamps, generated names, allocated IPs and ports),
            whose presence and format are checked instead. Prints one line per exchange and
            "N of M exchanges match". Exit status: 0 when every exchange matches (or, with --expected, when
            the outcomes are the expected ones), 1 otherwise.
            """)

    @Argument(help: "The directory of exchange files (*.json).")
    var directory: String

    @Option(name: .customLong("allow-list"), help: "A JSON allow-list of accepted differences (exchange, step, path, reason).")
    var allowList: String?

    @Option(name: .customLong("expected"), help: "An expected-results file: exit 0 when every outcome is the expected one.")
    var expected: String?

    @Option(name: .customLong("write-expected"), help: "Write the outcomes as an expected-results file here.")
    var writeExpected: String?

    @Option(name: .customLong("only"), help: "Replay only the exchanges whose id or name contains this text (repeatable).")
    var only: [String] = []

    @Option(name: .customLong("openapi-dir"), help: "Serve /openapi/v3 from this directory of *_openapi.json files.")
    var openAPIDirectory: String?

    @Option(name: .customLong("differences"), help: "How many differences to print per mismatching exchange.")
    var shownDifferences = 2

    @Flag(name: .customLong("no-fail"), help: "Exit 0 even when exchanges mismatch.")
    var noFail = false

    mutating func run() async throws {
        var recordings = try ReplayRecording.load(directory: directory)
        if !only.isEmpty {
            recordings = recordings.filter { recording in only.contains { recording.id.contains($0) || recording.name.contains($0) } }
            guard !recordings.isEmpty else { throw ValidationError("--only matches no exchange in \(directory)") }
        }
        var options = Replayer.Options()
        if let allowList { options.allowList = try ReplayAllowList.load(allowList) }
        options.server.openAPIDirectory = openAPIDirectory
        let expectations = try expected.map { path throws(ReplayError) in try ReplayExpectations.load(path) }
        let shown = max(1, shownDifferences)
        let report = try await Replayer.run(recordings, options: options) { result in
            ServeCommand.say(result.line(differences: shown))
        }
        ServeCommand.say(report.summary)
        for entry in report.unusedAllowListEntries {
            ServeCommand.say("unused allow-list entry: \(entry)")
        }
        if let writeExpected {
            let previous = try? ReplayExpectations.load(writeExpected)
            try Data(ReplayExpectations.render(report, previous: previous).utf8).write(to: URL(fileURLWithPath: writeExpected))
            ServeCommand.say("wrote \(writeExpected)")
        }
        if let expectations {
            let problems = expectations.problems(in: report)
            for problem in problems { ServeCommand.say(problem) }
            if problems.isEmpty { ServeCommand.say("every outcome is the expected one") }
            if !problems.isEmpty && !noFail { throw ExitCode(1) }
            return
        }
        if report.matchCount < report.results.count && !noFail { throw ExitCode(1) }
    }
}
