import Foundation

/// The Swift text of the models, namespaces and typealiases.
extension ModelRender {
    static func docLines(_ text: String?, indent: String) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map {
            let line = $0.trimmingCharacters(in: .whitespaces)
            return line.isEmpty ? "\(indent)///" : "\(indent)/// \(line)"
        }
    }

    /// Every generated file: path → contents.
    func files(header: String) throws -> [String: String] {
        var files: [String: String] = [:]
        for model in models.values {
            files["\(model.typeName.folder)/\(model.typeName.qualified).swift"] = try render(model, header: header)
        }
        files["Namespaces.swift"] = renderNamespaces(header: header)
        files["Typealiases.swift"] = renderTypealiases(header: header)
        files["BuiltinKinds.swift"] = renderKinds(header: header)
        return files
    }

    func render(_ model: Model, header: String) throws -> String {
        var out: [String] = [header]
        if model.usesFoundation { out.append("import Foundation") }
        out.append("import KubeCore")
        out.append("")
        out.append("extension \(model.typeName.namespace.joined(separator: ".")) {")
        out += Self.docLines(model.doc, indent: "    ")
        let conformance =
            model.resource != nil && model.isObject ? "KubeResource, Hashable, JSONReadable"
            : model.isObject ? "KubeObject, Hashable, JSONReadable" : "Codable, Sendable, Hashable, JSONReadable"
        out.append("    public struct \(model.typeName.name): \(conformance) {")
        if let kind = model.kind {
            let apiVersion = kind.group.isEmpty ? kind.version : "\(kind.group)/\(kind.version)"
            if let resource = model.resource, model.isObject {
                out.append("        public static let group = \"\(kind.group)\"")
                out.append("        public static let version = \"\(kind.version)\"")
                out.append("        public static let plural = \"\(resource.plural)\"")
                out.append("        public static let namespaced = \(resource.namespaced)")
            }
            out.append("        public static let apiVersion = \"\(apiVersion)\"")
            out.append("        public static let kind = \"\(kind.kind)\"")
            out.append("")
        }
        for field in model.fields {
            out += Self.docLines(field.doc, indent: "        ")
            let type = field.optional ? "\(field.type)?" : field.type
            if field.indirect {
                out.append("        public var \(Naming.escaped(field.name)): \(type) {")
                out.append("            get { \(field.storage)\(field.optional ? "?" : "").value }")
                out.append("            set { \(field.storage) = \(field.optional ? "newValue.map(Indirect.init)" : "Indirect(newValue)") }")
                out.append("        }")
                out.append("        private var \(field.storage): Indirect<\(field.type)>\(field.optional ? "?" : "")")
            } else {
                out.append("        public var \(Naming.escaped(field.name)): \(type)")
            }
        }
        if !model.fields.isEmpty { out.append("") }
        out += renderInit(model)
        out += renderCoding(model)
        out += try renderReader(model)
        out.append("    }")
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private func renderInit(_ model: Model) -> [String] {
        let parameters = model.fields.map { field -> String in
            let label = Naming.escaped(field.name)
            if field.optional { return "\(label): \(field.type)? = nil" }
            if model.isObject, field.key == "metadata" { return "\(label): \(field.type) = ObjectMeta()" }
            return "\(label): \(field.type)"
        }
        var out: [String] = []
        if parameters.isEmpty {
            out.append("        public init() {}")
            return out
        }
        out.append("        public init(")
        out.append("            " + parameters.joined(separator: ", "))
        out.append("        ) {")
        for field in model.fields {
            let name = Naming.escaped(field.name)
            if field.indirect {
                out.append("            self.\(field.storage) = \(field.optional ? "\(name).map(Indirect.init)" : "Indirect(\(name))")")
            } else {
                out.append("            self.\(name) = \(name)")
            }
        }
        out.append("        }")
        return out
    }

    /// Synthesized `Codable` where it does the right thing; explicit coding for
    /// kinds (constant `apiVersion`/`kind`, default `metadata`).
    private func renderCoding(_ model: Model) -> [String] {
        let explicit = model.kind != nil || model.isObject
        var keys: [String] = []
        if model.kind != nil { keys += ["apiVersion", "kind"] }
        var renamed = false
        for field in model.fields {
            let name = field.indirect ? field.storage : field.name
            if name == field.key {
                keys.append(Naming.escaped(name))
            } else {
                keys.append("\(Naming.escaped(name)) = \"\(field.key)\"")
                renamed = true
            }
        }
        guard explicit || renamed, !keys.isEmpty else { return [] }
        var out: [String] = [""]
        out.append("        private enum CodingKeys: String, CodingKey {")
        out.append("            case " + keys.joined(separator: ", "))
        out.append("        }")
        guard explicit else { return out }
        out.append("")
        out.append("        public init(from decoder: any Decoder) throws {")
        out.append("            let container = try decoder.container(keyedBy: CodingKeys.self)")
        for field in model.fields {
            let key = field.indirect ? field.storage : field.name
            let storedType = field.indirect ? "Indirect<\(field.type)>" : field.type
            let target = "self.\(field.indirect ? field.storage : Naming.escaped(field.name))"
            if model.isObject, field.key == "metadata" {
                out.append("            \(target) = try container.decodeIfPresent(\(storedType).self, forKey: .\(key)) ?? ObjectMeta()")
            } else if field.optional {
                out.append("            \(target) = try container.decodeIfPresent(\(storedType).self, forKey: .\(key))")
            } else {
                out.append("            \(target) = try container.decode(\(storedType).self, forKey: .\(key))")
            }
        }
        out.append("        }")
        out.append("")
        out.append("        public func encode(to encoder: any Encoder) throws {")
        out.append("            var container = encoder.container(keyedBy: CodingKeys.self)")
        if model.kind != nil {
            out.append("            try container.encode(Self.apiVersion, forKey: .apiVersion)")
            out.append("            try container.encode(Self.kind, forKey: .kind)")
        }
        for field in model.fields {
            let key = field.indirect ? field.storage : field.name
            let value = field.indirect ? field.storage : Naming.escaped(field.name)
            let method = field.optional ? "encodeIfPresent" : "encode"
            out.append("            try container.\(method)(\(value), forKey: .\(key))")
        }
        out.append("        }")
        return out
    }

    private func renderNamespaces(header: String) -> String {
        var out: [String] = [header, ""]
        var groups: [String: Set<String>] = [:]
        for model in models.values {
            if let kind = model.kind { groups[model.typeName.namespace.joined(separator: "."), default: []].insert(kind.group) }
        }
        let namespaces = Set(models.values.map(\.typeName.namespace))
        let roots = Set(namespaces.map { $0[0] }).sorted()
        for root in roots {
            let package = Naming.packageNames.first { $0.value == root }?.key ?? root.lowercased()
            out.append("/// Types of the Kubernetes `\(package)` API package, one namespace per version.")
            out.append("public enum \(root) {}")
            out.append("")
        }
        for namespace in namespaces.filter({ $0.count == 2 }).sorted(by: { $0.joined() < $1.joined() }) {
            let name = namespace.joined(separator: ".")
            let group = groups[name].flatMap { $0.count == 1 ? $0.first : nil }
            let version = Naming.packageNames.first { $0.value == namespace[0] }?.key ?? ""
            let folder = models.values.first { $0.typeName.namespace == namespace }?.typeName.folder ?? version
            if let group {
                let apiVersion = group.isEmpty ? String(folder.split(separator: "/").last ?? "") : "\(group)/\(folder.split(separator: "/").last ?? "")"
                out.append("/// The `\(apiVersion)` API group version.")
            } else {
                out.append("/// The `\(folder)` types.")
            }
            out.append("extension \(namespace[0]) { public enum \(namespace[1]) {} }")
            out.append("")
        }
        return out.joined(separator: "\n")
    }

    /// `apiVersion/kind` → the Swift type, for every kind with a type of its own (the
    /// generated kinds and the hand-written ones the spec names, such as `Status`).
    private func renderKinds(header: String) -> String {
        var entries: [String: String] = [:]
        for model in models.values {
            guard let kind = model.kind else { continue }
            let apiVersion = kind.group.isEmpty ? kind.version : "\(kind.group)/\(kind.version)"
            entries["\(apiVersion)/\(kind.kind)"] = model.typeName.qualified
        }
        for (schemaName, typeName) in Naming.mappedTypes {
            let schema = spec.schemas[schemaName] ?? [:]
            let gvks = schema.groupVersionKinds
            guard gvks.count == 1, schema.properties["apiVersion"] != nil, schema.properties["kind"] != nil else { continue }
            let apiVersion = gvks[0].group.isEmpty ? gvks[0].version : "\(gvks[0].group)/\(gvks[0].version)"
            entries["\(apiVersion)/\(gvks[0].kind)"] = "KubeCore.\(typeName)"
        }
        var out: [String] = [header, "import KubeCore", ""]
        out.append("/// The Swift type of every built-in kind, by `apiVersion` and `kind` (`\"apps/v1/Deployment\"`):")
        out.append("/// what a body that names its kind decodes into.")
        out.append("package enum BuiltinKinds {")
        out.append("    package typealias Model = any (Codable & Sendable & Hashable & JSONReadable).Type")
        out.append("")
        out.append("    /// The type for `apiVersion` and `kind`, `nil` when no Swift type models that kind.")
        out.append("    package static func type(apiVersion: String, kind: String) -> Model? { types[\"\\(apiVersion)/\\(kind)\"] }")
        out.append("")
        out.append("    package static let types: [String: Model] = [")
        for key in entries.keys.sorted() {
            out.append("        \"\(key)\": \(entries[key] ?? "").self,")
        }
        out.append("    ]")
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private func renderTypealiases(header: String) -> String {
        var byName: [String: [Model]] = [:]
        for model in models.values where model.kind != nil {
            byName[model.typeName.name, default: []].append(model)
        }
        var out: [String] = [header, "", "// Every kind whose name is unique across the generated group versions."]
        for name in byName.keys.sorted() {
            guard let models = byName[name], models.count == 1, !Naming.reservedTopLevel.contains(name) else { continue }
            out.append("public typealias \(name) = \(models[0].typeName.qualified)")
        }
        return out.joined(separator: "\n") + "\n"
    }
}
