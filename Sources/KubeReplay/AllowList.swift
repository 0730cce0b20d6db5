import Foundation

/// Differences accepted on purpose, each by name with the reason: the exchange, the
/// step or steps (optional) and the JSON path of the difference (a pattern: `*` matches
/// within one path segment, `**` any number of segments).
///
/// ```json
/// {"entries": [
///   {"exchange": "011-openid-discovery", "step": 2, "path": "/body/keys/0/**",
///    "reason": "the test server signs tokens with ES256, the recorded one with RS256"},
///   {"exchange": "036-immutable-fields", "steps": [6, 12], "path": "/body/**message",
///    "reason": "…"}
/// ]}
/// ```
public struct ReplayAllowList: Sendable {
    /// One accepted difference.
    public struct Entry: Sendable, Hashable, CustomStringConvertible {
        /// The exchange's id (file name without `.json`) or `name`; `*` allowed.
        public var exchange: String
        /// The steps it applies to; empty for any step.
        public var steps: [Int]
        /// The difference's path pattern.
        public var path: String
        /// Why the difference is accepted, for the user reading the report.
        public var reason: String

        public init(exchange: String, step: Int? = nil, path: String, reason: String) {
            self.init(exchange: exchange, steps: step.map { [$0] } ?? [], path: path, reason: reason)
        }

        public init(exchange: String, steps: [Int], path: String, reason: String) {
            self.exchange = exchange
            self.steps = steps
            self.path = path
            self.reason = reason
        }

        public var description: String {
            let scope = steps.isEmpty ? "" : (steps.count == 1 ? " step " : " steps ") + steps.map(String.init).joined(separator: ", ")
            return "\(exchange)\(scope) \(path): \(reason)"
        }

        func matches(_ difference: ReplayDifference, in recording: ReplayRecording) -> Bool {
            guard Glob.matches(exchange, recording.id) || Glob.matches(exchange, recording.name) else { return false }
            if !steps.isEmpty, !steps.contains(where: { $0 == difference.step }) { return false }
            return Glob.matchesPath(path, difference.path)
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// Reads an allow-list file (`{"entries": [...]}`; every entry needs `exchange`, `path` and
    /// `reason`, and may name a `step` or `steps`).
    public static func load(_ path: String) throws(ReplayError) -> ReplayAllowList {
        guard let data = FileManager.default.contents(atPath: path) else { throw ReplayError(.unreadable(path)) }
        let document: ReplayJSON
        do {
            document = try ReplayJSON.parse(data)
        } catch {
            throw ReplayError(.invalidAllowList(path, "\(error)"))
        }
        guard let items = document["entries"]?.array else { throw ReplayError(.invalidAllowList(path, "no \"entries\" array")) }
        var entries: [Entry] = []
        for (index, item) in items.enumerated() {
            guard let exchange = item["exchange"]?.string, let pattern = item["path"]?.string, let reason = item["reason"]?.string,
                !reason.trimmingCharacters(in: .whitespaces).isEmpty
            else {
                throw ReplayError(.invalidAllowList(path, "entry \(index) needs exchange, path and a reason"))
            }
            if item["step"] != nil, item["step"]?.int == nil { throw ReplayError(.invalidAllowList(path, "entry \(index): step must be an integer")) }
            var steps = item["step"]?.int.map { [$0] } ?? []
            if let list = item["steps"] {
                guard item["step"] == nil, let items = list.array, !items.isEmpty, items.allSatisfy({ $0.int != nil }) else {
                    throw ReplayError(.invalidAllowList(path, "entry \(index): steps must be a non-empty list of integers, without step"))
                }
                steps = items.compactMap(\.int)
            }
            entries.append(Entry(exchange: exchange, steps: steps, path: pattern, reason: reason))
        }
        return ReplayAllowList(entries: entries)
    }

    /// The first entry that accepts `difference`.
    func entry(for difference: ReplayDifference, in recording: ReplayRecording) -> Entry? {
        entries.first { $0.matches(difference, in: recording) }
    }
}

/// Shell-like patterns over names and JSON paths.
enum Glob {
    /// `*` matches any run of characters.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        match(Array(pattern), 0, Array(text), 0, slash: false)
    }

    /// `*` matches within one `/` segment, `**` across segments.
    static func matchesPath(_ pattern: String, _ path: String) -> Bool {
        match(Array(pattern), 0, Array(path), 0, slash: true)
    }

    private static func match(_ p: [Character], _ i: Int, _ t: [Character], _ j: Int, slash: Bool) -> Bool {
        if i == p.count { return j == t.count }
        if p[i] == "*" {
            let double = slash && i + 1 < p.count && p[i + 1] == "*"
            let next = double ? i + 2 : i + 1
            var k = j
            while true {
                if match(p, next, t, k, slash: slash) { return true }
                if k == t.count || (slash && !double && t[k] == "/") { return false }
                k += 1
            }
        }
        guard j < t.count, p[i] == t[j] else { return false }
        return match(p, i + 1, t, j + 1, slash: slash)
    }
}
