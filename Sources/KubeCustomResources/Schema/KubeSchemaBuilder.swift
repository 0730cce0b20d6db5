import Foundation
import KubeCore
import KubeModels

/// One property of an object schema: its JSON name, schema and whether it is `required`.
public struct KubeSchemaProperty: Sendable, Hashable {
    public var name: String
    public var schema: JSONSchemaProps
    public var required: Bool

    public init(name: String, schema: JSONSchemaProps, required: Bool) {
        self.name = name
        self.schema = schema
        self.required = required
    }
}

/// Builds schema nodes; the code `@KubeSchema` and `@CustomResource` generate calls it, and so
/// can a hand-written ``KubeSchemaType`` conformance.
public enum KubeSchemaBuilder {
    /// The property `name` of type `T`. It is `required` unless `T` is optional or it has a
    /// default (kube-apiserver defaults a missing field before it checks `required`).
    public static func property<T: KubeSchemaType>(
        _ name: String, _ type: T.Type, description: String? = nil, default value: JSONValue? = nil,
        markers: [KubeSchemaMarker] = []
    ) -> KubeSchemaProperty {
        var schema = T.kubeSchema
        if let description { schema.description = description }
        if let value, value != .null { schema.default = value }
        for marker in markers { marker.apply(&schema) }
        return KubeSchemaProperty(name: name, schema: schema, required: !T.kubeSchemaIsOptional && (value == nil || value == .null))
    }

    /// An object with `properties` (in declaration order for `required`).
    public static func object(
        description: String? = nil, markers: [KubeSchemaMarker] = [], properties: [KubeSchemaProperty]
    ) -> JSONSchemaProps {
        var schema = JSONSchemaProps(type: "object")
        schema.description = description
        if !properties.isEmpty {
            schema.properties = Dictionary(properties.map { ($0.name, $0.schema) }, uniquingKeysWith: { first, _ in first })
        }
        let required = properties.filter(\.required).map(\.name)
        if !required.isEmpty { schema.required = required }
        for marker in markers { marker.apply(&schema) }
        return schema
    }

    /// The root schema of a custom resource: `apiVersion`, `kind` and `metadata` (which
    /// kube-apiserver validates itself, so the schema may only say `type: object`) and `properties`.
    public static func resource(
        description: String? = nil, markers: [KubeSchemaMarker] = [], properties: [KubeSchemaProperty]
    ) -> JSONSchemaProps {
        let standard = [
            KubeSchemaProperty(
                name: "apiVersion",
                schema: JSONSchemaProps(
                    description: "APIVersion defines the versioned schema of this representation of an object.", type: "string"),
                required: false),
            KubeSchemaProperty(
                name: "kind",
                schema: JSONSchemaProps(description: "Kind is a string value representing the REST resource this object represents.", type: "string"),
                required: false),
            KubeSchemaProperty(name: "metadata", schema: JSONSchemaProps(type: "object"), required: false),
        ]
        return object(description: description, markers: markers, properties: standard + properties)
    }

    /// A `String` enum: `type: string` and its raw values as `enum`.
    public static func stringEnum<T: RawRepresentable>(
        _ type: T.Type, cases: [T], description: String? = nil, markers: [KubeSchemaMarker] = []
    ) -> JSONSchemaProps where T.RawValue == String {
        var schema = JSONSchemaProps(description: description, enum: cases.map { .string($0.rawValue) }, type: "string")
        for marker in markers { marker.apply(&schema) }
        return schema
    }

    /// A default value's JSON; `nil` when it does not encode or encodes as `null`.
    public static func defaultValue(_ value: some Encodable) -> JSONValue? {
        guard let json = try? JSONValue(encoding: value), json != .null else { return nil }
        return json
    }

    /// A schema node as JSON (for `items` and `additionalProperties`, which the model keeps as JSON).
    public static func json(_ schema: JSONSchemaProps) -> JSONValue {
        (try? JSONValue(encoding: schema)) ?? .object([:])
    }
}

/// One validation marker (`@Minimum(1)`, `@Pattern("…")`, …) applied to a schema node.
/// Each static function has the signature of the marker macro of the same name.
public struct KubeSchemaMarker: Sendable {
    let apply: @Sendable (inout JSONSchemaProps) -> Void

    public init(_ apply: @escaping @Sendable (inout JSONSchemaProps) -> Void) { self.apply = apply }

    public static func minimum(_ value: Double, exclusive: Bool = false) -> Self {
        Self { $0.minimum = value; if exclusive { $0.exclusiveMinimum = true } }
    }
    public static func maximum(_ value: Double, exclusive: Bool = false) -> Self {
        Self { $0.maximum = value; if exclusive { $0.exclusiveMaximum = true } }
    }
    public static func multipleOf(_ value: Double) -> Self { Self { $0.multipleOf = value } }
    public static func minLength(_ value: Int) -> Self { Self { $0.minLength = Int64(value) } }
    public static func maxLength(_ value: Int) -> Self { Self { $0.maxLength = Int64(value) } }
    public static func minItems(_ value: Int) -> Self { Self { $0.minItems = Int64(value) } }
    public static func maxItems(_ value: Int) -> Self { Self { $0.maxItems = Int64(value) } }
    public static func minProperties(_ value: Int) -> Self { Self { $0.minProperties = Int64(value) } }
    public static func maxProperties(_ value: Int) -> Self { Self { $0.maxProperties = Int64(value) } }
    public static func pattern(_ regex: String) -> Self { Self { $0.pattern = regex } }
    public static func format(_ format: String) -> Self { Self { $0.format = format } }
    public static func description(_ text: String) -> Self { Self { $0.description = text } }
    public static func nullable() -> Self { Self { $0.nullable = true } }
    public static func preserveUnknownFields() -> Self { Self { $0.xKubernetesPreserveUnknownFields = true } }
    public static func embeddedResource() -> Self {
        Self { $0.xKubernetesEmbeddedResource = true; $0.xKubernetesPreserveUnknownFields = true; $0.type = "object" }
    }
    public static func listType(_ type: ListType) -> Self {
        Self { schema in
            switch type {
            case .atomic: schema.xKubernetesListType = "atomic"
            case .set: schema.xKubernetesListType = "set"
            case .map(let keys): schema.xKubernetesListType = "map"; schema.xKubernetesListMapKeys = keys
            }
        }
    }
    public static func mapType(_ type: MapType) -> Self { Self { $0.xKubernetesMapType = type.rawValue } }
    public static func validation(
        _ rule: String, message: String? = nil, messageExpression: String? = nil, fieldPath: String? = nil,
        reason: ValidationReason? = nil, optionalOldSelf: Bool? = nil
    ) -> Self {
        Self { schema in
            schema.xKubernetesValidations = (schema.xKubernetesValidations ?? []) + [
                APIExtensions.V1.ValidationRule(
                    fieldPath: fieldPath, message: message, messageExpression: messageExpression, optionalOldSelf: optionalOldSelf,
                    reason: reason?.rawValue, rule: rule)
            ]
        }
    }
}

/// `x-kubernetes-list-type`: how server-side apply merges a list.
public enum ListType: Sendable, Hashable {
    /// Replaced as a whole (the default for lists without the marker).
    case atomic
    /// Unique scalars, merged as a set.
    case set
    /// Objects keyed by `keys` (`x-kubernetes-list-map-keys`), merged per key.
    case map(keys: [String])
}

/// `x-kubernetes-map-type`.
public enum MapType: String, Sendable, Hashable {
    case atomic, granular
}

/// The `reason` of a CEL rule: the `Status` cause kube-apiserver reports when it fails.
public enum ValidationReason: String, Sendable, Hashable {
    case fieldValueInvalid = "FieldValueInvalid"
    case fieldValueForbidden = "FieldValueForbidden"
    case fieldValueRequired = "FieldValueRequired"
    case fieldValueDuplicate = "FieldValueDuplicate"
}
