import Foundation

/// Reads the `generated.proto` files of the Kubernetes API groups and renders the compact
/// message table (`BuiltinProtobufSchema`) that drives the generic protobuf codec in `KubeCore`:
/// per message its fields (number, JSON name, type, repeated), the special wire types
/// (Time, Quantity, IntOrString, raw JSON, ...) and each kind's message.
enum ProtobufTable {
    struct Field {
        var number: Int
        var protoName: String
        var type: String
        var label: String  // optional, repeated, map
        var mapKey: String?
    }

    struct Message {
        var name: String  // OpenAPI style, without the `io.k8s.` prefix
        var fields: [Field]
        var nullableList: Bool
    }

    /// `k8s.io.api.core.v1` → `api.core.v1` (the OpenAPI schema prefix `io.k8s.` dropped; `_` → `-`).
    static func schemaPrefix(package: String) -> String {
        var name = package
        if name.hasPrefix("k8s.io.") { name.removeFirst("k8s.io.".count) }
        return name.replacingOccurrences(of: "_", with: "-")
    }

    /// Every message of every `generated.proto` under `directory`.
    static func load(directory: URL) throws -> [Message] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else {
            throw GeneratorError("no protobuf folder at \(directory.path)")
        }
        var messages: [Message] = []
        for case let path as String in enumerator where path.hasSuffix("generated.proto") {
            let text = try String(contentsOf: directory.appendingPathComponent(path), encoding: .utf8)
            messages.append(contentsOf: parse(text))
        }
        guard !messages.isEmpty else { throw GeneratorError("no .proto messages under \(directory.path)") }
        return messages.sorted { $0.name < $1.name }
    }

    static func parse(_ text: String) -> [Message] {
        var package = ""
        var messages: [Message] = []
        var current: Message?
        var comments: [String] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("//") { comments.append(line); continue }
            defer { if !line.isEmpty { comments = [] } }
            if line.hasPrefix("package ") {
                package = String(line.dropFirst("package ".count).dropLast())
            } else if line.hasPrefix("message ") {
                let name = line.dropFirst("message ".count).split(separator: " ").first.map(String.init) ?? ""
                current = Message(name: "\(schemaPrefix(package: package)).\(name)", fields: [],
                                  nullableList: comments.contains("// +protobuf.nullable=true"))
            } else if line == "}", let message = current {
                messages.append(message)
                current = nil
            } else if current != nil, let field = field(line, package: package) {
                current?.fields.append(field)
            }
        }
        return messages
    }

    private static func field(_ line: String, package: String) -> Field? {
        guard let equals = line.firstIndex(of: "="), line.hasSuffix(";") else { return nil }
        let number = Int(line[line.index(after: equals)...].dropLast().trimmingCharacters(in: .whitespaces))
        let declaration = line[..<equals].trimmingCharacters(in: .whitespaces)
        guard let number else { return nil }
        if declaration.hasPrefix("map<"), let close = declaration.firstIndex(of: ">") {
            let arguments = declaration[declaration.index(declaration.startIndex, offsetBy: 4)..<close]
                .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = declaration[declaration.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard arguments.count == 2 else { return nil }
            return Field(number: number, protoName: name, type: typeName(arguments[1], package: package),
                         label: "map", mapKey: arguments[0])
        }
        let parts = declaration.split(separator: " ").map(String.init)
        guard parts.count == 3 else { return nil }
        return Field(number: number, protoName: parts[2], type: typeName(parts[1], package: package), label: parts[0])
    }

    static let scalars: [String: String] = [
        "string": "s", "bytes": "b", "bool": "t", "int32": "i32", "int64": "i64", "uint32": "u32", "uint64": "u64",
        "double": "f64", "float": "f32", "sint32": "i32", "sint64": "i64",
    ]

    /// A scalar's token, or `@<message>` for a message.
    private static func typeName(_ type: String, package: String) -> String {
        if let scalar = scalars[type] { return scalar }
        if type.hasPrefix(".") {
            let components = type.dropFirst().split(separator: ".")
            let packagePart = components.dropLast().joined(separator: ".")
            return "@\(schemaPrefix(package: packagePart)).\(components.last ?? "")"
        }
        return "@\(schemaPrefix(package: package)).\(type)"
    }

    /// Messages whose JSON form is not an object of their fields.
    static let specialForms: [String: String] = [
        "apimachinery.pkg.apis.meta.v1.Time": "time",
        "apimachinery.pkg.apis.meta.v1.MicroTime": "microtime",
        "apimachinery.pkg.apis.meta.v1.Duration": "duration",
        "apimachinery.pkg.apis.meta.v1.FieldsV1": "raw",
        "apimachinery.pkg.runtime.RawExtension": "raw",
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": "raw",
        "apimachinery.pkg.api.resource.Quantity": "quantity",
        "apimachinery.pkg.api.resource.QuantityValue": "quantity",
        "apimachinery.pkg.util.intstr.IntOrString": "intorstring",
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": "orbool",
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": "orarray",
        "apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": "orstringarray",
    ]

    /// The JSON name of a proto field: the spec's property of the same name, else the one that
    /// matches ignoring case and punctuation (`xKubernetesListType` → `x-kubernetes-list-type`,
    /// `ref` → `$ref`).
    static func jsonName(_ protoName: String, properties: [String: [String: Any]]) -> String {
        if properties[protoName] != nil || properties.isEmpty { return protoName }
        func folded(_ name: String) -> String { name.lowercased().filter { $0.isLetter || $0.isNumber } }
        let target = folded(protoName)
        return properties.keys.sorted().first { folded($0) == target } ?? protoName
    }

    static func render(_ messages: [Message], spec: Spec, header: String) -> String {
        var lines: [String] = []
        var known: Set<String> = []
        for message in messages { known.insert(message.name) }
        for message in messages {
            let special = specialForms[message.name] ?? (message.nullableList ? "list" : nil)
            lines.append(["M", message.name, special].compactMap { $0 }.joined(separator: " "))
            let properties = spec.schemas["io.k8s.\(message.name)"]?.properties ?? [:]
            for field in message.fields.sorted(by: { $0.number < $1.number }) {
                let name = jsonName(field.protoName, properties: properties)
                var tokens = [String(field.number), name]
                if field.label == "map" {
                    tokens.append("m:\(scalars[field.mapKey ?? ""] ?? "s"):\(field.type)")
                } else {
                    tokens.append(field.type)
                    if field.label == "repeated" { tokens.append("r") }
                    // A Go embedded struct (`LocalObjectReference` in `SecretKeySelector`): its own
                    // message on the wire, its fields inline in JSON.
                    if field.label == "optional", field.type.hasPrefix("@"), !properties.isEmpty, properties[name] == nil {
                        tokens.append("i")
                    }
                }
                lines.append(tokens.joined(separator: " "))
            }
        }
        var kinds: [String] = []
        for name in spec.schemas.keys.sorted() where name.hasPrefix("io.k8s.") {
            let short = String(name.dropFirst("io.k8s.".count))
            guard known.contains(short) else { continue }
            for gvk in spec.schemas[name]?.groupVersionKinds ?? [] {
                kinds.append("K \(gvk.group.isEmpty ? "-" : gvk.group) \(gvk.version) \(gvk.kind) \(short)")
            }
        }
        lines.append(contentsOf: Set(kinds).sorted())
        return """
            \(header)
            import KubeCore

            /// The protobuf messages of every built-in type, from the `generated.proto` files
            /// (`application/vnd.kubernetes.protobuf`), for the table-driven ``ProtobufSchema`` codec.
            public enum BuiltinProtobufSchema {
                /// Every message of the stable groups and each kind's message.
                public static let schema: ProtobufSchema = ProtobufSchema(table: table)

                // `M <message> [form]` starts a message (form: time, microtime, duration, raw, quantity,
                // intorstring, list, orbool, orarray, orstringarray); then `<number> <jsonName> <type> [r]` where
                // type is s, b, t, i32, i64, u32, u64, f64, f32, `@<message>` or `m:<key>:<value>` (a map); `r` marks
                // a repeated field, `i` an embedded struct (its fields are inline in the JSON);
                // `K <group> <version> <kind> <message>` maps a kind to its message (`-` for the core group).
                private static let table = \"\"\"
            \(lines.joined(separator: "\n"))
            \"\"\"
            }

            """
    }
}
