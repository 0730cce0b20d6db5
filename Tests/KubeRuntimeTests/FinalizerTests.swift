import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing
@testable import KubeRuntime

@Suite("Finalizers", .timeLimit(.minutes(3)))
struct FinalizerTests {
    static let first = "first.example.com/cleanup"
    static let second = "second.example.com/cleanup"

    @Test func patchesAreGuarded() throws {
        let fresh = ObjectMeta(name: "a", resourceVersion: "7")
        #expect(
            finalizerPatch(fresh, finalizer: Self.first, change: .add)
                == .json([.test("/metadata/resourceVersion", "7"), .add("/metadata/finalizers", [.string(Self.first)])]))
        let withOther = ObjectMeta(name: "a", resourceVersion: "8", finalizers: [Self.second])
        #expect(
            finalizerPatch(withOther, finalizer: Self.first, change: .add)
                == .json([.test("/metadata/finalizers", [.string(Self.second)]), .add("/metadata/finalizers/-", .string(Self.first))]))
        #expect(finalizerPatch(withOther, finalizer: Self.second, change: .add) == nil)
        let both = ObjectMeta(name: "a", resourceVersion: "9", finalizers: [Self.second, Self.first])
        #expect(
            finalizerPatch(both, finalizer: Self.first, change: .remove)
                == .json([.test("/metadata/finalizers", [.string(Self.second), .string(Self.first)]), .remove("/metadata/finalizers/1")]))
        #expect(finalizerPatch(withOther, finalizer: Self.first, change: .remove) == nil)
    }

    /// Two controllers add their finalizers to one object from the same stale snapshot (neither
    /// has seen the other's write), in a seeded random order and timing: both finalizers are
    /// there afterwards, every time. Without the guard the second `add /metadata/finalizers`
    /// replaced the first's list.
    @Test func racingControllersKeepEachOthersFinalizers() async throws {
        try await withCluster { cluster in
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            let runs = 40
            var lost: [String] = []
            for seed in 0..<runs {
                var random = SplitMix64(seed: UInt64(seed))
                let name = "race-\(seed)"
                // Half the runs start without a finalizer list, half with someone else's finalizer in it.
                let initial: [String]? = seed % 2 == 0 ? nil : ["third.example.com/keep"]
                let snapshot = try await api.create(ConfigMap(metadata: ObjectMeta(name: name, namespace: "default", finalizers: initial)))
                let delays = (0..<2).map { _ in Duration.microseconds(Int64(random.next() % 3000)) }
                try await withThrowingTaskGroup(of: ReconcileResult.self) { group in
                    for (index, finalizer) in [Self.first, Self.second].enumerated() {
                        group.addTask {
                            try await Task.sleep(for: delays[index])
                            return try await finalize(snapshot, api: api, finalizer: finalizer, apply: { _ in .done }, cleanup: { _ in .done })
                        }
                    }
                    for try await result in group { #expect(result == .done) }
                }
                let finalizers = Set(try await api.get(name).metadata.finalizers ?? [])
                let expected = Set([Self.first, Self.second] + (initial ?? []))
                if finalizers != expected { lost.append("\(name): \(finalizers.sorted())") }
            }
            #expect(lost.isEmpty, "finalizers lost in \(lost.count) of \(runs) runs: \(lost)")
        }
    }

    /// Removal is guarded too: two controllers finishing cleanup at once each remove only their own.
    @Test func racingRemovalsRemoveOnlyTheirOwn() async throws {
        try await withCluster { cluster in
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            for seed in 0..<20 {
                var random = SplitMix64(seed: UInt64(1000 + seed))
                let name = "leaving-\(seed)"
                _ = try await api.create(
                    ConfigMap(metadata: ObjectMeta(name: name, namespace: "default", finalizers: [Self.first, Self.second, "third.example.com/keep"])))
                _ = try await api.delete(name)
                let snapshot = try await api.get(name)
                #expect(snapshot.metadata.deletionTimestamp != nil)
                let delays = (0..<2).map { _ in Duration.microseconds(Int64(random.next() % 3000)) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, finalizer) in [Self.first, Self.second].enumerated() {
                        group.addTask {
                            try await Task.sleep(for: delays[index])
                            _ = try await finalize(snapshot, api: api, finalizer: finalizer, apply: { _ in .done }, cleanup: { _ in .done })
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await api.get(name).metadata.finalizers == ["third.example.com/keep"])
            }
        }
    }
}
