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
                // [K=<mapKeys>]` where shape is `o:<type>`, `l[:<type>]` or `m[:<type>]`;
                // `K <group> <version> <kind> <type>` maps a kind to its root type (`-` for the core group).
                private static let table = \"\"\"
            \(lines.joined(separator: "\n"))
            \"\"\"
            }

            """
    }
}
