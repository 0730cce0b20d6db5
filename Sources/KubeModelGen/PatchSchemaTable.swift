import Foundation

/// Derives the strategic-merge-patch / server-side-apply metadata (`PatchSchema`)
/// from the spec's `x-kubernetes-*` extensions.
enum PatchSchemaTable {
    /// Schemas whose values are scalars on the wire even though they are `$ref`s.
    static let scalarTypes: Set<String> = [
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
        "io.k8s.apimachinery.pkg.api.resource.Quantity",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time",
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime",
    ]

    /// `true` when the named schema is an object with declared properties
    /// (not a scalar wrapper or free-form JSON).
    static func isStructured(_ name: String, in schemas: [String: [String: Any]]) -> Bool {
        guard !scalarTypes.contains(name), let schema = schemas[name] else { return false }
        return schema["properties"] != nil
    }

    /// The shape token of a property, or `nil` for a scalar (or free-form JSON).
    static func shape(of property: [String: Any], in schemas: [String: [String: Any]]) -> String? {
        if let ref = property.refName {
            return isStructured(ref, in: schemas) ? "o:\(ref)" : nil
        }
        switch property["type"] as? String {
        case "array":
            let items = property["items"] as? [String: Any] ?? [:]
            if let ref = items.refName, isStructured(ref, in: schemas) { return "l:\(ref)" }
            return "l"
        case "object":
            guard let values = property["additionalProperties"] as? [String: Any] else { return nil }
            if let ref = values.refName, isStructured(ref, in: schemas) { return "m:\(ref)" }
            return "m"
        default:
            return nil
        }
    }

    /// `x-kubernetes-map-type: atomic` on the property or on the type it refers to.
    static func isAtomic(_ property: [String: Any], in schemas: [String: [String: Any]]) -> Bool {
        if property["x-kubernetes-map-type"] as? String == "atomic" { return true }
        guard let ref = property.refName else { return false }
        return schemas[ref]?["x-kubernetes-map-type"] as? String == "atomic"
    }

    /// Whether the field exists in the Go zero value of its parent type. The spec does not
    /// say which struct fields are pointers, so: a required field is serialized without
    /// `omitempty` (as `null` when unset); `metadata`, `spec` and `status` are value structs
    /// in every built-in type; and the other value-struct fields are listed in
    /// ``Overrides/valueStructFields`` with the evidence.
    static func isInZeroValue(_ field: String, of type: String, shape: String, required: Set<String>) -> Bool {
        if required.contains(field) { return true }
        guard shape.hasPrefix("o:") else { return false }
        if ["metadata", "spec", "status"].contains(field) { return true }
        return Overrides.valueStructFields[type]?.contains(field) == true
    }

    static func render(_ spec: Spec, header: String) -> String {
        var lines: [String] = []
        for name in spec.schemas.keys.sorted() where isStructured(name, in: spec.schemas) {
            let schema = spec.schemas[name] ?? [:]
            var fieldLines: [String] = []
            let properties = schema.properties
            for field in properties.keys.sorted() {
                let property = properties[field] ?? [:]
                guard let shape = shape(of: property, in: spec.schemas) else { continue }
                var tokens = [field, shape]
                if let value = property["x-kubernetes-patch-strategy"] as? String { tokens.append("s=\(value)") }
                if let value = property["x-kubernetes-patch-merge-key"] as? String { tokens.append("k=\(value)") }
                if let value = property["x-kubernetes-list-type"] as? String { tokens.append("t=\(value)") }
                if let value = property["x-kubernetes-list-map-keys"] as? [String], !value.isEmpty {
                    tokens.append("K=\(value.joined(separator: ","))")
                }
                if isAtomic(property, in: spec.schemas) { tokens.append("a") }
                if isInZeroValue(field, of: name, shape: shape, required: schema.required) { tokens.append("z") }
                fieldLines.append(tokens.joined(separator: " "))
            }
            guard !fieldLines.isEmpty else { continue }
            lines.append("T \(name)")
            lines.append(contentsOf: fieldLines)
        }
        var kinds: [String] = []
        for name in spec.schemas.keys.sorted() {
            for gvk in spec.schemas[name]?.groupVersionKinds ?? [] {
                kinds.append("K \(gvk.group.isEmpty ? "-" : gvk.group) \(gvk.version) \(gvk.kind) \(name)")
            }
        }
        lines.append(contentsOf: kinds.sorted())
        return """
            \(header)
            import KubeCore

            /// The merge semantics of every built-in type, from the spec's
            /// `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`,
            /// `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`.
            public enum BuiltinPatchSchema {
                /// Every structured type's non-scalar fields, and each kind's root type.
                public static let schema: PatchSchema = BuiltinTable.patchSchema(table)

                // `T <type>` starts a type; then `<field> <shape> [s=<strategy>] [k=<mergeKey>] [t=<listType>]
                // [K=<mapKeys>] [a] [z]` where shape is `o:<type>`, `l[:<type>]` or `m[:<type>]`, `a` marks an
                // atomic object or map and `z` a field present in the Go zero value of its parent;
                // `K <group> <version> <kind> <type>` maps a kind to its root type (`-` for the core group).
                private static let table = \"\"\"
            \(lines.joined(separator: "\n"))
            \"\"\"
            }

            """
    }
}
