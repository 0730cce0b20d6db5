import Foundation
import KubeCore

/// A `metadata.managedFields` entry with its field set parsed.
struct ManagedEntry {
    var manager: String
    var operation: String
    var apiVersion: String?
    var time: String?
    var subresource: String?
    var fields: FieldSet

    init(manager: String, operation: String, apiVersion: String?, time: String?, subresource: String?, fields: FieldSet) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.subresource = subresource
        self.fields = fields
    }

    init?(_ json: JSONValue) {
        guard case .object(let members) = json else { return nil }
        manager = members["manager"]?.stringValue ?? ""
        operation = members["operation"]?.stringValue ?? ""
        apiVersion = members["apiVersion"]?.stringValue
        time = members["time"]?.stringValue
        let sub = members["subresource"]?.stringValue
        subresource = (sub?.isEmpty ?? true) ? nil : sub
        fields = FieldSet(fieldsV1: members["fieldsV1"] ?? .object([:]))
    }

    func isSameManager(_ manager: String, _ operation: String, _ subresource: String?) -> Bool {
        self.manager == manager && self.operation == operation && self.subresource == subresource
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "manager": .string(manager), "operation": .string(operation), "fieldsType": "FieldsV1",
            "fieldsV1": fields.fieldsV1,
        ]
        if let apiVersion { members["apiVersion"] = .string(apiVersion) }
        if let time { members["time"] = .string(time) }
        if let subresource { members["subresource"] = .string(subresource) }
        return .object(members)
    }

    /// kube's `printManager`. It prints the manager identifier, which holds no time, so
    /// an `Update` manager reads `"x" using v1` (never `at <time>`, as recorded from v1.36).
    var display: String {
        var text = quoted(manager)
        if let subresource { text += " with subresource \(quoted(subresource))" }
        if operation == "Update" { text += " using \(apiVersion ?? "")" }
        return text
    }

    static func parseAll(_ value: JSONValue?) -> [ManagedEntry] {
        value?.arrayValue?.compactMap(ManagedEntry.init) ?? []
    }

    /// kube's `sortEncodedManagedFields`: by operation, time, manager, apiVersion, subresource.
    static func sorted(_ entries: [ManagedEntry]) -> [ManagedEntry] {
        func seconds(_ time: String?) -> Double { time.flatMap(RFC3339.parse)?.timeIntervalSince1970 ?? 0 }
        return entries.sorted { p, q in
            if p.operation != q.operation { return p.operation < q.operation }
            let (ps, qs) = (seconds(p.time), seconds(q.time))
            if ps != qs { return ps < qs }
            if p.manager != q.manager { return p.manager < q.manager }
            if (p.apiVersion ?? "") != (q.apiVersion ?? "") { return (p.apiVersion ?? "") < (q.apiVersion ?? "") }
            return (p.subresource ?? "") < (q.subresource ?? "")
        }
    }
}

extension JSONValue {
    /// A copy with `metadata.managedFields` set (or removed for an empty list).
    func withManagedFields(_ entries: [ManagedEntry]) -> JSONValue {
        var object = self
        var metadata = object["metadata"] ?? .object([:])
        if entries.isEmpty {
            if case .object(var members) = metadata {
                members.removeValue(forKey: "managedFields")
                metadata = .object(members)
            }
        } else {
            metadata["managedFields"] = .array(ManagedEntry.sorted(entries).map(\.json))
        }
        object["metadata"] = metadata
        return object
    }
}
