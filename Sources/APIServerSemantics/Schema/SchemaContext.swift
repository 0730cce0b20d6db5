import KubeCore

/// Where in the schema a JSON object sits: a named struct type, the values of a map,
/// or somewhere the schema does not describe (custom resources, free-form JSON).
enum SchemaContext: Sendable, Hashable {
    case type(String)
    case mapOf(String?)
    case unknown

    /// The schema of the member `name` of an object in this context.
    func field(_ name: String, in schema: PatchSchema) -> FieldSchema? {
        switch self {
        case .type(let type):
            return schema.field(name, in: type)
        case .mapOf(let element):
            return element.map { FieldSchema(shape: .object(type: $0)) }
        case .unknown:
            return nil
        }
    }

    static func root(of kind: GroupVersionKind?, in schema: PatchSchema) -> SchemaContext {
        guard let kind, let type = schema.kinds[kind] else { return .unknown }
        return .type(type)
    }
}

extension Optional where Wrapped == FieldSchema {
    /// The context of the member's value when it is an object.
    var objectContext: SchemaContext {
        switch self?.shape {
        case .object(let type): .type(type)
        case .map(let element): .mapOf(element)
        default: .unknown
        }
    }

    /// The context of the items when the member is a list of objects.
    var elementContext: SchemaContext {
        if case .list(let element?) = self?.shape { return .type(element) }
        return .unknown
    }

    /// The strategic merge patch strategy with `retainKeys` split off.
    var patchStrategies: (merge: Bool, replace: Bool, retainKeys: Bool) {
        let parts = (self?.patchStrategy ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return (parts.contains("merge"), parts.contains("replace"), parts.contains("retainKeys"))
    }
}
