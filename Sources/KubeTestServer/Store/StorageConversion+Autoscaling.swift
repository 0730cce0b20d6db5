import Foundation
import KubeCore

/// HorizontalPodAutoscalers are stored as `autoscaling/v2` and served through `autoscaling/v1`
/// too, converted like kube's `autoscaling/v1` conversion: a CPU utilization target is
/// `targetCPUUtilizationPercentage`, and what v1 has no field for (other metrics, `behavior`,
/// status conditions and other current metrics) rides in `autoscaling.alpha.kubernetes.io/*`
/// annotations, so a v1 read-modify-write keeps it (recording 050).
///
/// The annotations hold the v2 JSON of those values; kube-apiserver writes the older v1
/// `MetricSpec` shape there, which no recording shows.
extension StorageConversion {
    static let autoscalers = GroupResource(group: "autoscaling", resource: "horizontalpodautoscalers")
    private static let metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"
    private static let behaviorAnnotation = "autoscaling.alpha.kubernetes.io/behavior"
    private static let conditionsAnnotation = "autoscaling.alpha.kubernetes.io/conditions"
    private static let currentMetricsAnnotation = "autoscaling.alpha.kubernetes.io/current-metrics"

    /// The stored object as `version` serves it.
    static func autoscaler(_ object: JSONValue, version: String) -> JSONValue {
        let apiVersion = object["apiVersion"]?.stringValue
        if version == "v1", apiVersion != "autoscaling/v1" { return autoscalerV1(fromV2: object) }
        if version != "v1", apiVersion == "autoscaling/v1" { return autoscalerV2(fromV1: object) }
        return object
    }

    private static func isCPUUtilization(_ metric: JSONValue, target: String) -> Int64? {
        guard metric["type"] == "Resource", metric["resource"]?["name"] == "cpu" else { return nil }
        return metric["resource"]?[target]?["averageUtilization"]?.intValue
    }

    static func autoscalerV1(fromV2 object: JSONValue) -> JSONValue {
        var result = object
        result["apiVersion"] = "autoscaling/v1"
        var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
        var spec: [String: JSONValue] = [:]
        let v2Spec = object["spec"] ?? [:]
        for key in ["scaleTargetRef", "minReplicas", "maxReplicas"] { spec[key] = v2Spec[key] }
        var others: [JSONValue] = []
        for metric in v2Spec["metrics"]?.arrayValue ?? [] {
            if spec["targetCPUUtilizationPercentage"] == nil, let percent = isCPUUtilization(metric, target: "target"),
                metric["resource"]?["target"]?["type"] == "Utilization"
            {
                spec["targetCPUUtilizationPercentage"] = .int(percent)
            } else {
                others.append(metric)
            }
        }
        if !others.isEmpty { annotations[metricsAnnotation] = .string(JSONWriter.string(.array(others))) }
        if let behavior = v2Spec["behavior"], behavior != .null { annotations[behaviorAnnotation] = .string(JSONWriter.string(behavior)) }
        result["spec"] = .object(spec)
        if let v2Status = object["status"] {
            var status: [String: JSONValue] = ["currentReplicas": v2Status["currentReplicas"] ?? 0, "desiredReplicas": v2Status["desiredReplicas"] ?? 0]
            for key in ["observedGeneration", "lastScaleTime"] where v2Status[key] != nil && v2Status[key] != .null { status[key] = v2Status[key] }
            var otherCurrent: [JSONValue] = []
            for metric in v2Status["currentMetrics"]?.arrayValue ?? [] {
                if status["currentCPUUtilizationPercentage"] == nil, let percent = isCPUUtilization(metric, target: "current") {
                    status["currentCPUUtilizationPercentage"] = .int(percent)
                } else {
                    otherCurrent.append(metric)
                }
            }
            if !otherCurrent.isEmpty { annotations[currentMetricsAnnotation] = .string(JSONWriter.string(.array(otherCurrent))) }
            if let conditions = v2Status["conditions"]?.arrayValue, !conditions.isEmpty {
                annotations[conditionsAnnotation] = .string(JSONWriter.string(.array(conditions)))
            }
            result["status"] = .object(status)
        }
        if !annotations.isEmpty { result["metadata"]?["annotations"] = .object(annotations) }
        return result
    }

    static func autoscalerV2(fromV1 object: JSONValue) -> JSONValue {
        var result = object
        result["apiVersion"] = "autoscaling/v2"
        var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
        func taken(_ key: String) -> JSONValue? {
            guard let text = annotations.removeValue(forKey: key)?.stringValue else { return nil }
            return try? JSONWriter.parse(Data(text.utf8))
        }
        let v1Spec = object["spec"] ?? [:]
        var spec: [String: JSONValue] = [:]
        for key in ["scaleTargetRef", "minReplicas", "maxReplicas"] { spec[key] = v1Spec[key] }
        var metrics: [JSONValue] = []
        if let percent = v1Spec["targetCPUUtilizationPercentage"]?.intValue {
            metrics.append(["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": .int(percent)]]])
        }
        metrics += taken(metricsAnnotation)?.arrayValue ?? []
        if !metrics.isEmpty { spec["metrics"] = .array(metrics) }
        if let behavior = taken(behaviorAnnotation) { spec["behavior"] = behavior }
        result["spec"] = .object(spec)
        if let v1Status = object["status"] {
            var status: [String: JSONValue] = ["desiredReplicas": v1Status["desiredReplicas"] ?? 0]
            if let current = v1Status["currentReplicas"], current != 0 { status["currentReplicas"] = current }
            for key in ["observedGeneration", "lastScaleTime"] where v1Status[key] != nil && v1Status[key] != .null { status[key] = v1Status[key] }
            var current: [JSONValue] = []
            if let percent = v1Status["currentCPUUtilizationPercentage"]?.intValue {
                current.append(["type": "Resource", "resource": ["name": "cpu", "current": ["averageUtilization": .int(percent)]]])
            }
            current += taken(currentMetricsAnnotation)?.arrayValue ?? []
            status["currentMetrics"] = current.isEmpty ? .null : .array(current)
            if let conditions = taken(conditionsAnnotation) { status["conditions"] = conditions }
            result["status"] = .object(status)
        }
        if annotations.isEmpty {
            result["metadata"]?["annotations"] = Optional<JSONValue>.none
        } else {
            result["metadata"]?["annotations"] = .object(annotations)
        }
        return result
    }
}
