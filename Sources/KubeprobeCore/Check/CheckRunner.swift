import Foundation
import KubeClient
import Logging

/// What `kubeprobe check` checks, and how patiently.
public struct CheckOptions: Sendable {
    public var settings: ProbeSettings
    /// Permissions to verify with SelfSubjectAccessReview (`"list pods"`, `"update leases -n kube-system"`).
    public var needs: [String]
    /// The limit for each step; a step that takes longer fails with a timeout.
    public var stepTimeout: Duration
    /// How long step 10 keeps its watch open.
    public var watchDuration: Duration

    public init(settings: ProbeSettings, needs: [String] = [], stepTimeout: Duration = .seconds(5), watchDuration: Duration = .seconds(1)) {
        self.settings = settings
        self.needs = needs
        self.stepTimeout = stepTimeout
        self.watchDuration = watchDuration
    }
}

/// Runs the ten steps in the order traffic flows, each under a timeout; a step whose
/// prerequisites failed is skipped and says which step it waited for.
public struct CheckRunner: Sendable {
    public let options: CheckOptions

    public init(options: CheckOptions) { self.options = options }

    struct Step: Sendable {
        let number: Int
        let id: String
        let title: String
        /// Steps that must not have failed (or been skipped) for this one to run.
        let requires: [Int]
        let run: @Sendable (CheckState) async -> StepOutcome
    }

    /// Runs every step; `onStart`/`onFinish` are called around each (for live output).
    public func run(
        onStart: @Sendable (Int, String) -> Void = { _, _ in }, onFinish: @Sendable (StepResult) -> Void = { _ in }
    ) async -> CheckReport {
        let state = CheckState(options: options)
        let started = ContinuousClock.now
        var results: [Int: StepResult] = [:]
        // Failed steps, and steps skipped because of one: what later steps cannot build on.
        // A step skipped as not applicable (the in-cluster steps under a kubeconfig) blocks nothing.
        var blocked = Set<Int>()
        for step in steps {
            if let blocker = step.requires.first(where: { blocked.contains($0) }) {
                let title = results[blocker]?.title ?? "step \(blocker)"
                let result = StepResult(
                    number: step.number, id: step.id, title: step.title, status: .skipped,
                    summary: "skipped: step \(blocker) (\(title)) did not pass")
                results[step.number] = result
                blocked.insert(step.number)
                onFinish(result)
                continue
            }
            onStart(step.number, step.title)
            let stepStarted = ContinuousClock.now
            let outcome = await Self.withTimeout(options.stepTimeout, title: step.title) { await step.run(state) }
            let elapsed = ContinuousClock.now - stepStarted
            let result = outcome.result(number: step.number, id: step.id, title: step.title, duration: elapsed)
            results[step.number] = result
            if result.status == .failed { blocked.insert(step.number) }
            onFinish(result)
        }
        await state.shutdown()
        let report = CheckReport(
            mode: options.settings.mode == .inCluster ? "in-cluster" : "kubeconfig", server: await state.server,
            steps: steps.compactMap { results[$0.number] }, durationMilliseconds: (ContinuousClock.now - started).milliseconds)
        return report
    }

    var steps: [Step] {
        [
            Step(number: 1, id: "environment", title: "Environment", requires: []) { await $0.checkEnvironment() },
            Step(number: 2, id: "serviceaccount", title: "Service account mount", requires: []) { await $0.checkServiceAccount() },
            Step(number: 3, id: "dns", title: "DNS", requires: [1]) { await $0.checkDNS() },
            Step(number: 4, id: "tcp", title: "TCP connect", requires: [1]) { await $0.checkTCP() },
            Step(number: 5, id: "tls", title: "TLS handshake", requires: [2, 4]) { await $0.checkTLS() },
            Step(number: 6, id: "health", title: "/version and /readyz", requires: [5]) { await $0.checkHealth() },
            Step(number: 7, id: "whoami", title: "Who am I", requires: [6]) { await $0.checkWhoAmI() },
            Step(number: 8, id: "permissions", title: "Permissions", requires: [7]) { await $0.checkPermissions() },
            Step(number: 9, id: "endpoints", title: "API server endpoints", requires: [6]) { await $0.checkEndpoints() },
            Step(number: 10, id: "streaming", title: "List and watch", requires: [7]) { await $0.checkStreaming() },
        ]
    }

    /// Runs `body`, or gives up after `limit` with a failed outcome (the body's task is cancelled).
    static func withTimeout(_ limit: Duration, title: String, _ body: @escaping @Sendable () async -> StepOutcome) async -> StepOutcome {
        await withTaskGroup(of: StepOutcome?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: limit)
                return Task.isCancelled ? nil : StepOutcome(
                    .failed, "no answer within \(limit)",
                    cause: "the step \"\(title)\" did not finish in time: the server or the network does not answer",
                    fix: "check that the address is reachable from this Pod (NetworkPolicy, firewall, a stopped API server); --timeout raises the limit")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? StepOutcome(.failed, "the step was cancelled")
        }
    }
}

/// What a step found, before numbering and timing are added.
struct StepOutcome: Sendable {
    var status: StepStatus
    var summary: String
    var details: [String] = []
    var table: [[String]]?
    var cause: String?
    var fix: String?
    var fixYAML: String?

    init(_ status: StepStatus, _ summary: String, details: [String] = [], table: [[String]]? = nil, cause: String? = nil,
         fix: String? = nil, fixYAML: String? = nil) {
        self.status = status
        self.summary = summary
        self.details = details
        self.table = table
        self.cause = cause
        self.fix = fix
        self.fixYAML = fixYAML
    }

    func result(number: Int, id: String, title: String, duration: Duration) -> StepResult {
        StepResult(
            number: number, id: id, title: title, status: status, durationMilliseconds: duration.milliseconds, summary: summary,
            details: details, table: table, cause: cause, fix: fix, fixYAML: fixYAML)
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
