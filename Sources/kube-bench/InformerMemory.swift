import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import KubeCore
import KubeModels
import KubeRuntime

/// Scenario `informer-memory`: resident bytes per Pod held in an informer `Store`.
///
/// Method: a child process reads the unpacked fixture into memory, calls `malloc_trim(0)`
/// and reads its RSS (`/proc/self/statm`); then decodes the list once per copy needed (so
/// every cached Pod has storage of its own, as pods decoded from separate watch events
/// would), renames the copies, applies every pod to a `Store<Pod>` with a namespace index,
/// drops the decoded lists, calls `malloc_trim(0)` and reads its RSS again. Bytes per pod =
/// (RSS after − RSS before) / pods. The fixture bytes stay loaded across both readings, so
/// they cancel out. Each count is measured in several fresh child processes.
struct InformerMemory: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "informer-memory", abstract: "Resident bytes per Pod cached in an informer Store (child processes).")

    @Option(help: "The pod list (.json.gz or .json).")
    var fixture = "../shared/fixtures/podlist-10k.json.gz"

    @Option(parsing: .upToNextOption, help: "Pod counts to measure (renamed copies beyond the fixture's).")
    var counts: [Int] = [10_000, 50_000]

    @Option(help: "Child processes per count.")
    var runs = 3

    @Flag(help: .hidden)
    var child = false

    @Flag(help: .hidden)
    var stripManagedFields = false

    @Flag(help: .hidden)
    var metadataOnly = false

    func validate() throws {
        guard runs >= 1, !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--runs and every --counts value must be at least 1")
        }
    }

    func run() throws {
        if child {
            print(try Self.measureHere(fixture: fixture, count: counts[0], stripManagedFields: stripManagedFields, metadataOnly: metadataOnly))
            return
        }
        let bytes = try BenchFixture.load(fixture)
        let items = try ObjectList<Pod>.read(from: bytes).items.count
        let unpacked = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-\(UUID().uuidString).json")
        try Data(bytes).write(to: unpacked)
        defer { try? FileManager.default.removeItem(at: unpacked) }
        let jsonPerPod = Double(bytes.count) / Double(items)
        // Each count as the server sends the pods, with the informer transform that drops
        // managedFields (`Informer.stripManagedFields`), and as a metadata-only informer caches
        // them (`PartialObjectMetadata`: the same metadata, no spec or status), with and without
        // managedFields.
        for count in counts {
            for (metadata, strip) in [(false, false), (false, true), (true, false), (true, true)] {
                var perPod: [Double] = []
                for _ in 0..<runs {
                    let result = try ChildRun.run(
                        Sibling.selfPath,
                        ["informer-memory", "--child", "--fixture", unpacked.path, "--counts", String(count)]
                            + (strip ? ["--strip-managed-fields"] : []) + (metadata ? ["--metadata-only"] : []))
                    guard result.status == 0, let value = Double(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                        throw BenchError("the informer-memory child exited with status \(result.status): \(result.output)")
                    }
                    perPod.append(value)
                }
                let stats = Stats(perPod)
                var line = JSONLine().string("scenario", "informer-memory").string("client", "swift-kubernetes")
                let mode = [metadata ? "metadata only" : nil, strip ? "managedFields stripped" : nil].compactMap { $0 }
                if !mode.isEmpty { line = line.string("mode", mode.joined(separator: ", ")) }
                print(
                    line.stats("bytes_per_pod", stats).int("pods", count).number("json_bytes_per_pod", jsonPerPod)
                        .number("ratio_to_json", stats.median / jsonPerPod).int("runs", runs)
                        .string("method", "child process: (RSS after caching - RSS before) / pods, malloc_trim(0) before each /proc/self/statm reading, the fixture bytes loaded across both readings; " + Self.cached(metadataOnly: metadata))
                        .raw("machine", Machine.current().json).text)
            }
        }
    }

    static func cached(metadataOnly: Bool) -> String {
        metadataOnly
            ? "Store<PartialObjectMetadata> with a namespace index (each pod's metadata read from the pod list, as a PartialObjectMetadataList serves it)"
            : "Store<Pod> with a namespace index"
    }

    /// Runs in the child: bytes of resident memory per cached pod.
    static func measureHere(fixture: String, count: Int, stripManagedFields: Bool, metadataOnly: Bool = false) throws -> Double {
        let bytes = try BenchFixture.load(fixture)
        // The bytes must stay alive until the second reading: freed after their last use,
        // they would subtract their own size from the figure.
        return try withExtendedLifetime(bytes) {
            metadataOnly
                ? try measure(PartialObjectMetadata.self, bytes, fixture: fixture, count: count, stripManagedFields: stripManagedFields)
                : try measure(Pod.self, bytes, fixture: fixture, count: count, stripManagedFields: stripManagedFields)
        }
    }

    /// `K` is `Pod`, or `PartialObjectMetadata` read from the same list (what a metadata-only
    /// informer keeps of each pod: its whole metadata).
    private static func measure<K: KubeObject & JSONReadable>(
        _ type: K.Type, _ bytes: [UInt8], fixture: String, count: Int, stripManagedFields: Bool
    ) throws -> Double {
        releaseFreeMemory()
        let before = currentRSS()
        let store = Store<K>(indexers: [Store<K>.namespaceIndex.0: Store<K>.namespaceIndex.1])
        var stored = 0
        var copy = 0
        while stored < count {
            let list = try ObjectList<K>.read(from: bytes)
            guard !list.items.isEmpty else { throw BenchError("fixture \(fixture) holds no pods") }
            for var pod in list.items where stored < count {
                let name = (pod.metadata.name ?? "pod") + (copy > 0 ? "-c\(copy)" : "")
                var unique = name
                var duplicate = 0
                while store.get(namespace: pod.metadata.namespace, name: unique) != nil {  // the fixture repeats a name
                    duplicate += 1
                    unique = name + "-d\(duplicate)"
                }
                pod.metadata.name = unique
                store.apply(stripManagedFields ? Informer<K>.stripManagedFields(pod) : pod)
                stored += 1
            }
            copy += 1
        }
        releaseFreeMemory()
        let after = currentRSS()
        guard store.count == count else { throw BenchError("the store holds \(store.count) pods, expected \(count)") }
        return Double(after - before) / Double(count)
    }
}

/// glibc's `malloc_trim(0)` (looked up at run time: Swift's Glibc module does not export
/// `malloc.h`): gives freed heap pages back to the system so RSS shows live memory.
func releaseFreeMemory() {
    typealias MallocTrim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
}
