import Foundation
import KubeCore

extension TablePrinter {
    static let pods = TablePrinter(
        columns: [
            .nameColumn,
            .string("Ready", "The aggregate readiness state of this pod for accepting traffic."),
            .string("Status", "The aggregate status of the containers in this pod."),
            .string("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            .ageColumn,
            .string("IP", priority: 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            .string("Node", priority: 1, "NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName. Once this field is set, the kubelet for this node becomes responsible for the lifecycle of this pod. This field should not be used to express a desire for the pod to be scheduled on a specific node. https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/#nodename"),
            .string("Nominated Node", priority: 1, "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled."),
            .string("Readiness Gates", priority: 1, "If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to \"True\" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates"),
        ],
        cells: podCells)

    /// printers.go `printPod`.
    @Sendable static func podCells(_ pod: JSONValue, _ now: Date) -> [JSONValue] {
        let spec = pod["spec"]
        let status = pod["status"]
        var reason = status?["phase"]?.stringValue ?? ""
        if let podReason = status?["reason"]?.stringValue, !podReason.isEmpty { reason = podReason }
        for condition in status?["conditions"]?.arrayValue ?? []
        where condition["type"] == "PodScheduled" && condition["reason"] == "SchedulingGated" {
            reason = "SchedulingGated"
        }
        var restarts: Int64 = 0
        var lastRestart: Date?
        func noteRestart(_ container: JSONValue) {
            restarts += int(container["restartCount"])
            if let text = container["lastState"]?["terminated"]?["finishedAt"]?.stringValue,
                let date = RFC3339.parse(text), lastRestart.map({ $0 < date }) ?? true
            {
                lastRestart = date
            }
        }
        let initContainers = spec?["initContainers"]?.arrayValue ?? []
        var initializing = false
        for (index, container) in (status?["initContainerStatuses"]?.arrayValue ?? []).enumerated() {
            noteRestart(container)
            let state = container["state"]
            if let terminated = state?["terminated"], int(terminated["exitCode"]) == 0 { continue }
            if let terminated = state?["terminated"] {
                if let why = terminated["reason"]?.stringValue, !why.isEmpty {
                    reason = "Init:" + why
                } else if int(terminated["signal"]) != 0 {
                    reason = "Init:Signal:\(int(terminated["signal"]))"
                } else {
                    reason = "Init:ExitCode:\(int(terminated["exitCode"]))"
                }
            } else if let why = state?["waiting"]?["reason"]?.stringValue, !why.isEmpty, why != "PodInitializing" {
                reason = "Init:" + why
            } else {
                reason = "Init:\(index)/\(initContainers.count)"
            }
            initializing = true
            break
        }
        let containers = spec?["containers"]?.arrayValue ?? []
        var ready = 0
        let initializedCondition = (status?["conditions"]?.arrayValue ?? []).contains {
            $0["type"] == "Initialized" && $0["status"] == "True"
        }
        if !initializing || initializedCondition {
            restarts = 0
            lastRestart = nil
            var hasRunning = false
            for container in (status?["containerStatuses"]?.arrayValue ?? []).reversed() {
                noteRestart(container)
                let state = container["state"]
                if let why = state?["waiting"]?["reason"]?.stringValue, !why.isEmpty {
                    reason = why
                } else if let terminated = state?["terminated"] {
                    if let why = terminated["reason"]?.stringValue, !why.isEmpty {
                        reason = why
                    } else if int(terminated["signal"]) != 0 {
                        reason = "Signal:\(int(terminated["signal"]))"
                    } else {
                        reason = "ExitCode:\(int(terminated["exitCode"]))"
                    }
                } else if container["ready"] == true && state?["running"] != nil {
                    hasRunning = true
                    ready += 1
                }
            }
            if reason == "Completed" && hasRunning {
                let podReady = (status?["conditions"]?.arrayValue ?? []).contains {
                    $0["type"] == "Ready" && $0["status"] == "True"
                }
                reason = podReady ? "Running" : "NotReady"
            }
        }
        if pod["metadata"]?["deletionTimestamp"] != nil {
            if status?["reason"] == "NodeLost" {
                reason = "Unknown"
            } else if reason != "Succeeded" && reason != "Failed" {
                reason = "Terminating"
            }
        }
        var restartText = "\(restarts)"
        if restarts != 0, let lastRestart {
            restartText = "\(restarts) (\(humanDuration(now.timeIntervalSince(lastRestart))) ago)"
        }
        let gates = spec?["readinessGates"]?.arrayValue ?? []
        var gatesText = "<none>"
        if !gates.isEmpty {
            let conditions = status?["conditions"]?.arrayValue ?? []
            let trueGates = gates.filter { gate in
                conditions.contains { $0["type"] == gate["conditionType"] && $0["status"] == "True" }
            }.count
            gatesText = "\(trueGates)/\(gates.count)"
        }
        return [
            name(pod), .string("\(ready)/\(containers.count)"), .string(reason), .string(restartText),
            creationAge(pod, now),
            .string(orNone(status?["podIP"]?.stringValue)), .string(orNone(spec?["nodeName"]?.stringValue)),
            .string(orNone(status?["nominatedNodeName"]?.stringValue)), .string(gatesText),
        ]
    }
}
