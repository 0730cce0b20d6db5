import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import Testing

/// Every REST verb of `Api<K>` over TLS against `KubeTestServer`, as the admin from the
/// written kubeconfig (token and client certificate).
@Suite("Verbs over TLS", .timeLimit(.minutes(3)))
struct VerbTests {
    @Test func getCreateReplaceAndConflict() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let created = try await configMaps.create(configMap("settings", labels: ["app": "web"], data: ["mode": "fast"]))
            #expect(created.metadata.uid?.isEmpty == false)
            #expect(created.metadata.namespace == "default")
            #expect(created.metadata.creationTimestamp != nil)
            let fetched = try await configMaps.get("settings")
            #expect(fetched == created)
            #expect(try await configMaps.getIfExists("settings") == created)
            #expect(try await configMaps.getIfExists("missing") == nil)

            var changed = fetched
            changed.data = ["mode": "slow"]
            let replaced = try await configMaps.replace("settings", changed)
            #expect(replaced.data == ["mode": "slow"])
            #expect(replaced.metadata.uid == created.metadata.uid)
            #expect(replaced.metadata.resourceVersion != created.metadata.resourceVersion)

            // `fetched` still carries the old resourceVersion: the server refuses the write.
            var stale = fetched
            stale.data = ["mode": "lost"]
            let conflict = await #expect(throws: KubeError.self) { _ = try await configMaps.replace("settings", stale) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.statusCode == 409)
            #expect(try await configMaps.get("settings").data == ["mode": "slow"])
        }
    }

    @Test func generateNameGivesUniqueNames() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            var names: Set<String> = []
            for _ in 0..<3 {
                let made = try await configMaps.create(ConfigMap(metadata: ObjectMeta(generateName: "job-")))
                let name = try #require(made.metadata.name)
                #expect(name.hasPrefix("job-") && name.count > 4)
                #expect(made.metadata.generateName == "job-")
                names.insert(name)
            }
            #expect(names.count == 3)
            for name in names { #expect(try await configMaps.getIfExists(name) != nil) }
        }
    }

    @Test func listOnePageWithSelectors() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            for index in 0..<5 {
                _ = try await configMaps.create(configMap("cm-\(index)", labels: ["tier": index % 2 == 0 ? "even" : "odd"]))
            }
            let even = try await configMaps.list(ListOptions(labelSelector: try LabelSelector(parsing: "tier=even")))
            #expect(even.items.compactMap(\.metadata.name).sorted() == ["cm-0", "cm-2", "cm-4"])
            #expect(even.metadata.resourceVersion?.isEmpty == false)
            let page = try await configMaps.list(ListOptions(labelSelector: try LabelSelector(parsing: "tier"), limit: 2))
            #expect(page.items.count == 2)
            #expect(page.metadata.continue?.isEmpty == false)
            // Like kube-apiserver, no remainingItemCount when a selector filters the list...
            #expect(page.metadata.remainingItemCount == nil)
            // ...and the count without one: 5 + the namespace's kube-root-ca.crt - 2.
            #expect(try await configMaps.list(ListOptions(limit: 2)).metadata.remainingItemCount == 4)
            let byName = try await configMaps.list(ListOptions(fieldSelector: try FieldSelector(parsing: "metadata.name=cm-3")))
            #expect(byName.items.map(\.metadata.name) == ["cm-3"])
            // Across all namespaces: the bootstrap `kube-root-ca.crt` of every namespace is there too.
            let everywhere = try await Api<ConfigMap>.all(cluster.admin).list()
            #expect(Set(everywhere.items.compactMap(\.metadata.namespace)).isSuperset(of: ["default", "kube-system"]))
        }
    }

    @Test func listAllFetchesEveryPageExactlyOnce() async throws {
        try await Cluster.run { cluster in
            // Seeded in-process (1,234 creates over HTTP would dominate the test); read over the wire.
            let items: [JSONValue] = (0..<1_234).map { index in
                [
                    "apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": ["name": .string(String(format: "bulk-%04d", index)), "namespace": "default", "labels": ["set": "bulk"]],
                    "data": ["index": .string(String(index))],
                ]
            }
            let list: JSONValue = ["apiVersion": "v1", "kind": "List", "items": .array(items)]
            try await cluster.server.apply(json: try JSONEncoder().encode(list))

            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let bulk = ListOptions(labelSelector: try LabelSelector(parsing: "set=bulk"))
            var counts: [String: Int] = [:]
            for try await item in configMaps.listAll(bulk, pageSize: 500) {
                counts[item.metadata.name ?? "", default: 0] += 1
                #expect(item.data?["index"].flatMap(Int.init).map { String(format: "bulk-%04d", $0) } == item.metadata.name)
            }
            #expect(counts.count == 1_234)
            #expect(counts.values.allSatisfy { $0 == 1 })

            // The same list by hand: three pages of 500, 500, 234 on one snapshot.
            var pages: [Int] = []
            var options = bulk
            options.limit = 500
            var snapshot: String?
            repeat {
                let page = try await configMaps.list(options)
                pages.append(page.items.count)
                if snapshot == nil { snapshot = page.metadata.resourceVersion }
                #expect(page.metadata.resourceVersion == snapshot)
                options.continueToken = page.metadata.continue.flatMap { $0.isEmpty ? nil : $0 }
            } while options.continueToken != nil
            #expect(pages == [500, 500, 234])
        }
    }

    @Test func listAllRestartsOnceWhenTheContinueTokenExpires() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            for index in 0..<7 { _ = try await configMaps.create(configMap(String(format: "page-%02d", index), labels: ["set": "pages"])) }
            var seen: [String] = []
            var iterator = configMaps.listAll(ListOptions(labelSelector: try LabelSelector(parsing: "set=pages")), pageSize: 3)
                .makeAsyncIterator()
            while let item = try await iterator.next() {
                seen.append(item.metadata.name ?? "")
                if seen.count == 3 {
                    // The next page's continue token now points before the compacted history: 410, restart once.
                    _ = try await configMaps.create(configMap("page-07", labels: ["set": "pages"]))
                    await cluster.server.faults.compactHistory()
                }
            }
            #expect(Set(seen).count == seen.count, "no object produced twice: \(seen)")
            #expect(Set(seen) == Set((0..<8).map { String(format: "page-%02d", $0) }))
        }
    }

    @Test func deleteReportsDeletedOrDeleting() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            _ = try await configMaps.create(configMap("plain"))
            guard case .deleted(let status) = try await configMaps.delete("plain") else {
                Issue.record("an object without finalizers is deleted at once")
                return
            }
            #expect(status.status == "Success")
            #expect(try await configMaps.getIfExists("plain") == nil)

            _ = try await configMaps.create(ConfigMap(metadata: ObjectMeta(name: "guarded", finalizers: ["example.com/cleanup"])))
            guard case .deleting(let object) = try await configMaps.delete("guarded") else {
                Issue.record("an object with a finalizer is only marked for deletion")
                return
            }
            #expect(object.metadata.deletionTimestamp != nil)
            #expect(object.metadata.finalizers == ["example.com/cleanup"])
            #expect(try await configMaps.get("guarded").metadata.deletionTimestamp != nil)
            // Removing the last finalizer completes the deletion.
            _ = try await configMaps.patch("guarded", .merge(["metadata": ["finalizers": nil]]))
            #expect(try await configMaps.getIfExists("guarded") == nil)

            let gone = await #expect(throws: KubeError.self) { _ = try await configMaps.delete("guarded") }
            #expect(gone?.isNotFound == true)
        }
    }

    @Test func deleteCollectionHonoursTheLabelSelector() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            for index in 0..<4 { _ = try await configMaps.create(configMap("tmp-\(index)", labels: ["kind": "temporary"])) }
            _ = try await configMaps.create(configMap("keep", labels: ["kind": "permanent"]))
            let result = try await configMaps.deleteCollection(listOptions: ListOptions(labelSelector: try LabelSelector(parsing: "kind=temporary")))
            switch result {
            case .deleting(let list): #expect(list.items.compactMap(\.metadata.name).sorted() == ["tmp-0", "tmp-1", "tmp-2", "tmp-3"])
            case .deleted(let status): #expect(status.status == "Success")
            }
            let left = try await configMaps.list(ListOptions(labelSelector: try LabelSelector(parsing: "kind")))
            #expect(left.items.map(\.metadata.name) == ["keep"])
        }
    }

    @Test func mergePatch() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            _ = try await configMaps.create(configMap("patched", labels: ["a": "1"], data: ["keep": "yes", "drop": "me"]))
            let patched = try await configMaps.patch("patched", .merge(["metadata": ["labels": ["b": "2"]], "data": ["drop": nil, "new": "value"]]))
            #expect(patched.metadata.labels == ["a": "1", "b": "2"])
            #expect(patched.data == ["keep": "yes", "new": "value"])
            #expect(try await configMaps.get("patched") == patched)
        }
    }

    @Test
    func jsonPatchStrategicMergeAndServerSideApply() async throws {
        try await Cluster.run { cluster in
            let deployments = Api<Deployment>.namespaced(cluster.admin, "default")
            _ = try await deployments.create(deployment("web", replicas: 1))

            // JSON Patch, with a failing `test` that leaves the object alone.
            let jsonPatched = try await deployments.patch("web", .json([.test("/spec/replicas", 1), .replace("/spec/replicas", 2)]))
            #expect(jsonPatched.spec?.replicas == 2)
            let failed = await #expect(throws: KubeError.self) {
                _ = try await deployments.patch("web", .json([.test("/spec/replicas", 7), .replace("/spec/replicas", 9)]))
            }
            #expect(failed?.statusCode == 422)
            #expect(try await deployments.get("web").spec?.replicas == 2)

            // Strategic merge: containers merge by name instead of replacing the list.
            let strategic = try await deployments.patch(
                "web", .strategic(["spec": ["template": ["spec": ["containers": [["name": "sidecar", "image": "busybox:1.36"]]]]]]))
            #expect(strategic.spec?.template.spec?.containers.map(\.name).sorted() == ["sidecar", "web"])

            // Server-side apply: the creator (manager "swift-kubernetes", from the user agent) owns
            // spec.replicas, so a new applier conflicts unless it forces; then it owns the field.
            let unforced = await #expect(throws: KubeError.self) {
                _ = try await deployments.patch(
                    "web", .apply(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"], "spec": ["replicas": 4]]),
                    options: PatchOptions(fieldManager: "scaler"))
            }
            #expect(unforced?.isConflict == true)
            #expect(unforced?.message.contains(".spec.replicas") == true)
            let applied = try await deployments.patch(
                "web", .apply(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"], "spec": ["replicas": 4]]),
                options: PatchOptions(fieldManager: "scaler", force: true))
            #expect(applied.spec?.replicas == 4)
            #expect(applied.metadata.managedFields?.contains { $0.manager == "scaler" && $0.operation == "Apply" } == true)
            let conflict = await #expect(throws: KubeError.self) {
                _ = try await deployments.patch(
                    "web", .apply(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"], "spec": ["replicas": 5]]),
                    options: PatchOptions(fieldManager: "other"))
            }
            #expect(conflict?.isConflict == true)
            let forced = try await deployments.patch(
                "web", .apply(["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"], "spec": ["replicas": 5]]),
                options: PatchOptions(fieldManager: "other", force: true))
            #expect(forced.spec?.replicas == 5)
        }
    }

    @Test func dryRunPersistsNothing() async throws {
        try await Cluster.run { cluster in
            let configMaps = Api<ConfigMap>.namespaced(cluster.admin, "default")
            let before = await cluster.server.currentResourceVersion
            let preview = try await configMaps.create(configMap("draft", data: ["k": "v"]), options: WriteOptions(dryRun: true))
            #expect(preview.metadata.name == "draft")
            #expect(preview.data == ["k": "v"])
            #expect(try await configMaps.getIfExists("draft") == nil)
            #expect(await cluster.server.currentResourceVersion == before)

            let real = try await configMaps.create(configMap("draft", data: ["k": "v"]))
            var changed = real
            changed.data = ["k": "changed"]
            #expect(try await configMaps.replace("draft", changed, options: WriteOptions(dryRun: true)).data == ["k": "changed"])
            _ = try await configMaps.patch("draft", .merge(["data": ["k": "patched"]]), options: PatchOptions(dryRun: true))
            _ = try await configMaps.delete("draft", options: DeleteOptions(dryRun: true))
            #expect(try await configMaps.get("draft") == real)
        }
    }

    @Test func statusSubresourceSeparatesSpecAndStatus() async throws {
        try await Cluster.run { cluster in
            let deployments = Api<Deployment>.namespaced(cluster.admin, "default")
            var initial = deployment("web", replicas: 2)
            initial.status = Apps.V1.DeploymentStatus(readyReplicas: 9)
            let created = try await deployments.create(initial)
            #expect(created.status?.readyReplicas == nil, "status on create is dropped")
            #expect(created.metadata.generation == 1)

            // A status write changes the status only.
            var statusWrite = created
            statusWrite.status = Apps.V1.DeploymentStatus(observedGeneration: 1, readyReplicas: 2, replicas: 2)
            statusWrite.spec?.replicas = 7
            let afterStatus = try await deployments.replaceStatus("web", statusWrite)
            #expect(afterStatus.status?.readyReplicas == 2)
            #expect(afterStatus.spec?.replicas == 2)
            #expect(afterStatus.metadata.generation == 1)
            #expect(try await deployments.getStatus("web").status?.replicas == 2)

            let patchedStatus = try await deployments.patchStatus("web", .merge(["status": ["availableReplicas": 2]]))
            #expect(patchedStatus.status?.availableReplicas == 2)
            #expect(patchedStatus.status?.readyReplicas == 2)

            // A main-resource write changes the spec only, and bumps the generation.
            var specWrite = patchedStatus
            specWrite.spec?.replicas = 3
            specWrite.status = nil
            let afterSpec = try await deployments.replace("web", specWrite)
            #expect(afterSpec.spec?.replicas == 3)
            #expect(afterSpec.status?.readyReplicas == 2)
            #expect(afterSpec.metadata.generation == 2)
        }
    }

    @Test func scaleSubresource() async throws {
        try await Cluster.run { cluster in
            let deployments = Api<Deployment>.namespaced(cluster.admin, "default")
            _ = try await deployments.create(deployment("web", replicas: 2))
            let scale = try await deployments.getScale("web")
            #expect(scale.spec?.replicas == 2)
            #expect(scale.metadata.name == "web")
            #expect(scale.status?.selector == "app=web")

            var bigger = scale
            bigger.spec = Autoscaling.V1.ScaleSpec(replicas: 5)
            #expect(try await deployments.replaceScale("web", bigger).spec?.replicas == 5)
            #expect(try await deployments.get("web").spec?.replicas == 5)

            #expect(try await deployments.patchScale("web", .merge(["spec": ["replicas": 1]])).spec?.replicas == 1)
            #expect(try await deployments.get("web").spec?.replicas == 1)
        }
    }

    @Test func podLogs() async throws {
        try await Cluster.run { cluster in
            // No kubelet: the server answers a Running pod's log from the `kube-test-server/logs` annotation.
            let seeded: JSONValue = [
                "apiVersion": "v1", "kind": "Pod",
                "metadata": ["name": "worker", "namespace": "default", "annotations": ["kube-test-server/logs": "one\ntwo\nthree\n"]],
                "spec": ["containers": [["name": "main", "image": "busybox:1.36"]]],
                "status": ["phase": "Running"],
            ]
            try await cluster.server.apply(json: try JSONEncoder().encode(seeded))
            let pods = Api<Pod>.namespaced(cluster.admin, "default")
            #expect(try await pods.logs("worker") == "one\ntwo\nthree\n")
            #expect(try await pods.logs("worker", options: LogOptions(tailLines: 2)) == "two\nthree\n")
            var lines: [String] = []
            for try await line in try pods.logLines("worker") { lines.append(line) }
            #expect(lines == ["one", "two", "three"])

            _ = try await pods.create(Pod(metadata: ObjectMeta(name: "pending"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "busybox", name: "main")])))
            let waiting = await #expect(throws: KubeError.self) { _ = try await pods.logs("pending") }
            #expect(waiting?.statusCode == 400)
            #expect(waiting?.message.contains("waiting to start") == true)
        }
    }

    @Test func versionAndHTTP2() async throws {
        try await Cluster.run { cluster in
            let version = try await cluster.admin.version()
            #expect(version.major == "1")
            #expect(version.gitVersion.hasPrefix("v1."))
            // The server offers h2 over ALPN and the client takes it.
            let response = try await cluster.admin.send(KubeRequest(method: .get, path: "/version", headers: ["Accept": "application/json"], verb: "get"))
            #expect(response.httpVersion == "HTTP/2.0")
            #expect(response.statusCode == 200)
        }
    }

    @Test func clientCertificateKubeconfig() async throws {
        try await Cluster.run { cluster in
            let config = try cluster.adminConfig(clientCertificate: true)
            #expect(config.tls.clientCertificate != nil)
            #expect(config.credentials == .none)
            let client = try cluster.client(config)
            let review = try await Api<SelfSubjectReview>.cluster(client).create(SelfSubjectReview())
            #expect(review.status?.userInfo?.username == "admin")
            #expect(review.status?.userInfo?.groups?.contains("system:masters") == true)
            let configMaps = Api<ConfigMap>.namespaced(client, "default")
            _ = try await configMaps.create(configMap("from-cert"))
            #expect(try await configMaps.get("from-cert").metadata.name == "from-cert")
        }
    }

    @Test func discoveryResolvesKubectlNames() async throws {
        try await Cluster.run { cluster in
            let deploy = try await cluster.admin.resolve("deploy")
            #expect(deploy.group == "apps")
            #expect(deploy.version == "v1")
            #expect(deploy.name == "deployments")
            #expect(deploy.kind == "Deployment")
            #expect(deploy.namespaced)
            #expect(try await cluster.admin.resolve("cm").descriptor == ConfigMap.descriptor)
            #expect(try await cluster.admin.resolve("Lease").descriptor == Lease.descriptor)
            #expect(try await cluster.admin.resolve("deployments.apps").name == "deployments")
            #expect(try await cluster.admin.resolve("ns").namespaced == false)
            let missing = await #expect(throws: KubeError.self) { _ = try await cluster.admin.resolve("flux-capacitors") }
            #expect(missing?.isNotFound == true)

            // A typed object read through the dynamic API keeps every field.
            _ = try await Api<Deployment>.namespaced(cluster.admin, "default").create(deployment("web", replicas: 2))
            let dynamic = try await DynamicApi(cluster.admin, resource: deploy.descriptor, namespace: "default").get("web")
            #expect(dynamic["spec"]?["replicas"] == 2)
            #expect(dynamic.kind == "Deployment")
        }
    }

    @Test func customResourceDefinitionCreatedAtRuntime() async throws {
        try await Cluster.run { cluster in
            let admin = cluster.admin
            // Discovery is cached before the CRD exists: the lookup must refresh once.
            let miss = await #expect(throws: KubeError.self) { _ = try await admin.resolve("widget") }
            #expect(miss?.isNotFound == true)

            let schema = APIExtensions.V1.JSONSchemaProps(type: "object", xKubernetesPreserveUnknownFields: true)
            let crd = CustomResourceDefinition(
                metadata: ObjectMeta(name: "widgets.example.com"),
                spec: APIExtensions.V1.CustomResourceDefinitionSpec(
                    group: "example.com",
                    names: APIExtensions.V1.CustomResourceDefinitionNames(kind: "Widget", plural: "widgets", shortNames: ["wd"], singular: "widget"),
                    scope: "Namespaced",
                    versions: [
                        APIExtensions.V1.CustomResourceDefinitionVersion(
                            name: "v1", schema: APIExtensions.V1.CustomResourceValidation(openAPIV3Schema: schema), served: true, storage: true,
                            subresources: APIExtensions.V1.CustomResourceSubresources(status: [:]))
                    ]))
            let created = try await Api<CustomResourceDefinition>.cluster(admin).create(crd)
            #expect(created.metadata.uid != nil)
            try await waitUntil(10, "the CRD to be Established") {
                try await Api<CustomResourceDefinition>.cluster(admin).get("widgets.example.com").status?.conditions?
                    .contains { $0.type == "Established" && $0.status == "True" } == true
            }

            let info = try await admin.resolve("wd")
            #expect(info.group == "example.com")
            #expect(info.name == "widgets")
            #expect(info.kind == "Widget")
            #expect(info.namespaced)
            #expect(try await admin.resolve("widgets.example.com").name == "widgets")

            let widgets = DynamicApi(admin, resource: info.descriptor, namespace: "default")
            let widget = DynamicObject(metadata: ObjectMeta(name: "w1", labels: ["size": "large"]), fields: ["spec": ["size": 3, "color": "blue"]])
            let made = try await widgets.create(widget)
            #expect(made.apiVersion == "example.com/v1")
            #expect(made.kind == "Widget")
            #expect(made["spec"] == ["size": 3, "color": "blue"])
            #expect(made.metadata.generation == 1)

            let fetched = try await widgets.get("w1")
            #expect(fetched == made)
            let listed = try await widgets.list(ListOptions(labelSelector: try LabelSelector(parsing: "size=large")))
            #expect(listed.items.map(\.metadata.name) == ["w1"])

            var withStatus = fetched
            withStatus.fields["status"] = ["phase": "Ready"]
            let statusWritten = try await widgets.replaceStatus("w1", withStatus)
            #expect(statusWritten["status"]?["phase"] == "Ready")
            let patched = try await widgets.patch("w1", .merge(["spec": ["color": "red"]]))
            #expect(patched["spec"]?["color"] == "red")
            #expect(patched["status"]?["phase"] == "Ready")
            #expect(patched.metadata.generation == 2)

            guard case .deleted = try await widgets.delete("w1") else {
                Issue.record("a widget without finalizers is deleted at once")
                return
            }
            #expect(try await widgets.getIfExists("w1") == nil)
        }
    }
}

func deployment(_ name: String, replicas: Int32) -> Deployment {
    let labels = ["app": name]
    return Deployment(
        metadata: ObjectMeta(name: name, labels: labels),
        spec: Apps.V1.DeploymentSpec(
            replicas: replicas, selector: Meta.V1.LabelSelector(matchLabels: labels),
            template: Core.V1.PodTemplateSpec(
                metadata: ObjectMeta(labels: labels),
                spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:1.27", name: name, ports: [Core.V1.ContainerPort(containerPort: 80)])]))))
}
