import KubeCore

/// How server-side apply treats a list, from `x-kubernetes-list-type` (falling back to the
/// strategic merge patch strategy, as kube's OpenAPI conversion does).
enum ListKind: Equatable {
    case atomic
    case set
    case associative([String])

    init(_ field: FieldSchema?, items: [JSONValue]) {
        let allScalars = items.allSatisfy { if case .object = $0 { false } else { true } }
        switch field?.listType {
        case "atomic": self = .atomic
        case "set": self = allScalars ? .set : .atomic
        case "map" where !(field?.listMapKeys.isEmpty ?? true): self = .associative(field!.listMapKeys)
        default:
            if field.patchStrategies.merge, let key = field?.patchMergeKey {
                self = .associative([key])
            } else if field.patchStrategies.merge && allScalars {
                self = .set
            } else {
                self = .atomic
            }
        }
        if case .associative = self, !items.allSatisfy({ if case .object = $0 { true } else { false } }) {
            self = .atomic
        }
    }

    /// The `k:` element of an associative list item (only the key fields it has).
    func keyElement(of item: JSONValue) -> PathElement? {
        guard case .associative(let keys) = self, case .object(let members) = item else { return nil }
        var selected: [String: JSONValue] = [:]
        for key in keys {
            if let value = members[key] { selected[key] = value }
        }
        return .key(selected)
    }
}

/// The fields server-side apply never tracks (structured-merge-diff's strip set in kube).
let strippedPaths: [FieldPath] = [
    [.field("apiVersion")], [.field("kind")],
    [.field("metadata"), .field("name")], [.field("metadata"), .field("namespace")],
    [.field("metadata"), .field("creationTimestamp")], [.field("metadata"), .field("selfLink")],
    [.field("metadata"), .field("uid")], [.field("metadata"), .field("clusterName")],
    [.field("metadata"), .field("generation")], [.field("metadata"), .field("managedFields")],
    [.field("metadata"), .field("resourceVersion")],
]

struct ObjectFields {
    let schema: PatchSchema

    /// Every field path `object` sets: leaves, plus the items of associative lists and sets.
    ///
    /// `includingMaps`: also list every non-empty map (and, without a schema, every
    /// object) as a member of its own, as kube's diff of two objects does for `Update`
    /// managers (`"f:data": {".": {}, "f:a": {}}`); an applied configuration's set has
    /// only the leaves and list items.
    func fieldSet(of object: JSONValue, context: SchemaContext, includingMaps: Bool = false) -> FieldSet {
        var paths: Set<FieldPath> = []
        collectMembers(object.objectValue ?? [:], context, [], &paths, includingMaps: includingMaps)
        var set = FieldSet(paths: paths)
        set.removeSubtrees(Set(strippedPaths))
        set.paths.remove([.field("metadata")])
        return set
    }

    private func collectMembers(
        _ members: [String: JSONValue], _ context: SchemaContext, _ prefix: FieldPath, _ paths: inout Set<FieldPath>,
        includingMaps: Bool
    ) {
        for (name, value) in members where value != .null {
            let field = context.field(name, in: schema)
            collect(value, field, context: field.objectContext, prefix + [.field(name)], &paths, includingMaps: includingMaps)
        }
    }

    private func collect(
        _ value: JSONValue, _ field: FieldSchema?, context: SchemaContext, _ path: FieldPath, _ paths: inout Set<FieldPath>,
        includingMaps: Bool
    ) {
        switch value {
        case .object(let members) where !members.isEmpty:
            if field?.atomic == true {
                paths.insert(path)
                return
            }
            // Every node: kube's diff of two objects lists a node that was added (`"."`);
            // the update path takes out those a zero object already has.
            if includingMaps { paths.insert(path) }
            collectMembers(members, context, path, &paths, includingMaps: includingMaps)
        case .object where includingMaps && field?.shape == .object(type: Self.objectMetaType):
            // An empty nested ObjectMeta (a template's): kube's carries `creationTimestamp: null`, no leaf.
            break
        case .array(let items) where !items.isEmpty:
            let kind = ListKind(field, items: items)
            switch kind {
            case .atomic:
                paths.insert(path)
            case .set:
                if includingMaps { paths.insert(path) }
                for item in items { paths.insert(path + [.value(item)]) }
            case .associative:
                if includingMaps { paths.insert(path) }
                for item in items {
                    guard let element = kind.keyElement(of: item), case .object(let members) = item else { continue }
                    paths.insert(path + [element])
                    collectMembers(members, field.elementContext, path + [element], &paths, includingMaps: includingMaps)
                }
            }
        default:
            paths.insert(path)
        }
    }

    static let objectMetaType = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

    /// The schema of the field at `path` when that field exists in the Go zero value of the
    /// root type (every step a field of a typed object that is a value struct or serialized
    /// without `omitempty`); `nil` when a zero object does not have it.
    func zeroValueField(_ path: FieldPath, context root: SchemaContext) -> FieldSchema? {
        var context = root
        var last: FieldSchema?
        for element in path {
            guard case .field(let name) = element, case .type = context,
                let field = context.field(name, in: schema), field.inZeroValue
            else { return nil }
            last = field
            context = Optional(field).objectContext
        }
        return last
    }

    /// What a create's "old" object, the zero value of the type, has of `newSet`: the nodes it
    /// has, and as leaves the value structs whose members are all empty or untracked (`{}`
    /// before and after). An atomic object is a value: only `{}` equals its zero value.
    func zeroValueSet(of newSet: FieldSet, in object: JSONValue, context: SchemaContext) -> FieldSet {
        let nodes = newSet.properPrefixes
        var zero = FieldSet()
        for path in newSet.paths {
            guard let field = zeroValueField(path, context: context) else { continue }
            let value = value(at: path, in: object)
            if nodes.contains(path) || value == .object([:]) {
                zero.paths.insert(path)
            } else if case .object? = value, case .object = field.shape, !field.atomic {
                zero.paths.insert(path)
            }
        }
        return zero
    }

    /// The value at `path` in `root`, or `nil` when absent.
    func value(at path: FieldPath, in root: JSONValue) -> JSONValue? {
        var current = root
        for element in path {
            switch (element, current) {
            case (.field(let name), .object(let members)):
                guard let next = members[name] else { return nil }
                current = next
            case (.key(let keys), .array(let items)):
                guard let item = items.first(where: { matches($0, keys) }) else { return nil }
                current = item
            case (.value(let value), .array(let items)):
                guard let item = items.first(where: { jsonEqual($0, value) }) else { return nil }
                current = item
            case (.index(let index), .array(let items)):
                guard index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Removes the value at `path` from `root` (no-op when absent).
    func remove(_ path: FieldPath, from root: inout JSONValue) {
        guard let first = path.first else { return }
        let rest = Array(path.dropFirst())
        switch (first, root) {
        case (.field(let name), .object(var members)):
            if rest.isEmpty {
                members.removeValue(forKey: name)
            } else if var child = members[name] {
                remove(rest, from: &child)
                members[name] = child
            }
            root = .object(members)
        case (.key(let keys), .array(var items)):
            if rest.isEmpty {
                items.removeAll { matches($0, keys) }
            } else if let index = items.firstIndex(where: { matches($0, keys) }) {
                remove(rest, from: &items[index])
            }
            root = .array(items)
        case (.value(let value), .array(var items)):
            if rest.isEmpty { items.removeAll { jsonEqual($0, value) } }
            root = .array(items)
        case (.index(let index), .array(var items)) where index < items.count:
            if rest.isEmpty {
                items.remove(at: index)
            } else {
                remove(rest, from: &items[index])
            }
            root = .array(items)
        default:
            return
        }
    }

    private func matches(_ item: JSONValue, _ keys: [String: JSONValue]) -> Bool {
        guard case .object(let members) = item else { return false }
        return keys.allSatisfy { key, value in members[key].map { jsonEqual($0, value) } ?? false }
    }

    /// Server-side apply's merge: `applied` wins for what it sets; objects merge member by
    /// member, associative lists item by item (live order kept, new items appended), sets
    /// are a union, atomic lists and scalars are replaced.
    func merge(_ live: JSONValue?, _ applied: JSONValue, _ field: FieldSchema?, context: SchemaContext) -> JSONValue {
        switch (live, applied) {
        case (.object(var result)?, .object(let members)):
            for (name, value) in members where value != .null {
                let child = context.field(name, in: schema)
                result[name] = merge(result[name], value, child, context: child.objectContext)
            }
            return .object(result)
        case (.array(let old)?, .array(let new)):
            let kind = ListKind(field, items: old + new)
            switch kind {
            case .atomic:
                return applied
            case .set:
                var result = old
                for item in new where !result.contains(where: { jsonEqual($0, item) }) { result.append(item) }
                return .array(result)
            case .associative:
                var result = old
                for item in new {
                    guard case .key(let keys)? = kind.keyElement(of: item) else { continue }
                    if let index = result.firstIndex(where: { matches($0, keys) }) {
                        result[index] = merge(result[index], item, nil, context: field.elementContext)
                    } else {
                        result.append(withoutNulls(item))
                    }
                }
                return .array(result)
            }
        default:
            return withoutNulls(applied)
        }
    }

    private func withoutNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.filter { $0.value != .null }.mapValues(withoutNulls))
        case .array(let items): .array(items.map(withoutNulls))
        default: value
        }
    }
}
