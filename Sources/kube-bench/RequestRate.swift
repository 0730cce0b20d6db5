import ArgumentParser
import Foundation
import KubeClient
import KubeCore
import KubeModels

/// Scenario `request-rate`: GETs of one ConfigMap from a `kube-test-server` process over
/// TLS, one at a time on one connection, then 64 in flight. Requests/s and p50/p99 latency.
struct RequestRate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request-rate", abstract: "GET one ConfigMap: sequential, and 64 in flight.")

    @Option(help: "Requests per run.")
    var requests = 5_000

    @Option(help: "Timed runs of each mode.")
    var runs = 3

    @Option(help: "Requests in flight in the concurrent mode.")
    var concurrency = 64

    func validate() throws {
        guard runs >= 1, requests >= 1, concurrency >= 1 else { throw ValidationError("--runs, --requests and --concurrency must be at least 1") }
    }

    func run() async throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try KubeClient(config: try server.adminConfig())
        do {
            let api = Api<ConfigMap>.namespaced(client, "default")
            _ = try await api.create(ConfigMap(data: ["key": "value"], metadata: ObjectMeta(name: "bench")))
            for inFlight in [1, concurrency] {
                _ = try await Self.measure(api, requests: min(requests, 200), inFlight: inFlight)  // warm-up
                var rates: [Double] = []
                var p50: [Double] = []
                var p99: [Double] = []
                for _ in 0..<runs {
                    let (rate, latencies) = try await Self.measure(api, requests: requests, inFlight: inFlight)
                    rates.append(rate)
                    p50.append(Stats.percentile(latencies, 50))
                    p99.append(Stats.percentile(latencies, 99))
                }
                print(
                    JSONLine().string("scenario", "request-rate").string("client", "swift-kubernetes")
                        .string("mode", inFlight == 1 ? "sequential" : "\(inFlight) in flight").int("in_flight", inFlight)
                        .stats("requests_per_s", Stats(rates)).stats("p50_ms", Stats(p50)).stats("p99_ms", Stats(p99))
                        .int("requests", requests).int("runs", runs)
                        .raw("machine", Machine.current().json).text)
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    /// Requests/s over the run and each request's latency in ms.
    static func measure(_ api: Api<ConfigMap>, requests: Int, inFlight: Int) async throws -> (Double, [Double]) {
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for worker in 0..<inFlight {
                let share = requests / inFlight + (worker < requests % inFlight ? 1 : 0)
                group.addTask {
                    var latencies: [Double] = []
                    latencies.reserveCapacity(share)
                    for _ in 0..<share {
                        let begin = ContinuousClock.now
                        let object = try await api.get("bench")
                        guard object.data?["key"] == "value" else { throw BenchError("GET returned the wrong ConfigMap") }
                        latencies.append(milliseconds(ContinuousClock.now - begin))
                    }
                    return latencies
                }
            }
            var all: [Double] = []
            for try await part in group { all += part }
            return all
        }
        return (Double(requests) / (milliseconds(ContinuousClock.now - start) / 1000), latencies)
    }
}
