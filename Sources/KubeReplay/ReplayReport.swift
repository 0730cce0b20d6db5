import Foundation

/// How one exchange came out.
public enum ReplayOutcome: String, Sendable, Hashable, CaseIterable {
    /// Every step matched.
    case match
    /// Every difference is on the allow-list.
    case allowListed = "allow-listed"
    /// At least one difference is not on the allow-list.
    case mismatch
}

/// The result of replaying one exchange.
public struct ReplayExchangeResult: Sendable {
    /// The exchange's id (file name without `.json`).
    public let id: String
    public let name: String
    public let stepCount: Int
    public let outcome: ReplayOutcome
    /// The differences not on the allow-list.
    public let differences: [ReplayDifference]
    /// The differences the allow-list accepts, with the entry that accepts each.
    public let allowed: [(difference: ReplayDifference, entry: ReplayAllowList.Entry)]
    public let duration: Duration

    init(recording: ReplayRecording, differences all: [ReplayDifference], allowList: ReplayAllowList, duration: Duration) {
        id = recording.id
        name = recording.name
        stepCount = recording.stepCount
        var differences: [ReplayDifference] = []
        var allowed: [(difference: ReplayDifference, entry: ReplayAllowList.Entry)] = []
        for difference in all {
            if let entry = allowList.entry(for: difference, in: recording) {
                allowed.append((difference, entry))
            } else {
                differences.append(difference)
            }
        }
        self.differences = differences
        self.allowed = allowed
        outcome = !differences.isEmpty ? .mismatch : (allowed.isEmpty ? .match : .allowListed)
        self.duration = duration
    }

    /// One line: outcome, id, and the first differences.
    public func line(differences shown: Int = 2) -> String {
        let head = outcome.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0) + id
        switch outcome {
        case .match:
            return head
        case .allowListed:
            return head + " (\(allowed.count) allow-listed difference\(allowed.count == 1 ? "" : "s"))"
        case .mismatch:
            let first = differences.prefix(shown).map(\.description).joined(separator: "; ")
            let more = differences.count > shown ? "; +\(differences.count - shown) more" : ""
            return head + ": " + first + more
        }
    }
}

/// The results of a replay.
public struct ReplayReport: Sendable {
    public let results: [ReplayExchangeResult]
    /// Allow-list entries that accepted no difference (stale entries to remove).
    public let unusedAllowListEntries: [ReplayAllowList.Entry]

    init(results: [ReplayExchangeResult], allowList: ReplayAllowList) {
        self.results = results
        let used = Set(results.flatMap { $0.allowed.map(\.entry) })
        unusedAllowListEntries = allowList.entries.filter { !used.contains($0) }
    }

    /// Exchanges that match or whose differences are all allow-listed.
    public var matchCount: Int { results.filter { $0.outcome != .mismatch }.count }

    /// `N of M exchanges match (E exactly, A with allow-listed differences)`.
    public var summary: String {
        let exact = results.filter { $0.outcome == .match }.count
        let listed = results.filter { $0.outcome == .allowListed }.count
        return "\(matchCount) of \(results.count) exchanges match (\(exact) exactly, \(listed) with allow-listed differences)"
    }
}
