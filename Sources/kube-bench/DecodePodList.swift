import ArgumentParser
import Foundation
import KubeCore
import KubeModels

/// Scenario `decode-podlist`: decode a pod list held in memory into typed `Pod`s.
///
/// Timing: the median, min and max of `--runs` decodes in this process. Peak RSS:
/// a child process (`--child-once`) that loads the bytes and decodes exactly once,
/// measured with `/usr/bin/time -f %M`.
struct DecodePodList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode-podlist",
        abstract: "Decode a PodList (gzip or plain JSON, or protobuf with --protobuf) from memory into typed pods."
    )

    @Option(help: "The pod list: .json.gz (unpacked with gzip -dc) or .json; with --protobuf .pb.gz or .pb (default: podlist-10k of the chosen encoding).")
    var fixture: String?

    @Flag(help: "Decode the protobuf form (application/vnd.kubernetes.protobuf) straight into the models.")
    var protobuf = false

    @Option(help: "Timed decodes.")
    var runs = 5

    @Flag(help: "Use Foundation's JSONDecoder (Codable) instead of the generated JSONReader path.")
    var codable = false

    @Flag(help: .hidden)
    var childOnce = false

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard !(protobuf && codable) else { throw ValidationError("--protobuf and --codable exclude each other") }
    }

    enum Decoder { case reader, codable, protobuf }

    var decoder: Decoder { protobuf ? .protobuf : codable ? .codable : .reader }

    var fixturePath: String { fixture ?? (protobuf ? "../shared/fixtures/podlist-10k.pb.gz" : "../shared/fixtures/podlist-10k.json.gz") }

    func run() throws {
        if childOnce {
            // Exactly one decode; the parent reads this process's peak RSS.
            let bytes = try BenchFixture.load(fixturePath)
            let items = try Self.decode(bytes, decoder: decoder)
            print(items)
            return
        }
        let bytes = try BenchFixture.load(fixturePath)
        var times: [Double] = []
        var items = 0
        for _ in 0..<runs {
            let (milliseconds, count) = try Self.timedDecode(bytes, decoder: decoder)
            times.append(milliseconds)
            items = count
        }
        let peak = try measureChildPeak(bytes: bytes)
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        let line = JSONLine()
            .string("scenario", "decode-podlist")
            .string("client", "swift-kubernetes")
            .string("decoder", protobuf ? "protobuf (generated readers, direct)" : codable ? "Foundation.JSONDecoder" : "JSONReader (generated)")
            .string("encoding", protobuf ? "protobuf" : "json")
            .number("ms_median", median)
            .number("ms_min", times[0])
            .number("ms_max", times[times.count - 1])
            .number("mb_per_s", Double(bytes.count) / 1_000_000 / (median / 1000))
            .number("peak_rss_mb", peak)
            .int("bytes", bytes.count)
            .int("items", items)
            .int("runs", runs)
            .raw("machine", Machine.current().json)
        print(line.text)
    }

    /// Decodes the list; the time stops when the typed list is complete (freeing
    /// it afterwards is not counted, as a garbage-collected peer would not count it).
    static func timedDecode(_ bytes: [UInt8], decoder: Decoder) throws -> (milliseconds: Double, items: Int) {
        let start = ContinuousClock.now
        let list = try decodeList(bytes, decoder: decoder)
        return (milliseconds(ContinuousClock.now - start), list.items.count)
    }

    static func decodeList(_ bytes: [UInt8], decoder: Decoder) throws -> ObjectList<Pod> {
        switch decoder {
        case .codable: return try JSONDecoder().decode(ObjectList<Pod>.self, from: Data(bytes))
        case .reader: return try ObjectList<Pod>.read(from: bytes)
        case .protobuf: return try ObjectList<Pod>.read(protobuf: bytes, schema: BuiltinProtobufSchema.schema)
        }
    }

    /// Decodes the list and returns its item count.
    static func decode(_ bytes: [UInt8], decoder: Decoder) throws -> Int {
        try decodeList(bytes, decoder: decoder).items.count
    }

    /// Runs this program with `--child-once` on an unpacked copy of the fixture (so the child
    /// holds the bytes once, as read from a file of exactly that size) and returns the child's
    /// peak resident set in MB, as `/usr/bin/time -f %M` reports it (the same method as the
    /// other scenarios; see ``ChildRun/peakRSS(_:_:environment:)``).
    private func measureChildPeak(bytes: [UInt8]) throws -> Double {
        let unpacked = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-\(UUID().uuidString).json")
        try Data(bytes).write(to: unpacked)
        defer { try? FileManager.default.removeItem(at: unpacked) }
        var program = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        if !FileManager.default.isExecutableFile(atPath: program) {
            program = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        }
        let arguments = ["decode-podlist", "--child-once", "--fixture", unpacked.path] + (codable ? ["--codable"] : []) + (protobuf ? ["--protobuf"] : [])
        return Double(try ChildRun.peakRSS(program, arguments)) / 1_048_576
    }
}
