import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Synchronization
import Testing
@testable import KubeRuntime

@Suite("Watcher failures, typed by stage", .timeLimit(.minutes(2)))
struct WatcherErrorTests {
    /// What a watcher's `results` delivered, in order, as short words.
    final class Collected: Sendable {
        let items = Mutex<[String]>([])
        let callbacks = Mutex<[String]>([])
        var all: [String] { items.withLock { $0 } }
        var failures: [String] { all.filter { $0.hasPrefix("failure") } }

        static func word(_ result: Result<WatcherEvent<ConfigMap>, WatcherError>) -> String {
            switch result {
            case .success(.initStart): "initStart"
            case .success(.initDone): "initDone"
            case .success(let event): "event \(event.object?.metadata.name ?? "-")"
            case .failure(let error): "failure \(error.stage) \(error.kubeError?.statusCode.map(String.init) ?? "-")"
            }
        }
    }

    @Test func eachStageIsReportedInTheSequenceAndToTheCallback() async throws {
        try await withCluster { cluster in
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            let collected = Collected()
            let watcher = Watcher(
                api: api, config: WatcherConfig(jitterSeed: 7),
                onError: { error in collected.callbacks.withLock { $0.append("failure \(error.stage) \(error.kubeError?.statusCode.map(String.init) ?? "-")") } })
            // 1. The initial list is refused once.
            cluster.server.faults.failNextRequests(1, status: 403, pathContains: "/configmaps")
            let consumer = Task {
                for await result in watcher.results {
                    let word = Collected.word(result)
                    collected.items.withLock { $0.append(word) }
                    if word == "initDone", collected.all.filter({ $0 == "initDone" }).count == 1 {
                        // 2. The first watch request is refused; 3. the next one gets a 410 ERROR event.
                        cluster.server.faults.failNextRequests(1, status: 403, pathContains: "/configmaps")
                        cluster.server.faults.expireNextWatch()
                    }
                }
            }
            defer { consumer.cancel() }
            let sawAll = await eventually(timeout: .seconds(20)) { collected.all.filter { $0 == "initDone" }.count >= 2 }
            #expect(sawAll, "\(collected.all)")
            #expect(
                collected.failures == ["failure initialListFailed 403", "failure watchStartFailed 403", "failure watchFailed 410"],
                "\(collected.all)")
            // The failure comes before the recovery it leads to: after the 410, a relist.
            let all = collected.all
            if let gone = all.firstIndex(of: "failure watchFailed 410") {
                #expect(all[(gone + 1)...].first == "initStart")
            }
            #expect(collected.callbacks.withLock { $0 } == collected.failures)
        }
    }

    /// The plain sequence stays events only.
    @Test func thePlainSequenceSkipsFailures() async throws {
        try await withCluster { cluster in
            let api = Api<ConfigMap>.namespaced(cluster.client, "default")
            _ = try await api.create(configMap("present"))
            cluster.server.faults.failNextRequests(1, status: 403, pathContains: "/configmaps")
            let events = Mutex<[String]>([])
            let consumer = Task {
                for await event in Watcher(api: api, config: WatcherConfig(jitterSeed: 3)) {
                    events.withLock { $0.append(event.object?.metadata.name ?? "\(event)") }
                }
            }
            defer { consumer.cancel() }
            #expect(await eventually(timeout: .seconds(10)) { events.withLock { $0.contains("present") } })
            #expect(events.withLock { $0.filter { $0 == "initStart" }.count } == 2)
        }
    }
}
