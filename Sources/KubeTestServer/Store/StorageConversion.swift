import Foundation
import KubeCore

/// Resources served by one storage under two API groups, converted field by field like
/// kube-apiserver's conversion through the internal type. Today: core/v1 Events and
/// `events.k8s.io/v1` Events (stored in the core form, as in kube's etcd), and
/// HorizontalPodAutoscalers of `autoscaling/v1` and `v2` (stored as v2).
enum StorageConversion {
    static let coreEvents = GroupResource(group: "", resource: "events")

    /// An object as `resource` serves it, from the stored form (or already in that form).
    static func toServed(_ object: JSONValue, resource: ServedResource) -> JSONValue {
        if resource.groupResource == autoscalers { return autoscaler(object, version: resource.version) }
        guard resource.storageResource == coreEvents else { return object }
        return resource.group.isEmpty ? coreEvent(object) : eventsV1(coreEvent(object))
    }

    /// An object written through `resource`, in the stored form.
    static func toStorage(_ object: JSONValue, resource: ServedResource) -> JSONValue {
        if resource.groupResource == autoscalers { return autoscaler(object, version: "v2") }
        guard resource.storageResource == coreEvents else { return object }
        return coreFromEventsV1(object)
    }

    /// An `events.k8s.io/v1` Event in the core form (anything else unchanged).
    private static func coreFromEventsV1(_ object: JSONValue) -> JSONValue {
        guard object["apiVersion"]?.stringValue == "events.k8s.io/v1", let members = object.objectValue else { return object }
        var core: [String: JSONValue] = ["apiVersion": "v1", "kind": "Event"]
        let renames = [
            "regarding": "involvedObject", "note": "message", "deprecatedSource": "source",
            "deprecatedFirstTimestamp": "firstTimestamp", "deprecatedLastTimestamp": "lastTimestamp", "deprecatedCount": "count",
            "reportingController": "reportingComponent",
        ]
        for (key, value) in members where key != "apiVersion" && key != "kind" {
            core[renames[key] ?? key] = value
        }
        return .object(core)
    }

    /// The core/v1 Event as kube encodes it: `involvedObject` and `source` always present,
    /// unset times as `null`, `reportingComponent`/`reportingInstance` as `""`.
    private static func coreEvent(_ object: JSONValue) -> JSONValue {
        var event = coreFromEventsV1(object)
        for (key, empty) in [("involvedObject", JSONValue.object([:])), ("source", [:]), ("firstTimestamp", .null),
                             ("lastTimestamp", .null), ("eventTime", .null), ("reportingComponent", ""), ("reportingInstance", "")]
            where event[key] == nil
        {
            event[key] = empty
        }
        for key in ["reason", "message", "type", "action"] where event[key] == "" { event[key] = nil }
        if event["count"] == 0 { event["count"] = nil }
        return event
    }

    /// The `events.k8s.io/v1` form of a (normalized) core Event.
    private static func eventsV1(_ core: JSONValue) -> JSONValue {
        var event: [String: JSONValue] = [
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": core["metadata"] ?? [:],
            "eventTime": core["eventTime"] ?? .null,
            "regarding": core["involvedObject"] ?? [:],
            "deprecatedSource": core["source"] ?? [:],
            "deprecatedFirstTimestamp": core["firstTimestamp"] ?? .null,
            "deprecatedLastTimestamp": core["lastTimestamp"] ?? .null,
        ]
        let renames = [
            "series": "series", "reportingComponent": "reportingController", "reportingInstance": "reportingInstance",
            "action": "action", "reason": "reason", "related": "related", "message": "note", "type": "type", "count": "deprecatedCount",
        ]
        for (from, to) in renames {
            guard let value = core[from], value != .null, value != "", value != 0 else { continue }
            event[to] = value
        }
        return .object(event)
    }

    /// Field selector labels of `events.k8s.io/v1` in terms of the stored core form.
    static let eventsV1FieldLabels: [String: String] = [
        "reason": "reason", "type": "type", "reportingController": "reportingComponent",
        "regarding.kind": "involvedObject.kind", "regarding.namespace": "involvedObject.namespace",
        "regarding.name": "involvedObject.name", "regarding.uid": "involvedObject.uid",
        "regarding.apiVersion": "involvedObject.apiVersion", "regarding.resourceVersion": "involvedObject.resourceVersion",
        "regarding.fieldPath": "involvedObject.fieldPath",
        "metadata.name": "metadata.name", "metadata.namespace": "metadata.namespace",
    ]
}

extension ServedResource {
    /// Where the objects live: `events.k8s.io` Events share the core Events' storage.
    var storageResource: GroupResource {
        group == "events.k8s.io" && plural == "events" ? StorageConversion.coreEvents : groupResource
    }
}
