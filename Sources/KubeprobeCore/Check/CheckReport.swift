import Foundation

/// The outcome of one step of `kubeprobe check`.
public enum StepStatus: String, Sendable, Codable, Hashable {
    /// ✓ works.
    case ok
    /// ⚠ works, but something deserves attention (expiring token, DNS name not resolvable, a permission the Role forbids that is optional).
    case warning
    /// ✗ broken: the app in this Pod will fail here.
    case failed
    /// – not run, because an earlier step it depends on failed (or it does not apply).
    case skipped
}

/// One step's result: what was found, how long it took, and on failure the likely cause and the fix.
public struct StepResult: Sendable, Codable, Hashable {
    public var number: Int
    public var id: String
    public var title: String
    public var status: StepStatus
    public var durationMilliseconds: Double
    /// One line: what was found.
    public var summary: String
    /// Further facts, one per line.
    public var details: [String]
    /// A table (header row first), such as the rules of a SelfSubjectRulesReview.
    public var table: [[String]]?
    /// Why it probably failed.
    public var cause: String?
    /// What to do about it.
    public var fix: String?
    /// Ready-to-apply YAML (a Role and RoleBinding) for missing permissions.
    public var fixYAML: String?

    public init(number: Int, id: String, title: String, status: StepStatus, durationMilliseconds: Double = 0, summary: String,
                details: [String] = [], table: [[String]]? = nil, cause: String? = nil, fix: String? = nil, fixYAML: String? = nil) {
        self.number = number
        self.id = id
        self.title = title
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.summary = summary
        self.details = details
        self.table = table
        self.cause = cause
        self.fix = fix
        self.fixYAML = fixYAML
    }
}

/// The whole `kubeprobe check` report (also its `--output json` form).
public struct CheckReport: Sendable, Codable, Hashable {
    /// `in-cluster` or `kubeconfig`.
    public var mode: String
    public var server: String?
    public var steps: [StepResult]
    public var durationMilliseconds: Double

    /// `true` when no step failed.
    public var ok: Bool { !steps.contains { $0.status == .failed } }
    /// 0 when no step failed, 1 otherwise.
    public var exitCode: Int32 { ok ? 0 : 1 }

    private enum CodingKeys: String, CodingKey { case mode, server, steps, durationMilliseconds, ok }

    public init(mode: String, server: String?, steps: [StepResult], durationMilliseconds: Double) {
        self.mode = mode
        self.server = server
        self.steps = steps
        self.durationMilliseconds = durationMilliseconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        mode = try container.decode(String.self, forKey: .mode)
        server = try container.decodeIfPresent(String.self, forKey: .server)
        steps = try container.decode([StepResult].self, forKey: .steps)
        durationMilliseconds = try container.decode(Double.self, forKey: .durationMilliseconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(mode, forKey: .mode)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encode(steps, forKey: .steps)
        try container.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try container.encode(ok, forKey: .ok)
    }
}
