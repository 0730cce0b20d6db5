import Foundation
import KubeTestServer
import Logging

/// Replays recorded kube-apiserver exchanges against a fresh ``KubeTestServer`` and
/// compares every response with the recording.
///
/// One server serves all exchanges, in order; each exchange gets its own namespace name
/// (`replay-001`, …: ten characters, like the recorded ones) substituted for `{ns}` (and so
/// for `{ns}-b`, `{ns}.example.com`, …). Each step is sent with its identity: `admin` is
/// a client certificate of `ceo-admin` in `system:masters`; `sa:<ns>/<name>` a
/// TokenRequest token minted just before its first use; `anonymous`; `bad-token`.
/// `refs` are taken from the replay's own earlier responses. Before each exchange the
/// server's history is compacted (the recorded etcd compacted every five minutes, so
/// versions from before an exchange are gone there too); a note about waiting for
/// compaction compacts again; a note about a CRD becoming Established waits for it.
///
/// ```swift
/// let recordings = try ReplayRecording.load(directory: "fixtures/apiserver-v1.36")
/// let report = try await Replayer.run(recordings)
/// print(report.summary)   // "97 of 124 exchanges match"
/// ```
public enum Replayer {
    /// How to replay.
    public struct Options: Sendable {
        /// Accepted differences.
        public var allowList = ReplayAllowList()
        /// The longest a watch is read (its `timeoutSeconds` plus 5 s when shorter).
        public var watchLimit: Duration = .seconds(20)
        /// The longest a step the recorder polled is repeated until it matches.
        public var pollLimit: Duration = .seconds(10)
        /// The server to start. `emulatesControllers` is turned off (the recorded server ran
        /// no controllers) and the logger is quiet unless set otherwise here.
        public var server: KubeTestServer.Configuration

        public init() {
            server = KubeTestServer.Configuration()
            server.logger.logLevel = .critical
        }
    }

    /// Starts a server, replays `recordings` in order, shuts the server down, and returns
    /// the results; `onResult` is called after each exchange (for progress output).
    public static func run(
        _ recordings: [ReplayRecording], options: Options = Options(), onResult: @Sendable (ReplayExchangeResult) -> Void = { _ in }
    ) async throws(ReplayError) -> ReplayReport {
        var configuration = options.server
        configuration.emulatesControllers = false
        configuration.allowsPrivileged = false  // kube-apiserver's default, as the recorded server ran
        let server: KubeTestServer
        let client: ReplayClient
        do {
            server = try await KubeTestServer.start(configuration)
        } catch {
            throw ReplayError(.server("\(error)"))
        }
        do {
            client = try ReplayClient(server: server)
        } catch {
            await server.shutdown()
            throw ReplayError(.server("client setup: \(error)"))
        }
        var results: [ReplayExchangeResult] = []
        for (index, recording) in recordings.enumerated() {
            await server.faults.compactHistory()
            let started = ContinuousClock.now
            var run = ExchangeRun(
                recording: recording, namespace: namespaceName(index), server: server, client: client, options: options)
            let differences = await run.run()
            let result = ReplayExchangeResult(
                recording: recording, differences: differences, allowList: options.allowList, duration: ContinuousClock.now - started)
            onResult(result)
            results.append(result)
        }
        await client.shutdown()
        await server.shutdown()
        return ReplayReport(results: results, allowList: options.allowList)
    }

    /// `replay-001`, … (ten characters, a DNS label, like the recorded namespaces).
    static func namespaceName(_ index: Int) -> String {
        index < 999 ? "replay-" + String(format: "%03d", index + 1) : "rp" + String(format: "%08d", index + 1)
    }
}
