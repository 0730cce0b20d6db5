#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Logging
import Testing

/// Three candidates in separate processes (`lease-fencing`, built by `swift build --build-tests`)
/// on one Lease. Each round, the test server delays every response to the current leader by more
/// than the lease duration; the fencing logs (CLOCK_MONOTONIC, one clock for all processes) must
/// show that no two processes ever led at once, that every "I lead" interval is backed by the
/// leader's own successful Lease writes, and that a new leader took over within lease + retry.
@Suite("Leader election fencing across processes", .timeLimit(.minutes(3)))
struct LeaderElectionFencingTests {
    static let lease: Duration = .seconds(3)
    static let renewDeadline: Duration = .seconds(2)
    static let retry: Duration = .milliseconds(500)
    /// More than the lease duration.
    static let delay: Duration = .seconds(5)
    static let identities = ["candidate-1", "candidate-2", "candidate-3"]
    /// Alternating the two kinds of delay.
    static let rounds = 6

    struct Interval: CustomStringConvertible {
        let identity: String
        let start: Int64
        var end: Int64?
        var description: String { "\(identity) [\(start), \(end.map(String.init) ?? "open"))" }
    }

    struct Write {
        let identity: String
        let kind: String
        let started: Int64
        let finished: Int64
        let resourceVersion: String
    }

    /// Parses the fencing logs of all candidates (whole lines only).
    static func read(_ logs: [String: URL]) -> (intervals: [Interval], writes: [Write]) {
        var intervals: [Interval] = []
        var writes: [Write] = []
        for (identity, url) in logs {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            // Only whole lines: a line being written may be cut anywhere (even inside a number).
            var lines = text.components(separatedBy: "\n")
            lines.removeLast()
            for line in lines {
                let fields = line.split(separator: " ").map(String.init)
                switch fields.first {
                case "lead-start":
                    if let time = Int64(fields[1]) { intervals.append(Interval(identity: identity, start: time)) }
                case "lead-end":
                    if let time = Int64(fields[1]), let index = intervals.lastIndex(where: { $0.identity == identity && $0.end == nil }) {
                        intervals[index].end = time
                    }
                case "write" where fields.count >= 6:
                    if let started = Int64(fields[2]), let finished = Int64(fields[3]) {
                        writes.append(Write(identity: identity, kind: fields[1], started: started, finished: finished, resourceVersion: fields[4]))
                    }
                default: break
                }
            }
        }
        return (intervals.sorted { $0.start < $1.start }, writes.sorted { $0.started < $1.started })
    }

    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }

    static func seconds(_ nanoseconds: Int64) -> String { String(format: "%.3f s", Double(nanoseconds) / 1e9) }

    /// Pairs of intervals that overlap (an open interval lasts forever).
    static func overlaps(_ intervals: [Interval]) -> [(Interval, Interval)] {
        var found: [(Interval, Interval)] = []
        for (i, a) in intervals.enumerated() {
            for b in intervals[(i + 1)...] where b.start < (a.end ?? .max) && a.start < (b.end ?? .max) { found.append((a, b)) }
        }
        return found
    }

    /// Intervals not covered by their own process's writes: each moment of leading must lie
    /// within renewDeadline (+ slack for cancelling the work) of the start of a successful
    /// acquire/renew/create write of that process.
    static func unfenced(_ intervals: [Interval], _ writes: [Write], slack: Duration) -> [String] {
        let window = nanoseconds(renewDeadline)
        var problems: [String] = []
        for interval in intervals {
            guard let end = interval.end else { continue }
            let own = writes.filter { $0.identity == interval.identity && $0.kind != "release" }.map(\.started)
            guard let first = own.last(where: { $0 <= interval.start }), interval.start <= first + window else {
                problems.append("\(interval): no write of its own started within the renew deadline before it began")
                continue
            }
            var covered = first
            for start in own where start > first && start <= end {
                if start > covered + window { problems.append("\(interval): a gap of \(seconds(start - covered)) between renewals") }
                covered = start
            }
            if end > covered + window + nanoseconds(slack) {
                problems.append("\(interval): led \(seconds(end - covered)) after the start of its last successful write")
            }
        }
        return problems
    }

    @Test func noTwoLeadersWhenTheLeadersResponsesAreDelayed() async throws {
        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        let server = try await KubeTestServer.start(configuration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fencing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let executable = try builtExecutable("lease-fencing")

        var processes: [String: Process] = [:]
        var logs: [String: URL] = [:]
        var outputs: [String: URL] = [:]
        for identity in Self.identities {
            let process = Process()
            process.executableURL = executable
            let log = directory.appendingPathComponent("\(identity).fencing")
            let output = directory.appendingPathComponent("\(identity).log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
            process.environment = [
                "KUBECONFIG": kubeconfig, "HOME": directory.path, "IDENTITY": identity, "FENCING_LOG": log.path,
                "LEASE_SECONDS": "\(Self.lease.components.seconds)",
                "RENEW_MILLISECONDS": "\(Self.nanoseconds(Self.renewDeadline) / 1_000_000)",
                "RETRY_MILLISECONDS": "\(Self.nanoseconds(Self.retry) / 1_000_000)",
            ]
            try process.run()
            processes[identity] = process
            logs[identity] = log
            outputs[identity] = output
        }
        func stopAll() async {
            for process in processes.values where process.isRunning { process.terminate() }
            let deadline = ContinuousClock.now + .seconds(10)
            while processes.values.contains(where: \.isRunning), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGKILL) }
            for process in processes.values { process.waitUntilExit() }
        }
        func output() -> String {
            outputs.sorted { $0.key < $1.key }.map { "--- \($0.key)\n" + ((try? String(contentsOf: $0.value, encoding: .utf8)) ?? "") }.joined()
        }
        /// The single process leading now (an open interval), if any.
        func leader() -> String? {
            let open = Self.read(logs).intervals.filter { $0.end == nil }
            return open.count == 1 ? open[0].identity : nil
        }

        struct Round { let leader: String; let successor: String; let applyFirst: Bool; let stoppedAfter: Int64; let takeover: Int64 }
        var rounds: [Round] = []
        do {
            let firstLeader = await eventually(timeout: .seconds(20)) { leader() != nil }
            try #require(firstLeader, "nobody became leader:\n\(output())")
            for round in 0..<Self.rounds {
                // Lead (and renew) for a while first, so renewals are part of the fencing log too.
                try await Task.sleep(for: .milliseconds(1500))
                let current = try #require(leader(), "round \(round): no single leader:\n\(output())")
                // Alternate: the leader's writes take effect but it hears late; or its requests arrive late.
                let applyFirst = round % 2 == 0
                let faultAt = Self.now()
                server.faults.delayResponses(toUserAgentContaining: "lease-fencing/\(current)", by: Self.delay, applyFirst: applyFirst)
                let tookOver = await eventually(timeout: .seconds(15)) {
                    Self.read(logs).intervals.contains { $0.identity != current && $0.start > faultAt }
                }
                try #require(tookOver, "round \(round): nobody took over from \(current):\n\(output())")
                let intervals = Self.read(logs).intervals
                let successor = try #require(intervals.first { $0.identity != current && $0.start > faultAt })
                let stopped = intervals.last { $0.identity == current && $0.start < faultAt }?.end
                rounds.append(
                    Round(
                        leader: current, successor: successor.identity, applyFirst: applyFirst, stoppedAfter: (stopped ?? .max) - faultAt,
                        takeover: successor.start - faultAt))
                server.faults.delayResponses(toUserAgentContaining: "lease-fencing/\(current)", by: .zero)
                // Let the successor settle before the next round picks it.
                _ = await eventually(timeout: .seconds(5)) { leader() == successor.identity }
            }
        } catch {
            await stopAll()
            await server.shutdown()
            throw error
        }
        await stopAll()
        await server.shutdown()

        let (intervals, writes) = Self.read(logs)
        for round in rounds {
            print(
                "fencing round: \(round.leader) delayed (\(round.applyFirst ? "applied, answer late" : "request late")) → stopped after "
                    + "\(Self.seconds(round.stoppedAfter)); \(round.successor) took over after \(Self.seconds(round.takeover))")
        }
        let overlapping = Self.overlaps(intervals)
        print("fencing: \(rounds.count) rounds, \(intervals.count) lead intervals, \(writes.count) Lease writes, overlaps = \(overlapping.count)")
        #expect(rounds.count == Self.rounds)
        #expect(overlapping.isEmpty, "two leaders at once: \(overlapping)\n\(output())")
        let problems = Self.unfenced(intervals, writes, slack: .milliseconds(500))
        #expect(problems.isEmpty, "\(problems)")
        let takeoverBound = Self.nanoseconds(Self.lease + Self.retry * (1 + 1.2) + .milliseconds(500))
        for round in rounds {
            // The old leader stops at the renew deadline, before the lease can expire for the others.
            #expect(round.stoppedAfter < Self.nanoseconds(Self.lease), "\(round.leader) kept leading for \(Self.seconds(round.stoppedAfter))")
            #expect(round.takeover < takeoverBound, "takeover took \(Self.seconds(round.takeover))")
        }
        #expect(intervals.allSatisfy { $0.end != nil }, "every process stopped leading on SIGTERM: \(intervals)")
        #expect(processes.values.allSatisfy { $0.terminationStatus == 0 }, "\(output())")
    }
}

/// The path of an executable built next to the test bundle (`swift build --build-tests` builds every product).
func builtExecutable(_ name: String) throws -> URL {
    var candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
    if let bundle = Bundle.main.executableURL?.deletingLastPathComponent() { candidates.append(bundle) }
    candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug").standardized)
    for directory in candidates {
        var url = directory
        for _ in 0..<4 {
            let candidate = url.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            url = url.deletingLastPathComponent()
        }
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
}
