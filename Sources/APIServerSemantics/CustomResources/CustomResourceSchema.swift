import KubeCore

/// The schema of one served version of a CustomResourceDefinition, and what
/// kube-apiserver does with it on every write of a custom object: prune unknown fields,
/// apply defaults, validate values, list types and CEL rules.
public struct CustomResourceSchema: Sendable {
    public let root: StructuralSchema
    /// `subresources.scale.specReplicasPath` / `statusReplicasPath` (`.spec.replicas`), checked to be integers.
    public let specReplicasPath: String?
    public let statusReplicasPath: String?

    /// What a write of a custom object comes to.
    public struct Outcome: Sendable {
        /// The pruned and defaulted object.
        public var object: JSONValue
        /// Paths of the pruned fields, sorted (`spec.unknownField`): warnings, or a 400 under `Strict`.
        public var unknownFields: [String]
        /// Value and rule errors (a 422 when not empty).
        public var errors: [FieldError]
        /// Rules outside the CEL subset KubeTestServer evaluates (they are errors too).
        public var unsupportedRules: [String]
    }

    public init(root: StructuralSchema, specReplicasPath: String? = nil, statusReplicasPath: String? = nil) {
        self.root = root
        self.specReplicasPath = specReplicasPath
        self.statusReplicasPath = statusReplicasPath
    }

    /// The schema of `version` of `crd`, or `nil` when that version has none.
    public init?(crd: JSONValue, version: String) {
        guard let entry = crd["spec"]?["versions"]?.arrayValue?.first(where: { $0["name"]?.stringValue == version }),
            let schema = entry["schema"]?["openAPIV3Schema"]
        else { return nil }
        root = StructuralSchema(json: schema)
        let scale = entry["subresources"]?["scale"]
        specReplicasPath = scale?["specReplicasPath"]?.stringValue
        statusReplicasPath = scale?["statusReplicasPath"]?.stringValue
    }

    /// Prunes, defaults and validates `object`; `old` is the stored object on update (for
    /// transition rules). `statusOnly`: a write through `/status`, where kube validates the
    /// `status` subtree with its own schema (messages name `replicas`, fields `status.replicas`).
    public func admit(_ object: JSONValue, old: JSONValue?, statusOnly: Bool = false) -> Outcome {
        let (pruned, unknown) = root.prune(object)
        let defaulted = root.applyDefaults(pruned)
        var errors: [FieldError]
        if statusOnly {
            errors = []
            if let schema = root.properties["status"], let status = defaulted["status"] {
                errors = schema.valueErrors(status, path: "").map { error in
                    var moved = error
                    moved.field = "status" + (error.field.isEmpty ? "" : ".\(error.field)")
                    return moved
                }
            }
            errors += replicasErrors(defaulted, path: statusReplicasPath)
        } else {
            errors = root.validate(defaulted)
            errors += replicasErrors(defaulted, path: specReplicasPath)
            errors += replicasErrors(defaulted, path: statusReplicasPath)
        }
        var unsupported: [String] = []
        if errors.contains(where: { $0.kind == .typeInvalid }) {
            // A value of the wrong type cannot be given to CEL: kube skips the rules and says so.
            if root.hasRules {
                errors.append(FieldError(
                    .invalid, field: "<nil>", value: .null,
                    detail: "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
            }
        } else {
            let rules = root.validateRules(defaulted, old: old)
            errors += rules.errors
            unsupported = rules.unsupported
        }
        return Outcome(object: defaulted, unknownFields: unknown, errors: errors, unsupportedRules: unsupported)
    }

    /// The scale subresource's replicas paths must hold integers (`unstructured.NestedInt64`).
    private func replicasErrors(_ object: JSONValue, path: String?) -> [FieldError] {
        guard let path, path.hasPrefix(".") else { return [] }
        var value: JSONValue? = object
        for part in path.dropFirst().split(separator: ".") { value = value?[String(part)] }
        guard let value else { return [] }
        let goType: String
        switch value {
        case .int: return []
        case .double(let number) where number.rounded() == number: return []
        case .double: goType = "float64"
        case .string: goType = "string"
        case .bool: goType = "bool"
        case .null: return []
        case .array: goType = "[]interface {}"
        case .object: goType = "map[string]interface {}"
        }
        let shown = value.stringValue ?? "\(value)"
        return [FieldError(.invalid, field: path, value: .int(0), detail: "\(path) accessor error: \(shown) is of the type \(goType), expected int64")]
    }

    /// Defaulting on read (objects stored before a default was added get it when read).
    public func defaulted(_ object: JSONValue) -> JSONValue { root.applyDefaults(object) }
}
