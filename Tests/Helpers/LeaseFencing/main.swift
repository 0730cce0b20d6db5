// A leader-election candidate for the multi-process fencing test
// (Tests/KubeRuntimeTests/LeaderElectionFencingTests.swift). It campaigns on one Lease and
// appends to a fencing log, one line per fact, with CLOCK_MONOTONIC nanoseconds (one clock
// for every process on the machine):
//
//   lead-start <ns>                      the leader's work began
//   lead-end <ns>                        the leader's work ended (after its cancellation)
//   write <kind> <started-ns> <finished-ns> <resourceVersion> <holder>   a Lease write that succeeded
//
// Environment: KUBECONFIG, IDENTITY, FENCING_LOG, and LEASE_SECONDS / RENEW_MILLISECONDS /
// RETRY_MILLISECONDS (defaults 3 / 2000 / 500). The client's User-Agent ends with
// `lease-fencing/<identity>`, so the test server can slow down this one client.
// SIGTERM shuts it down gracefully (releasing the Lease).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import KubeClient
import KubeRuntime
import Logging
import ServiceLifecycle
import Synchronization

/// CLOCK_MONOTONIC, shared by all processes of one machine.
struct MonotonicClock: LeaderElectionClock {
    static func nanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
    func now() -> Duration { .nanoseconds(Self.nanoseconds()) }
    func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// Appends whole lines and flushes each, so a reader never sees half a line.
final class FencingLog: Sendable {
    private let handle: Mutex<FileHandle>
    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        self.handle = Mutex(handle)
    }
    func append(_ line: String) {
        handle.withLock { handle in
            try? handle.write(contentsOf: Data((line + "\n").utf8))
            try? handle.synchronize()
        }
    }
}

func nanoseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
}

@main
struct LeaseFencingMain {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let identity = environment["IDENTITY"], let logPath = environment["FENCING_LOG"] else {
            FileHandle.standardError.write(Data("lease-fencing needs IDENTITY and FENCING_LOG\n".utf8))
            exit(2)
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "lease-fencing")
        logger.logLevel = .info
        var config = try ClientConfig.infer()
        config.userAgent += " lease-fencing/\(identity)"
        let client = try KubeClient(config: config, logger: logger)
        let log = try FencingLog(path: logPath)
        let leaseSeconds = Int64(environment["LEASE_SECONDS"] ?? "") ?? 3
        let renewMilliseconds = Int64(environment["RENEW_MILLISECONDS"] ?? "") ?? 2000
        let retryMilliseconds = Int64(environment["RETRY_MILLISECONDS"] ?? "") ?? 500
        let electionConfig = try LeaderElectionConfig(
            leaseName: "fencing", namespace: "default", identity: identity, leaseDuration: .seconds(leaseSeconds),
            renewDeadline: .milliseconds(renewMilliseconds), retryPeriod: .milliseconds(retryMilliseconds))
        let elector = LeaderElector(
            client: client, config: electionConfig, clock: MonotonicClock(), logger: logger,
            leaseWriteObserver: { write in
                log.append(
                    "write \(write.kind.rawValue) \(nanoseconds(write.startedAt)) \(nanoseconds(write.finishedAt)) "
                        + "\(write.resourceVersion ?? "-") \(write.holder ?? "-")")
            })
        let campaign = Campaign(elector: elector, log: log)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: campaign)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        try await client.shutdown()
        logger.info("stopped")
    }
}

/// The elector with "I lead" logged around the leader's work.
struct Campaign: Service {
    let elector: LeaderElector
    let log: FencingLog
    func run() async throws {
        let log = self.log
        try await elector.run {
            log.append("lead-start \(MonotonicClock.nanoseconds())")
            defer { log.append("lead-end \(MonotonicClock.nanoseconds())") }
            try await Task.sleep(for: .seconds(3600))
        }
    }
}
