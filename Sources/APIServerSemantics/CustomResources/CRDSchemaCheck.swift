import Foundation
import KubeCore

/// kube-apiserver's checks of a CustomResourceDefinition's schemas on create and update:
/// the structural-schema rules (every node typed, `metadata` restricted to `name` and
/// `generateName`, no `additionalProperties` beside `properties`, …), defaults that must
/// validate against their own schema, CEL rules that must parse, and selectable fields that
/// must name a field. The same rules check the schemas generated from Swift types.
public enum CRDSchemaCheck {
    /// The errors for the CRD object `crd` (its `spec.versions[].schema.openAPIV3Schema`),
    /// with kube's paths: `spec.validation.openAPIV3Schema…` when every version has the same
    /// schema (kube hoists it), else `spec.versions[i].schema.openAPIV3Schema…`.
    public static func errors(_ crd: JSONValue) -> [FieldError] {
        let versions = crd["spec"]?["versions"]?.arrayValue ?? []
        let schemas = versions.map { $0["schema"]?["openAPIV3Schema"] }
        let hoisted = versions.count <= 1 || Set(schemas.map { $0.map(describe) ?? "" }).count == 1
        var errors: [FieldError] = []
        for (index, version) in versions.enumerated() {
            if hoisted && index > 0 { break }
            let prefix = hoisted ? "spec.validation.openAPIV3Schema" : "spec.versions[\(index)].schema.openAPIV3Schema"
            if let schema = version["schema"]?["openAPIV3Schema"] {
                errors += structuralErrors(schema, path: prefix)
            }
        }
        for (index, version) in versions.enumerated() {
            let hoistFields = versions.count <= 1 || Set(versions.map { describe($0["selectableFields"] ?? .null) }).count == 1
            if hoistFields && index > 0 { break }
            let schema = version["schema"]?["openAPIV3Schema"] ?? [:]
            let prefix = hoistFields ? "spec.selectableFields" : "spec.versions[\(index)].selectableFields"
            for (position, field) in (version["selectableFields"]?.arrayValue ?? []).enumerated() {
                let path = field["jsonPath"]?.stringValue ?? ""
                if !refersToField(path, in: schema) {
                    errors.append(FieldError(
                        .invalid, field: "\(prefix)[\(position)].jsonPath", value: .string(path),
                        detail: "is an invalid path: does not refer to a valid field"))
                }
            }
        }
        return errors
    }

    /// The structural-schema errors of one `openAPIV3Schema` (root at `path`), sorted by
    /// field as kube lists them; defaults, CEL syntax and the other value checks follow.
    public static func structuralErrors(_ schema: JSONValue, path: String) -> [FieldError] {
        var structural: [FieldError] = []
        var other: [FieldError] = []
        check(schema, path: path, level: .root, structural: &structural, other: &other)
        if let metadata = schema["properties"]?["metadata"], !isAllowedMetadata(metadata) {
            structural.append(FieldError(
                .forbidden, field: "\(path).properties[metadata]",
                detail: "must not specify anything other than name and generateName, but metadata is implicitly specified"))
        }
        return structural.sorted { $0.field < $1.field } + other
    }

    enum Level { case root, field, item }

    private static let types = ["array", "boolean", "integer", "number", "object", "string"]

    private static func check(_ node: JSONValue, path: String, level: Level, structural: inout [FieldError], other: inout [FieldError]) {
        guard case .object(let members) = node else { return }
        let type = members["type"]?.stringValue ?? ""
        let intOrString = members["x-kubernetes-int-or-string"]?.boolValue == true
        let preserve = members["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
        let embedded = members["x-kubernetes-embedded-resource"]?.boolValue == true
        if type.isEmpty && !intOrString && !preserve && !embedded {
            let detail = switch level {
            case .root: "must not be empty at the root"
            case .field: "must not be empty for specified object fields"
            case .item: "must not be empty for specified array items"
            }
            structural.append(FieldError(.required, field: "\(path).type", detail: detail))
        } else if !type.isEmpty && !types.contains(type) {
            structural.append(FieldError(
                .notSupported, field: "\(path).type", value: .string(type),
                detail: "supported values: " + types.map { quoted($0) }.joined(separator: ", ")))
        }
        if members["x-kubernetes-preserve-unknown-fields"] == .bool(false) {
            structural.append(FieldError(.invalid, field: "\(path).x-kubernetes-preserve-unknown-fields", value: .bool(false), detail: "must be true or undefined"))
        }
        if members["properties"] != nil, case .object? = members["additionalProperties"] {
            structural.append(FieldError(.forbidden, field: "\(path).additionalProperties", detail: "additionalProperties and properties are mutual exclusive"))
        }
        if type == "array" && members["items"] == nil {
            structural.append(FieldError(.required, field: "\(path).items", detail: "must be specified"))
        }
        for junctor in ["allOf", "anyOf", "oneOf", "not"] where members[junctor] != nil && !intOrString {
            structural.append(FieldError(.forbidden, field: "\(path).\(junctor)", detail: "KubeTestServer does not support logical junctors in schemas"))
        }
        if members["x-kubernetes-list-type"]?.stringValue == "map", (members["x-kubernetes-list-map-keys"]?.arrayValue ?? []).isEmpty {
            structural.append(FieldError(.required, field: "\(path).x-kubernetes-list-map-keys", detail: "must not be empty if x-kubernetes-list-type is map"))
        }
        if let defaultValue = members["default"] {
            let schema = StructuralSchema(json: node)
            for error in schema.valueErrors(defaultValue, path: "") {
                var moved = error
                moved.field = "\(path).default" + (error.field.isEmpty ? "" : ".\(error.field)")
                other.append(moved)
            }
        }
        for (index, rule) in (members["x-kubernetes-validations"]?.arrayValue ?? []).enumerated() {
            let source = rule["rule"]?.stringValue ?? ""
            do {
                _ = try CELParser.parse(source)
            } catch {
                other.append(FieldError(
                    .invalid, field: "\(path).x-kubernetes-validations[\(index)].rule",
                    detail: "compilation failed: " + error.rendered(source: source), renderedValue: goRule(rule)))
            }
        }
        for (name, property) in (members["properties"]?.objectValue ?? [:]) {
            check(property, path: "\(path).properties[\(name)]", level: .field, structural: &structural, other: &other)
        }
        if case .object? = members["additionalProperties"] {
            check(members["additionalProperties"]!, path: "\(path).additionalProperties", level: .field, structural: &structural, other: &other)
        }
        if let items = members["items"] {
            check(items, path: "\(path).items", level: .item, structural: &structural, other: &other)
        }
    }

    /// `metadata` in a CRD schema may only be an object restricting `name` / `generateName`.
    private static func isAllowedMetadata(_ metadata: JSONValue) -> Bool {
        guard case .object(let members) = metadata else { return false }
        for (key, value) in members {
            switch key {
            case "type": if value != "object" { return false }
            case "properties":
                guard let properties = value.objectValue, properties.keys.allSatisfy({ $0 == "name" || $0 == "generateName" }) else { return false }
            default: return false
            }
        }
        return true
    }

    /// Whether a `.spec.size`-style path names a field the schema specifies.
    static func refersToField(_ path: String, in schema: JSONValue) -> Bool {
        guard path.hasPrefix(".") else { return false }
        var node = schema
        for part in path.dropFirst().split(separator: ".", omittingEmptySubsequences: false) {
            if part == "metadata", node == schema { return path == ".metadata.name" || path == ".metadata.namespace" }
            guard let next = node["properties"]?[String(part)] else { return false }
            node = next
        }
        return true
    }

    /// A validation rule as Go's `%v` of `ValidationRule` marshalled to JSON shows it
    /// (`{"Rule":"self.x \u003e","Message":"",…}`).
    static func goRule(_ rule: JSONValue) -> String {
        func string(_ key: String) -> String { goJSON(rule[key]?.stringValue ?? "") }
        let reason = rule["reason"]?.stringValue.map(goJSON) ?? "null"
        let optional = rule["optionalOldSelf"]?.boolValue.map { $0 ? "true" : "false" } ?? "null"
        return "{\"Rule\":\(string("rule")),\"Message\":\(string("message")),\"MessageExpression\":\(string("messageExpression")),"
            + "\"Reason\":\(reason),\"FieldPath\":\(string("fieldPath")),\"OptionalOldSelf\":\(optional)}"
    }

    /// Go's `json.Marshal` of a string (HTML characters escaped as `\u003c`, `\u003e`, `\u0026`).
    static func goJSON(_ text: String) -> String {
        quoted(text).replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }
}
