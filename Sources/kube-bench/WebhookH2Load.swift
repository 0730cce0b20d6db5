import Foundation

/// `kube-bench webhook --load-generator h2load`: the reviews posted by nghttp2's `h2load` (C, one
/// thread; Debian's `nghttp2-client`), which costs the shared cores less per review than a
/// Swift generator does, so that more of the machine is left to the server under test.
/// Latencies come from its per-request log (`--log-file`: start time, status, duration in µs);
/// every request must have answered 200. h2load does not read the answers, so the scenario
/// first posts the same review with its own generator, which checks that the webhook allows it.
enum H2Load {
    struct Run {
        /// Each review's latency in ms.
        var latencies: [Double]
        /// From the first request's start to the last answer, in seconds.
        var seconds: Double
        /// h2load's own CPU time (user + system), in ms.
        var cpuMilliseconds: Double
    }

    /// `h2load` on the `PATH`, or `nil`.
    static var path: String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/h2load"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// `reviews` POSTs of `bodyFile` to `url`: over one HTTP/2 connection with `inFlight`
    /// concurrent streams, or (`http1`) over `inFlight` HTTP/1.1 connections.
    static func run(_ executable: String, url: String, bodyFile: String, reviews: Int, inFlight: Int, http1: Bool) throws -> Run {
        let log = NSTemporaryDirectory() + "kube-bench-h2load-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let shape = http1 ? ["--h1", "-c", String(inFlight), "-m", "1"] : ["-c", "1", "-m", String(inFlight)]
        let arguments = ["-n", String(reviews), "-t", "1"] + shape
            + ["-d", bodyFile, "-H", "content-type: application/json", "--log-file=\(log)", url]
        let child = try ChildRun.run(executable, arguments)
        guard child.status == 0 else { throw BenchError("h2load exited with status \(child.status): \(child.output.suffix(600))") }
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let run = try parse(log: text, expected: reviews)
        return Run(latencies: run.latencies, seconds: run.seconds, cpuMilliseconds: child.cpuMilliseconds)
    }

    /// The latencies (ms) and the span (s) of an h2load `--log-file`: one line per request,
    /// `start_µs <TAB> status <TAB> duration_µs`. Fails unless `expected` requests all answered 200.
    static func parse(log text: String, expected: Int) throws -> (latencies: [Double], seconds: Double) {
        var latencies: [Double] = []
        latencies.reserveCapacity(expected)
        var first = Int64.max, last = Int64.min
        for (number, line) in text.split(separator: "\n").enumerated() {
            let columns = line.split(separator: "\t")
            guard columns.count == 3, let start = Int64(columns[0]), let status = Int(columns[1]), let duration = Int64(columns[2]) else {
                throw BenchError("h2load log line \(number + 1) is not start, status, duration: \(line.prefix(80))")
            }
            guard status == 200 else { throw BenchError("h2load: review \(number + 1) answered HTTP \(status), not 200") }
            latencies.append(Double(duration) / 1000)
            first = min(first, start)
            last = max(last, start + duration)
        }
        guard latencies.count == expected else {
            throw BenchError("h2load answered \(latencies.count) of \(expected) reviews")
        }
        return (latencies, Double(last - first) / 1_000_000)
    }
}
