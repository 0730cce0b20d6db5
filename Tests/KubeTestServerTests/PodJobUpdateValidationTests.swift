import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// What an update may change in a Pod's spec and a Job's, as kube-apiserver v1.36 answers
/// (recorded exchange 036, steps 6, 7, 11 and 12), over TLS.
@Suite("Pod and Job update validation", .timeLimit(.minutes(1)))
struct PodJobUpdateValidationTests {
    let pods = "/api/v1/namespaces/default/pods"
    let jobs = "/apis/batch/v1/namespaces/default/jobs"

    func merge(_ wire: Wire, _ path: String, _ patch: String) async throws -> WireResponse {
        try await wire.request(.PATCH, path, body: Data(patch.utf8), contentType: "application/merge-patch+json")
    }

    func pod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
         "spec": ["containers": [["name": "c", "image": "registry.example/busybox:1.36"]],
                  "tolerations": [["key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"]]]]
    }

    @Test func aPodSpecChangesOnlyWhereKubeAllowsIt() async throws {
        try await withServer { _, wire in
            #expect(try await wire.post(pods, pod("p1")).status == 201)
            let path = pods + "/p1"

            let refused = try await merge(wire, path, #"{"spec":{"restartPolicy":"Never"}}"#)
            #expect(refused.status == 422)
            let message = try #require(refused.statusObject?.message)
            #expect(message.hasPrefix("Pod \"p1\" is invalid: spec: Forbidden: pod updates may not change fields other than \(KindValidation.podUpdatableFields)\n@@ -"))
            #expect(message.contains("\n- \"restartPolicy\": \"Always\",\n+ \"restartPolicy\": \"Never\",\n"))
            let cause = try #require(refused.statusObject?.details?.causes?.first)
            #expect(cause.field == "spec" && cause.reason == "FieldValueForbidden")

            // An image is mutable and bumps generation; labels are not the spec.
            let image = try await wire.request(
                .PATCH, path, body: Data(#"{"spec":{"containers":[{"name":"c","image":"registry.example/busybox:1.37"}]}}"#.utf8),
                contentType: "application/strategic-merge-patch+json")
            #expect(image.status == 200)
            #expect(image.json["metadata"]?["generation"] == 2)
            #expect(try await merge(wire, path, #"{"metadata":{"labels":{"a":"b"}}}"#).status == 200)

            // activeDeadlineSeconds: set, lowered; never raised or removed.
            #expect(try await merge(wire, path, #"{"spec":{"activeDeadlineSeconds":100}}"#).status == 200)
            #expect(try await merge(wire, path, #"{"spec":{"activeDeadlineSeconds":50}}"#).status == 200)
            let raised = try await merge(wire, path, #"{"spec":{"activeDeadlineSeconds":60}}"#)
            #expect(raised.status == 422)
            #expect(raised.statusObject?.message == "Pod \"p1\" is invalid: spec.activeDeadlineSeconds: Invalid value: 60: must be less than or equal to previous value")
            let removed = try await merge(wire, path, #"{"spec":{"activeDeadlineSeconds":null}}"#)
            #expect(removed.statusObject?.details?.causes?.first?.message == "Invalid value: null: must not update from a positive integer to nil value")

            // Tolerations: additions only.
            let current = try await wire.get(path).json
            var tolerations = current["spec"]?["tolerations"]?.arrayValue ?? []
            tolerations.append(["key": "extra", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30])
            let added = try await merge(wire, path, JSONWriter.string(["spec": ["tolerations": .array(tolerations)]]))
            #expect(added.status == 200)
            let dropped = try await merge(wire, path, JSONWriter.string(["spec": ["tolerations": .array(Array(tolerations.dropFirst()))]]))
            #expect(dropped.status == 422)
            #expect(dropped.statusObject?.details?.causes?.first?.message == "Forbidden: existing toleration can not be modified except its tolerationSeconds")

            // Containers may not be added.
            let more = try await merge(wire, path, #"{"spec":{"containers":[{"name":"c","image":"a"},{"name":"d","image":"b"}]}}"#)
            #expect(more.statusObject?.message == "Pod \"p1\" is invalid: spec.containers: Forbidden: pod updates may not add or remove containers")

            // What a client that re-encodes the pod sends back is the same spec: zero values and canonical quantities.
            var resent = try await wire.get(path).json
            resent["spec"]?["hostNetwork"] = false
            var containers = resent["spec"]?["containers"]?.arrayValue ?? []
            containers[0]["stdin"] = false
            resent["spec"]?["containers"] = .array(containers)
            #expect(try await wire.put(path, resent).status == 200)

            // Binding is its own subresource and still assigns the node.
            let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "p1"],
                                      "target": ["apiVersion": "v1", "kind": "Node", "name": "node-1"]]
            #expect(try await wire.post(path + "/binding", binding).status == 201)
            #expect(try await wire.get(path).json["spec"]?["nodeName"] == "node-1")
        }
    }

    func job(_ name: String, suspend: Bool = false) -> JSONValue {
        ["apiVersion": "batch/v1", "kind": "Job", "metadata": ["name": .string(name)],
         "spec": ["suspend": .bool(suspend), "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "j", "image": "registry.example/job:1"]]]]]]
    }

    @Test func aJobKeepsItsSelectorAndTemplate() async throws {
        try await withServer { _, wire in
            let created = try await wire.post(jobs, job("j"))
            #expect(created.status == 201)
            let uid = try #require(created.json["metadata"]?["uid"]?.stringValue)
            let path = jobs + "/j"

            let selector = try await merge(wire, path, #"{"spec":{"selector":{"matchLabels":{"x":"y"}}}}"#)
            #expect(selector.status == 422)
            let shown = #"{"matchLabels":{"batch.kubernetes.io/controller-uid":"\#(uid)","x":"y"}}"#
            let labels = #"{"batch.kubernetes.io/controller-uid":"\#(uid)","batch.kubernetes.io/job-name":"j","controller-uid":"\#(uid)","job-name":"j"}"#
            let causes = try #require(selector.statusObject?.details?.causes)
            #expect(causes.map(\.field) == ["spec.selector", "spec.template.metadata.labels", "spec.template.metadata.labels", "spec.selector"])
            #expect(causes.map(\.message) == [
                "Invalid value: \(shown): `selector` not auto-generated",
                "Invalid value: \(labels): `selector` does not match template `labels`",
                "Invalid value: \(labels): `selector` does not match template `labels`",
                "Invalid value: \(shown): field is immutable",
            ])
            // The message lists the repeated error once, as Go's aggregate does.
            #expect(selector.statusObject?.message == "Job.batch \"j\" is invalid: [spec.selector: \(causes[0].message ?? ""), spec.template.metadata.labels: \(causes[1].message ?? ""), spec.selector: \(causes[3].message ?? "")]")

            let template = try await wire.request(
                .PATCH, path, body: Data(#"{"spec":{"template":{"spec":{"containers":[{"name":"j","image":"registry.example/job:2"}]}}}}"#.utf8),
                contentType: "application/strategic-merge-patch+json")
            #expect(template.status == 422)
            #expect(template.statusObject?.details?.causes?.map(\.field) == ["spec.template"])
            #expect(template.statusObject?.message?.hasSuffix(": field is immutable") == true)

            // Parallelism is not immutable.
            #expect(try await merge(wire, path, #"{"spec":{"parallelism":2}}"#).status == 200)
        }
    }

    @Test func quantitiesCompareByValueAndAGatedPodMayGainNodeSelectors() async throws {
        try await withServer { _, wire in
            var spec = pod("q")["spec"] ?? [:]
            spec["containers"] = [["name": "c", "image": "registry.example/busybox:1.36", "resources": ["requests": ["cpu": "0.5", "memory": "1024Mi"]]]]
            spec["schedulingGates"] = [["name": "example.com/wait"]]
            #expect(try await wire.post(pods, ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "q"], "spec": spec]).status == 201)
            var resent = try await wire.get(pods + "/q").json
            var resentContainers = resent["spec"]?["containers"]?.arrayValue ?? []
            resentContainers[0]["resources"] = ["requests": ["cpu": "500m", "memory": "1Gi"]]
            resent["spec"]?["containers"] = .array(resentContainers)
            resent["spec"]?["nodeSelector"] = ["zone": "a"]
            #expect(try await wire.put(pods + "/q", resent).status == 200)
            // Additions only: changing the entry is refused.
            let changed = try await merge(wire, pods + "/q", #"{"spec":{"nodeSelector":{"zone":"b"}}}"#)
            #expect(changed.statusObject?.details?.causes?.first?.message == #"Invalid value: {"zone":"b"}: only additions to spec.nodeSelector are allowed (no mutations or deletions)"#)
            // A pod without gates may not.
            #expect(try await merge(wire, pods + "/q", #"{"spec":{"schedulingGates":null}}"#).status == 200)
            #expect(try await merge(wire, pods + "/q", #"{"spec":{"nodeSelector":{"zone":"a","disk":"ssd"}}}"#).status == 422)
        }
    }

    @Test func anIndexedJobIsElastic() async throws {
        try await withServer { _, wire in
            var indexed = job("idx")
            indexed["spec"]?["completionMode"] = "Indexed"
            indexed["spec"]?["completions"] = 4
            indexed["spec"]?["parallelism"] = 4
            #expect(try await wire.post(jobs, indexed).status == 201)
            #expect(try await merge(wire, jobs + "/idx", #"{"spec":{"completions":6,"parallelism":6}}"#).status == 200)
            let alone = try await merge(wire, jobs + "/idx", #"{"spec":{"completions":8}}"#)
            #expect(alone.statusObject?.details?.causes?.map(\.message) == ["Invalid value: 8: can only be modified in tandem with spec.parallelism"])
        }
    }

    @Test func aSuspendedJobThatNeverRanMayMoveItsPods() async throws {
        try await withServer { _, wire in
            #expect(try await wire.post(jobs, job("later", suspend: true)).status == 201)
            let path = jobs + "/later"
            let directives = try await merge(
                wire, path, #"{"spec":{"template":{"metadata":{"labels":{"zone":"b"}},"spec":{"nodeSelector":{"zone":"b"}}}}}"#)
            #expect(directives.status == 200)
            #expect(directives.json["spec"]?["template"]?["spec"]?["nodeSelector"]?["zone"] == "b")
            let image = try await wire.request(
                .PATCH, path, body: Data(#"{"spec":{"template":{"spec":{"containers":[{"name":"j","image":"registry.example/job:2"}]}}}}"#.utf8),
                contentType: "application/strategic-merge-patch+json")
            #expect(image.status == 422)
        }
    }

    @Test func theDiffShowsOnlyTheChangedLinesWithContext() {
        let old = (1...20).map { "line \($0)" }
        var new = old
        new[2] = "changed"
        new.append("added")
        #expect(UnifiedDiff.lines(old: old, new: new) == """
            @@ -1,6 +1,6 @@
             line 1
             line 2
            -line 3
            +changed
             line 4
             line 5
             line 6
            @@ -18,3 +18,4 @@
             line 18
             line 19
             line 20
            +added

            """)
        #expect(UnifiedDiff.lines(old: old, new: old) == "")
        // A huge spec: the common head and tail are not diffed, and a huge middle is replaced whole.
        let big = (1...50_000).map { "line \($0)" }
        var bigNew = big
        bigNew[25_000] = "changed"
        #expect(UnifiedDiff.lines(old: big, new: bigNew).hasPrefix("@@ -24998,7 +24998,7 @@\n line 24998\n"))
        let wholly = UnifiedDiff.lines(old: big, new: big.map { $0 + "!" })
        #expect(wholly.hasPrefix("@@ -1,50000 +1,50000 @@\n-line 1\n"))
        #expect(PrettyJSON.lines(["b": [1, 2], "a": [:], "c": ["d": "e"]]) == [
            "{", " \"a\": {},", " \"b\": [", "  1,", "  2", " ],", " \"c\": {", "  \"d\": \"e\"", " }", "}",
        ])
    }
}
