import Foundation

/// The committed outcome of every exchange, so a replay can fail on a regression while
/// known mismatches remain: one line per exchange, `<id> <outcome> [cause]`, where the
/// outcome is `match`, `allow-listed` or `mismatch` and the cause is one line of text.
/// `#` starts a comment line.
///
/// A replay is checked against it in both directions: an exchange that now mismatches
/// but is expected to match is a regression; one that now matches but is listed as a
/// mismatch must be moved (the file is updated with the fix), so the list stays honest.
public struct ReplayExpectations: Sendable {
    public struct Expectation: Sendable, Hashable {
        public var outcome: ReplayOutcome
        public var cause: String
    }

    /// Exchange id → expectation.
    public var byExchange: [String: Expectation]

    public init(byExchange: [String: Expectation] = [:]) {
        self.byExchange = byExchange
    }

    public static func load(_ path: String) throws(ReplayError) -> ReplayExpectations {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReplayError(.unreadable(path)) }
        var byExchange: [String: Expectation] = [:]
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard fields.count >= 2, let outcome = ReplayOutcome(rawValue: String(fields[1])) else {
                throw ReplayError(.invalidExpectations(path, "line \(number + 1): expected `<exchange> match|allow-listed|mismatch [cause]`"))
            }
            let id = String(fields[0])
            guard byExchange[id] == nil else { throw ReplayError(.invalidExpectations(path, "line \(number + 1): \(id) listed twice")) }
            let cause = fields.count > 2 ? fields[2].trimmingCharacters(in: .whitespaces) : ""
            if outcome == .mismatch, cause.isEmpty {
                throw ReplayError(.invalidExpectations(path, "line \(number + 1): a mismatch needs its cause"))
            }
            byExchange[id] = Expectation(outcome: outcome, cause: cause)
        }
        return ReplayExpectations(byExchange: byExchange)
    }

    /// Where `report` differs from the expectations, one sentence each (empty: as expected).
    public func problems(in report: ReplayReport) -> [String] {
        var problems: [String] = []
        for result in report.results {
            guard let expected = byExchange[result.id] else {
                problems.append("\(result.id): not in the expected results (now \(result.outcome.rawValue))")
                continue
            }
            switch (expected.outcome, result.outcome) {
            case (.mismatch, .mismatch), (.match, .match), (.allowListed, .allowListed):
                continue
            case (.mismatch, _):
                problems.append("\(result.id): now \(result.outcome.rawValue), listed as a known mismatch (\(expected.cause)): update the expected results")
            case (_, .mismatch):
                problems.append("regression: \(result.line(differences: 3))")
            default:
                problems.append("\(result.id): now \(result.outcome.rawValue), expected \(expected.outcome.rawValue)")
            }
        }
        let replayed = Set(report.results.map(\.id))
        for id in byExchange.keys.sorted() where !replayed.contains(id) {
            problems.append("\(id): expected but not replayed")
        }
        return problems
    }

    /// The expected-results file for `report`; a mismatch keeps its hand-written cause
    /// from `previous` when it is still a mismatch, otherwise the first difference.
    public static func render(_ report: ReplayReport, previous: ReplayExpectations? = nil) -> String {
        var text = """
            # Expected outcome of replaying ../shared/fixtures/apiserver-v1.36 against KubeTestServer
            # (Tests/KubeReplayTests/ReplayFixturesTests.swift). One line per exchange: id, outcome, cause.
            # \(report.summary).
            # Regenerate: kube-test-server replay <dir> --allow-list Tests/Fixtures/replay-allowlist.json \\
            #   --write-expected Tests/Fixtures/replay-expected.txt   (then check every changed cause by hand)

            """
        for result in report.results {
            var line = result.id + " " + result.outcome.rawValue
            if result.outcome == .mismatch {
                let kept = previous?.byExchange[result.id].flatMap { $0.outcome == .mismatch ? $0.cause : nil }
                line += " " + (kept ?? Self.cause(result))
            }
            text += line + "\n"
        }
        return text
    }

    /// The first difference, and the first one of another step (often the step that matters).
    static func cause(_ result: ReplayExchangeResult) -> String {
        guard let first = result.differences.first else { return "" }
        func short(_ difference: ReplayDifference) -> String {
            let text = difference.description.replacingOccurrences(of: "\n", with: " ")
            return text.count > 160 ? String(text.prefix(160)) + "…" : text
        }
        var cause = short(first)
        if let other = result.differences.first(where: { $0.step != first.step }) { cause += " | then " + short(other) }
        return cause + " (\(result.differences.count) differences)"
    }
}
