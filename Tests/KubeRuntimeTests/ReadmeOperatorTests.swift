import Foundation
import KubeClient
import KubeCore
import KubeCustomResources
import KubeModels
import KubeRuntime
import KubeTestServer
import ServiceLifecycle
import Testing
@testable import WebAppOperator


@Suite("The README's operator runs against KubeTestServer", .timeLimit(.minutes(3)))
struct ReadmeOperatorTests {
    @Test func theOperatorReconcilesOwnsFinalizesAndReports() async throws {
        try await withCluster { cluster in
            let crd = WebApp.customResourceDefinition
            _ = try await Api<CustomResourceDefinition>.cluster(cluster.client).create(crd)
            #expect(await eventually {
                (try? await Api<CustomResourceDefinition>.cluster(cluster.client).get("webapps.example.com"))?.status?.conditions?
                    .contains { $0.type == "Established" && $0.status == "True" } == true
            })

            let services = try webAppOperator(client: cluster.client, namespace: "default", host: "127.0.0.1", port: 0)
            let endpoint = try #require(services.compactMap { $0 as? OperatorEndpoint }.first)
            let apps = Api<WebApp>.namespaced(cluster.client, "default")
            let pages = Api<ConfigMap>.namespaced(cluster.client, "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for service in services { group.addTask { try await service.run() } }
                defer { group.cancelAll() }
                let port = try await endpoint.listeningPort()
                #expect(await eventually { (try? await httpRequest(port, "/readyz").status) == 200 })

                var app = WebApp(metadata: ObjectMeta(name: "shop"))
                app.spec.greeting = "welcome"
                let created = try await apps.create(app)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "welcome"] })
                let page = try await pages.get("shop-page")
                #expect(page.metadata.isControlled(by: created))
                #expect(page.metadata.controllerReference?.blockOwnerDeletion == true)
                // The apply named no field manager: the client's default, the program's name, owns the page.
                #expect(page.metadata.managedFields?.map(\.manager) == [ProcessInfo.processInfo.processName])
                #expect(page.metadata.managedFields?.first?.operation == "Apply")
                #expect(try await apps.get("shop").metadata.finalizers == ["example.com/cleanup"])

                var changed = try await apps.get("shop")
                changed.spec.greeting = "bonjour"
                _ = try await apps.replace("shop", changed)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "bonjour"] })

                // Someone edits the owned page: the controller puts it back.
                var edited = try await pages.get("shop-page")
                edited.data = ["greeting": "tampered"]
                _ = try await pages.replace("shop-page", edited)
                #expect(await eventually { (try? await pages.get("shop-page"))?.data == ["greeting": "bonjour"] })

                let metrics = try await httpRequest(port, "/metrics").body
                #expect((sample(metrics, MetricNames.reconciles, ["controller": "webapp", "result": "success"]) ?? 0) >= 3)
                #expect(sample(metrics, MetricNames.leaderStatus, ["name": "webapp-operator"]) == 1)

                _ = try await apps.delete("shop")
                #expect(await eventually {
                    do { return try await apps.getIfExists("shop") == nil } catch { return false }
                })
                #expect(try await pages.getIfExists("shop-page") == nil)
            }
        }
    }

    /// The README's operator block is `Examples/WebAppOperator/WebAppOperator.swift`, whole
    /// (so what the README shows compiles, and the test above runs it).
    @Test func theReadmeShowsTheOperatorThatRuns() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = try String(contentsOf: root.appendingPathComponent("Examples/WebAppOperator/WebAppOperator.swift"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## An operator in about 60 lines\n"))
        let open = try #require(readme.range(of: "```swift\n", range: section.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```\n", range: open.upperBound..<readme.endIndex))
        #expect(String(readme[open.upperBound..<close.lowerBound]) + "\n" == source)
        let lines = source.split(separator: "\n").count
        #expect(lines <= 60, "the operator has \(lines) lines")
    }
}
