import Foundation

/// Renders the model structs: one file per schema, grouped by package and version.
struct ModelRender {
    struct Field {
        var key: String
        /// The stored property's name (`_not` for an out-of-line field).
        var storage: String
        /// The public name, as written in code.
        var name: String
        var type: String
        var optional: Bool
        var indirect: Bool
        var doc: String?
    }

    struct Model {
        var schemaName: String
        var typeName: Naming.TypeName
        var doc: String?
        var fields: [Field]
        /// `(group, version, kind)` when the schema has exactly one kind: its
        /// `apiVersion` and `kind` are then constants, written on encode.
        var kind: (group: String, version: String, kind: String)?
        /// `(plural, namespaced)` when the kind is a resource of its own.
        var resource: (plural: String, namespaced: Bool)?
        var isObject: Bool
        var usesFoundation: Bool
    }

    let spec: Spec
    let models: [String: Model]
    /// Namespace → short names of the types generated in it.
    let namesByNamespace: [[String]: Set<String>]

    init(spec: Spec, resources: [ResourceEntry]) throws {
        self.spec = spec
        try Overrides.check(spec.schemas)
        var names: [String: Naming.TypeName] = [:]
        var byNamespace: [[String]: Set<String>] = [:]
        for schemaName in spec.schemas.keys where Self.isGenerated(schemaName, spec.schemas) {
            let typeName = try Naming.typeName(schemaName)
            names[schemaName] = typeName
            byNamespace[typeName.namespace, default: []].insert(typeName.name)
        }
        self.namesByNamespace = byNamespace
        var mainResources: [String: ResourceEntry] = [:]
        for entry in resources where !entry.name.contains("/") {
            mainResources["\(entry.kindGroup)/\(entry.kindVersion)/\(entry.kind)"] = entry
        }
        var models: [String: Model] = [:]
        for (schemaName, typeName) in names {
            models[schemaName] = try Self.model(
                schemaName, typeName, spec: spec, names: names, byNamespace: byNamespace, resources: mainResources)
        }
        // Fields that would make a struct contain itself are stored out of line.
        let direct = models.mapValues { model in
            Set(model.fields.compactMap { field -> String? in
                let property = spec.schemas[model.schemaName]?.properties[field.key] ?? [:]
                guard let ref = property.refName, names[ref] != nil else { return nil }
                return ref
            })
        }
        for (schemaName, model) in models {
            var updated = model
            for index in updated.fields.indices {
                let property = spec.schemas[schemaName]?.properties[updated.fields[index].key] ?? [:]
                guard let ref = property.refName, names[ref] != nil, Self.reaches(ref, schemaName, direct) else { continue }
                updated.fields[index].indirect = true
                updated.fields[index].storage = "_" + Naming.propertyName(updated.fields[index].key)
            }
            models[schemaName] = updated
        }
        // Optional nested structs of more than `outOfLineSize` bytes are stored out of
        // line too: most are absent, and an absent one then costs 8 bytes, not its size.
        var sizes: [String: Int] = [:]
        func size(_ schemaName: String) -> Int {
            if let known = sizes[schemaName] { return known }
            sizes[schemaName] = 8  // a cycle is stored out of line anyway
            var total = 0
            for field in models[schemaName]?.fields ?? [] {
                let property = spec.schemas[schemaName]?.properties[field.key] ?? [:]
                var bytes = Self.inlineSize(field.type)
                if field.indirect {
                    bytes = 8
                } else if let ref = property.refName, models[ref] != nil {
                    bytes = size(ref) + (field.optional ? 1 : 0)
                }
                total += (bytes + 7) / 8 * 8
            }
            sizes[schemaName] = total
            return total
        }
        for schemaName in models.keys.sorted() {
            guard var updated = models[schemaName] else { continue }
            for index in updated.fields.indices where updated.fields[index].optional && !updated.fields[index].indirect {
                let property = spec.schemas[schemaName]?.properties[updated.fields[index].key] ?? [:]
                guard let ref = property.refName, models[ref] != nil, size(ref) > Self.outOfLineSize else { continue }
                updated.fields[index].indirect = true
                updated.fields[index].storage = "_" + Naming.propertyName(updated.fields[index].key)
            }
            models[schemaName] = updated
            sizes = [:]
        }
        self.models = models
    }

    /// Optional struct fields larger than this (estimated) are stored out of line.
    static let outOfLineSize = 48

    /// A rough inline size of a field type, for ``outOfLineSize``.
    static func inlineSize(_ type: String) -> Int {
        if type.hasPrefix("[") { return 8 }
        switch type {
        case "String", "Data", "IntOrString": return 17
        case "Quantity": return 41
        case "ObjectMeta", "KubeCore.ObjectMeta": return 200
        case "ListMeta", "KubeCore.ListMeta": return 64
        default: return 9
        }
    }

    private static func reaches(_ start: String, _ target: String, _ edges: [String: Set<String>]) -> Bool {
        var seen: Set<String> = []
        var stack = [start]
        while let next = stack.popLast() {
            if next == target { return true }
            guard seen.insert(next).inserted else { continue }
            stack.append(contentsOf: edges[next] ?? [])
        }
        return false
    }

    /// Structured schemas that are not mapped to hand-written types.
    static func isGenerated(_ name: String, _ schemas: [String: [String: Any]]) -> Bool {
        Naming.mappedTypes[name] == nil && schemas[name]?["properties"] != nil
    }

    private static func model(
        _ schemaName: String, _ typeName: Naming.TypeName, spec: Spec, names: [String: Naming.TypeName],
        byNamespace: [[String]: Set<String>], resources: [String: ResourceEntry]
    ) throws -> Model {
        let schema = spec.schemas[schemaName] ?? [:]
        let required = schema.required
        let gvks = schema.groupVersionKinds
        let properties = schema.properties
        let kind = gvks.count == 1 && properties["apiVersion"] != nil && properties["kind"] != nil ? gvks[0] : nil
        let resource = kind.flatMap { resources["\($0.group)/\($0.version)/\($0.kind)"] }
        let isObject = kind != nil && properties["metadata"]?.refName == "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
        var usesFoundation = false
        var fields: [Field] = []
        for key in properties.keys.sorted() {
            if kind != nil, key == "apiVersion" || key == "kind" { continue }
            let property = properties[key] ?? [:]
            let type = try swiftType(property, in: typeName.namespace, spec: spec, names: names, byNamespace: byNamespace)
            if type.contains("Data") { usesFoundation = true }
            let name = Naming.propertyName(key)
            let isRequired = required.contains(key) && !Overrides.isOptional(schemaName, key)
            let optional = !(isRequired || (isObject && key == "metadata"))
            fields.append(
                Field(key: key, storage: name, name: name, type: type, optional: optional, indirect: false,
                    doc: (property["description"] as? String).map(firstParagraph)))
        }
        return Model(
            schemaName: schemaName, typeName: typeName, doc: (schema["description"] as? String).map(firstParagraph),
            fields: fields, kind: kind, resource: resource.map { ($0.name, $0.namespaced) }, isObject: isObject,
            usesFoundation: usesFoundation)
    }

    static func firstParagraph(_ text: String) -> String {
        let paragraph = text.components(separatedBy: "\n\n").first ?? text
        return paragraph.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func swiftType(
        _ property: [String: Any], in namespace: [String], spec: Spec, names: [String: Naming.TypeName],
        byNamespace: [[String]: Set<String>]
    ) throws -> String {
        if let ref = property.refName {
            if let mapped = Naming.mappedTypes[ref] {
                // A same-named type in the current namespace would shadow the hand-written one.
                return byNamespace[namespace]?.contains(mapped) == true ? "KubeCore.\(mapped)" : mapped
            }
            if let name = names[ref] {
                if name.namespace == namespace { return name.name }
                if let shadow = byNamespace[namespace], shadow.contains(name.namespace[0]) {
                    return "KubeModels.\(name.qualified)"
                }
                return name.qualified
            }
            guard let target = spec.schemas[ref] else { throw GeneratorError("unresolved $ref \(ref)") }
            if target["type"] as? String == "string" {
                return try swiftType(target, in: namespace, spec: spec, names: names, byNamespace: byNamespace)
            }
            return "JSONValue"
        }
        if property["x-kubernetes-int-or-string"] as? Bool == true { return "IntOrString" }
        switch property["type"] as? String {
        case "string":
            switch property["format"] as? String {
            case "byte": return "Data"
            case "date-time": return "Time"
            default: return "String"
            }
        case "integer":
            return property["format"] as? String == "int32" ? "Int32" : "Int64"
        case "number":
            return "Double"
        case "boolean":
            return "Bool"
        case "array":
            let items = property["items"] as? [String: Any] ?? [:]
            return "[\(try swiftType(items, in: namespace, spec: spec, names: names, byNamespace: byNamespace))]"
        case "object":
            if let values = property["additionalProperties"] as? [String: Any] {
                return "[String: \(try swiftType(values, in: namespace, spec: spec, names: names, byNamespace: byNamespace))]"
            }
            return "JSONValue"
        default:
            return "JSONValue"
        }
    }
}
