import KubeCore

extension StructuralSchema {
    /// apiextensions-apiserver's pruning: drops every member the schema does not specify
    /// (unless `x-kubernetes-preserve-unknown-fields` keeps it), and `null` where the schema
    /// is not `nullable`. Returns the pruned object and the paths of the unknown fields,
    /// sorted (the `unknown field "spec.x"` warnings; `Strict` rejects them). At the root,
    /// `apiVersion`, `kind` and `metadata` are always kept.
    public func prune(_ object: JSONValue) -> (object: JSONValue, unknownFields: [String]) {
        var unknown: [String] = []
        guard case .object(var members) = object else { return (object, []) }
        for (name, value) in members where !["apiVersion", "kind", "metadata"].contains(name) {
            if let schema = properties[name] {
                members[name] = schema.pruned(value, path: name, unknown: &unknown)
            } else if !keepsUnknownMembers {
                members[name] = nil
                unknown.append(name)
            }
        }
        return (.object(members), unknown.sorted())
    }

    private func pruned(_ value: JSONValue, path: String, unknown: inout [String]) -> JSONValue {
        if embeddedResource { return value }
        switch value {
        case .object(var members):
            for (name, memberValue) in members {
                if let schema = self.member(name) {
                    members[name] = schema.pruned(memberValue, path: "\(path).\(name)", unknown: &unknown)
                } else if !keepsUnknownMembers {
                    members[name] = nil
                    unknown.append("\(path).\(name)")
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.enumerated().map { items.pruned($1, path: "\(path)[\($0)]", unknown: &unknown) })
        default:
            return value
        }
    }

    /// Structural defaulting: every specified property that is absent (or `null` where
    /// the schema is not `nullable`) gets a deep copy of its `default`, then its members
    /// are defaulted in turn (map values and list items too). Applied on create, on
    /// update and on read, as kube-apiserver does.
    public func applyDefaults(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(var members):
            for (name, schema) in properties {
                if members[name] == nil || (members[name] == .null && !schema.nullable) {
                    if let defaultValue = schema.defaultValue {
                        members[name] = defaultValue
                    } else if members[name] == .null {
                        members[name] = nil
                    }
                }
                if let member = members[name] { members[name] = schema.applyDefaults(member) }
            }
            if let additionalProperties {
                for (name, member) in members where properties[name] == nil {
                    members[name] = additionalProperties.applyDefaults(member)
                }
            }
            return .object(members)
        case .array(let elements):
            guard let items else { return value }
            return .array(elements.map { items.applyDefaults($0) })
        default:
            return value
        }
    }
}
