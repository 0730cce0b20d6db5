import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("Tables for kubectl", .timeLimit(.minutes(3)))
struct TableRendererTests {
    let now = Date(timeIntervalSince1970: 1_704_067_200 + 3600)  // 2024-01-01T01:00:00Z
    let created = "2024-01-01T00:55:00Z"  // five minutes before `now`

    // apimachinery duration_test.go TestHumanDuration, plus the boundaries.
    @Test("HumanDuration", arguments: [
        (1.0, "1s"), (70, "70s"), (190, "3m10s"), (70 * 60, "70m"), (47 * 3600, "47h"), (49 * 3600, "2d1h"),
        ((8 * 24 + 2) * 3600, "8d"), (367 * 24 * 3600, "367d"), ((365 * 2 * 24 + 25) * 3600, "2y1d"),
        ((365 * 8 * 24 + 2) * 3600, "8y"), (0, "0s"), (-1, "0s"), (-2.5, "<invalid>"), (119.9, "119s"), (120, "2m"),
        (600, "10m"), (3 * 3600, "3h"), (5 * 3600 + 3 * 60, "5h3m"), (8 * 3600, "8h"), (2 * 86400 + 3 * 3600, "2d3h"),
    ] as [(Double, String)])
    func humanDurations(seconds: Double, expected: String) {
        #expect(humanDuration(seconds) == expected)
    }

    func cells(_ table: JSONValue) -> [[JSONValue]] {
        (table["rows"]?.arrayValue ?? []).map { $0["cells"]?.arrayValue ?? [] }
    }

    func columnNames(_ table: JSONValue) -> [String] {
        (table["columnDefinitions"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    @Test func podTable() {
        let pods = [
            json(#"""
                {"metadata":{"name":"web-0","namespace":"ns","creationTimestamp":"2024-01-01T00:55:00Z"},
                 "spec":{"nodeName":"node-1","containers":[{"name":"a"},{"name":"b"}]},
                 "status":{"phase":"Running","podIP":"10.0.0.5","containerStatuses":[
                    {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},"lastState":{"terminated":{"finishedAt":"2024-01-01T00:58:00Z"}}},
                    {"name":"b","ready":false,"restartCount":0,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
                """#),
            json(#"{"metadata":{"name":"pending","creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"}}"#),
            json(#"""
                {"metadata":{"name":"init","creationTimestamp":"2024-01-01T00:59:58Z"},"spec":{"initContainers":[{"name":"i1"},{"name":"i2"}],"containers":[{"name":"a"}]},
                 "status":{"phase":"Pending","initContainerStatuses":[{"name":"i1","state":{"terminated":{"exitCode":0}}},{"name":"i2","state":{"running":{}}}]}}
                """#),
            json(#"{"metadata":{"name":"gone","creationTimestamp":"2024-01-01T00:00:00Z","deletionTimestamp":"2024-01-01T00:59:00Z"},"spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"}}"#),
            json(#"{"metadata":{"name":"done"},"spec":{"containers":[{"name":"a"}],"readinessGates":[{"conditionType":"x"}]},"status":{"phase":"Succeeded","containerStatuses":[{"name":"a","state":{"terminated":{"reason":"Completed","exitCode":0}}}]}}"#),
        ]
        let table = TableRenderer.table(resource: "pods", group: "", objects: pods, listMetadata: ["resourceVersion": "42"], now: now)
        #expect(table["kind"] == "Table")
        #expect(table["apiVersion"] == "meta.k8s.io/v1")
        #expect(table["metadata"] == ["resourceVersion": "42"])
        #expect(columnNames(table) == ["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"])
        #expect(table["columnDefinitions"]?.arrayValue?[5]["priority"] == 1)
        #expect(table["columnDefinitions"]?.arrayValue?[0]["format"] == "name")
        let rows = cells(table)
        #expect(rows[0] == ["web-0", "1/2", "CrashLoopBackOff", "2 (2m ago)", "5m", "10.0.0.5", "node-1", "<none>", "<none>"])
        #expect(rows[1] == ["pending", "0/1", "Pending", "0", "60m", "<none>", "<none>", "<none>", "<none>"])
        #expect(rows[2][2] == "Init:1/2")
        #expect(rows[2][4] == "2s")
        #expect(rows[3][2] == "Terminating")
        #expect(rows[4][2] == "Completed")
        #expect(rows[4][4] == "<unknown>")
        #expect(rows[4][8] == "0/1")
        let object = table["rows"]?.arrayValue?[0]["object"]
        #expect(object?["kind"] == "PartialObjectMetadata")
        #expect(object?["metadata"]?["name"] == "web-0")
        #expect(object?["spec"] == nil)
    }

    @Test func includeObject() {
        let pod = json(#"{"metadata":{"name":"p"},"spec":{"containers":[]}}"#)
        let none = TableRenderer.table(resource: "pods", group: "", objects: [pod], includeObject: .none, now: now)
        #expect(none["rows"]?.arrayValue?[0]["object"] == .null)  // an empty RawExtension, as recorded (095)
        let full = TableRenderer.table(resource: "pods", group: "", objects: [pod], includeObject: .object, now: now)
        #expect(full["rows"]?.arrayValue?[0]["object"] == pod)
        #expect(TableRenderer.IncludeObject(rawValue: "Metadata") == .metadata)
    }

    @Test func workloads() {
        let deployment = json(#"""
            {"metadata":{"name":"web","creationTimestamp":"2024-01-01T00:55:00Z"},
             "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web","tier":"fe"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]}]},
                     "template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"},{"name":"log","image":"busybox"}]}}},
             "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2}}
            """#)
        let table = TableRenderer.table(resource: "deployments", group: "apps", objects: [deployment], now: now)
        #expect(columnNames(table) == ["Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"])
        #expect(cells(table)[0] == ["web", "2/3", 3, 2, "5m", "nginx,log", "nginx:1.25,busybox", "app=web,tier=fe,env in (dev,prod)"])

        let job = json(#"{"metadata":{"name":"j"},"spec":{"completions":3,"template":{"spec":{"containers":[]}}},"status":{"succeeded":1,"startTime":"2024-01-01T00:59:00Z"}}"#)
        let jobs = TableRenderer.table(resource: "jobs", group: "batch", objects: [job], now: now)
        #expect(columnNames(jobs) == ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"])
        #expect(Array(cells(jobs)[0].prefix(4)) == ["j", "Running", "1/3", "60s"])

        let cron = json(#"{"metadata":{"name":"c","creationTimestamp":"2024-01-01T00:55:00Z"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"x","image":"y"}]}}}}},"status":{"active":[{"name":"c-1"}],"lastScheduleTime":"2024-01-01T00:59:30Z"}}"#)
        let crons = TableRenderer.table(resource: "cronjobs", group: "batch", objects: [cron], now: now)
        #expect(Array(cells(crons)[0].prefix(7)) == ["c", "*/5 * * * *", "<none>", false, 1, "30s", "5m"])

        let sts = TableRenderer.table(resource: "statefulsets", group: "apps", objects: [json(#"{"metadata":{"name":"db"},"spec":{"replicas":2},"status":{"readyReplicas":1}}"#)], now: now)
        #expect(Array(cells(sts)[0].prefix(2)) == ["db", "1/2"])
        let rs = TableRenderer.table(resource: "replicasets", group: "apps", objects: [json(#"{"metadata":{"name":"rs"},"spec":{"replicas":2},"status":{"replicas":2,"readyReplicas":1}}"#)], now: now)
        #expect(Array(cells(rs)[0].prefix(4)) == ["rs", 2, 2, 1])
        let ds = TableRenderer.table(resource: "daemonsets", group: "apps", objects: [json(#"{"metadata":{"name":"ds"},"spec":{"template":{"spec":{"nodeSelector":{"os":"linux"}}}},"status":{"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,"updatedNumberScheduled":3,"numberAvailable":2}}"#)], now: now)
        #expect(Array(cells(ds)[0].prefix(7)) == ["ds", 3, 3, 2, 3, 2, "os=linux"])
    }

    @Test func coreResources() {
        let service = json(#"{"metadata":{"name":"kubernetes","creationTimestamp":"2024-01-01T00:55:00Z"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","ports":[{"port":443,"protocol":"TCP"}]}}"#)
        let nodePort = json(#"{"metadata":{"name":"np"},"spec":{"type":"NodePort","clusterIP":"10.96.0.2","selector":{"app":"x"},"ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"protocol":"UDP"}]}}"#)
        let lb = json(#"{"metadata":{"name":"lb"},"spec":{"type":"LoadBalancer","clusterIP":"10.96.0.3","ports":[]}}"#)
        let services = cells(TableRenderer.table(resource: "services", group: "", objects: [service, nodePort, lb], now: now))
        #expect(services[0] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "5m", "<none>"])
        #expect(services[1] == ["np", "NodePort", "10.96.0.2", "<none>", "80:30080/TCP,53/UDP", "<unknown>", "app=x"])
        #expect(services[2][3] == "<pending>")
        #expect(services[2][4] == "<none>")

        let cm = cells(TableRenderer.table(resource: "configmaps", group: "", objects: [json(#"{"metadata":{"name":"cm","creationTimestamp":"2024-01-01T00:55:00Z"},"data":{"a":"1","b":"2"},"binaryData":{"c":"AA=="}}"#)], now: now))
        #expect(cm[0] == ["cm", 3, "5m"])
        let secret = cells(TableRenderer.table(resource: "secrets", group: "", objects: [json(#"{"metadata":{"name":"s"},"type":"Opaque","data":{"k":"dg=="}}"#)], now: now))
        #expect(secret[0] == ["s", "Opaque", 1, "<unknown>"])
        let ns = cells(TableRenderer.table(resource: "namespaces", group: "", objects: [json(#"{"metadata":{"name":"default"},"status":{"phase":"Active"}}"#)], now: now))
        #expect(ns[0] == ["default", "Active", "<unknown>"])
        let sa = cells(TableRenderer.table(resource: "serviceaccounts", group: "", objects: [json(#"{"metadata":{"name":"default"}}"#)], now: now))
        #expect(sa[0] == ["default", "<unknown>"])  // v1.36 has no Secrets column (097)
        let node = cells(TableRenderer.table(resource: "nodes", group: "", objects: [json(#"{"metadata":{"name":"n1","labels":{"node-role.kubernetes.io/control-plane":""}},"spec":{"unschedulable":true},"status":{"conditions":[{"type":"Ready","status":"True"}],"nodeInfo":{"kubeletVersion":"v1.30.0"},"addresses":[{"type":"InternalIP","address":"192.168.1.2"}]}}"#)], now: now))
        #expect(Array(node[0].prefix(6)) == ["n1", "Ready,SchedulingDisabled", "control-plane", "<unknown>", "v1.30.0", "192.168.1.2"])
        let lease = cells(TableRenderer.table(resource: "leases", group: "coordination.k8s.io", objects: [json(#"{"metadata":{"name":"l"},"spec":{"holderIdentity":"pod-1"}}"#)], now: now))
        #expect(lease[0] == ["l", "pod-1", "<unknown>"])
    }

    @Test func endpointsEventsAndRBAC() {
        let endpoints = json(#"{"metadata":{"name":"e"},"subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},{"ip":"fd00::1"}],"ports":[{"port":443},{"port":80}]}]}"#)
        #expect(cells(TableRenderer.table(resource: "endpoints", group: "", objects: [endpoints], now: now))[0][1]
            == "10.0.0.1:443,10.0.0.2:443,[fd00::1]:443 + 3 more...")
        #expect(cells(TableRenderer.table(resource: "endpoints", group: "", objects: [json(#"{"metadata":{"name":"e"}}"#)], now: now))[0][1] == "<none>")
        let slice = json(#"{"metadata":{"name":"s"},"addressType":"IPv4","ports":[{"port":443}],"endpoints":[{"addresses":["10.0.0.1"]}]}"#)
        #expect(Array(cells(TableRenderer.table(resource: "endpointslices", group: "discovery.k8s.io", objects: [slice], now: now))[0].prefix(4))
            == ["s", "IPv4", "443", "10.0.0.1"])
        let event = json(#"""
            {"metadata":{"name":"p.1"},"type":"Warning","reason":"BackOff","message":"Back-off restarting\n","count":4,
             "involvedObject":{"kind":"Pod","name":"web-0","fieldPath":"spec.containers{a}"},"source":{"component":"kubelet","host":"n1"},
             "firstTimestamp":"2024-01-01T00:50:00Z","lastTimestamp":"2024-01-01T00:59:00Z"}
            """#)
        let events = TableRenderer.table(resource: "events", group: "", objects: [event], now: now)
        #expect(columnNames(events) == ["Last Seen", "Type", "Reason", "Object", "Subobject", "Source", "Message", "First Seen", "Count", "Name"])
        #expect(cells(events)[0] == ["60s", "Warning", "BackOff", "pod/web-0", "spec.containers{a}", "kubelet, n1", "Back-off restarting", "10m", 4, "p.1"])
        let role = cells(TableRenderer.table(resource: "clusterroles", group: "rbac.authorization.k8s.io", objects: [json(#"{"metadata":{"name":"view","creationTimestamp":"2024-01-01T00:00:00Z"}}"#)], now: now))
        #expect(role[0] == ["view", "2024-01-01T00:00:00Z"])
        let binding = cells(TableRenderer.table(resource: "rolebindings", group: "rbac.authorization.k8s.io", objects: [json(#"{"metadata":{"name":"b"},"roleRef":{"kind":"ClusterRole","name":"view"},"subjects":[{"kind":"ServiceAccount","name":"sa","namespace":"ns"},{"kind":"User","name":"u1"},{"kind":"User","name":"u2"}]}"#)], now: now))
        #expect(binding[0] == ["b", "ClusterRole/view", "<unknown>", "u1, u2", "", "ns/sa"])
    }

    @Test func defaultColumnsForEverythingElse() {
        let widget = json(#"{"apiVersion":"example.com/v1","kind":"Widget","metadata":{"name":"w","creationTimestamp":"2024-01-01T00:55:00Z"}}"#)
        let table = TableRenderer.table(resource: "widgets", group: "example.com", objects: [widget], now: now)
        #expect(columnNames(table) == ["Name", "Age"])
        #expect(cells(table)[0] == ["w", "5m"])
        #expect(!TableRenderer.hasPrinter(resource: "widgets", group: "example.com"))
        #expect(TableRenderer.hasPrinter(resource: "pods", group: ""))
        // Garbage objects do not crash the printers.
        for (resource, group) in [("pods", ""), ("services", ""), ("deployments", "apps"), ("events", ""), ("nodes", ""),
                                  ("jobs", "batch"), ("cronjobs", "batch"), ("endpoints", "")] {
            let odd = TableRenderer.table(resource: resource, group: group, objects: [json("{}"), json(#"{"spec":7,"status":"x"}"#)], now: now)
            #expect(cells(odd).count == 2)
            #expect(cells(odd)[0].count == columnNames(odd).count)
        }
    }
}

@Suite("Tables for custom resources", .timeLimit(.minutes(3)))
struct CustomResourceTableTests {
    let now = Date(timeIntervalSince1970: 1_704_067_200 + 3600)

    @Test func additionalPrinterColumns() {
        let columns = [
            json(#"{"name":"Replicas","type":"integer","jsonPath":".spec.replicas"}"#),
            json(#"{"name":"Phase","type":"string","jsonPath":".status.conditions[0].type","description":"the phase"}"#),
            json(#"{"name":"Ready","type":"boolean","jsonPath":".status.ready","priority":1}"#),
            json(#"{"name":"Size","type":"number","jsonPath":".spec.size"}"#),
            json(#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#),
            json(#"{"name":"Weird","type":"string","jsonPath":".spec.items[*].name"}"#),
        ]
        let widget = json(#"{"metadata":{"name":"w","creationTimestamp":"2024-01-01T00:00:00Z"},"spec":{"replicas":3.0,"size":2},"status":{"conditions":[{"type":"Ready"}],"ready":true}}"#)
        let empty = json(#"{"metadata":{"name":"e"}}"#)
        let table = TableRenderer.table(objects: [widget, empty], printerColumns: columns, now: now)
        let names = (table["columnDefinitions"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(names == ["Name", "Replicas", "Phase", "Ready", "Size", "Age", "Weird"])
        #expect(table["columnDefinitions"]?.arrayValue?[3]["priority"] == 1)
        #expect(table["columnDefinitions"]?.arrayValue?[2]["description"] == "the phase")
        let rows = (table["rows"]?.arrayValue ?? []).map { $0["cells"]?.arrayValue ?? [] }
        #expect(rows[0] == ["w", 3, "Ready", true, 2.0, "60m", nil])
        #expect(rows[1] == ["e", nil, nil, nil, nil, nil, nil])
        #expect(TableRenderer.table(objects: [widget], printerColumns: [], now: now)["columnDefinitions"]?.arrayValue?.count == 2)
    }

    @Test func simplePaths() {
        #expect(TableRenderer.parseSimplePath(".a.b[2].c") == [.field("a"), .field("b"), .index(2), .field("c")])
        #expect(TableRenderer.parseSimplePath("{.a}") == [.field("a")])
        #expect(TableRenderer.parseSimplePath("a.b") == nil)
        #expect(TableRenderer.parseSimplePath(".a[x]") == nil)
        #expect(TableRenderer.parseSimplePath(".a..b") == nil)
    }
}
