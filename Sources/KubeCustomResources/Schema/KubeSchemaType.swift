import Foundation
import KubeCore
import KubeModels

/// The OpenAPI v3 schema node of a CustomResourceDefinition (`openAPIV3Schema` and everything
/// below it).
public typealias JSONSchemaProps = APIExtensions.V1.JSONSchemaProps

/// A Swift type with a structural OpenAPI schema, as a CustomResourceDefinition needs one.
///
/// `@KubeSchema` conforms structs and `String` enums; the package conforms the standard
/// types below. The contract: a value of the type, encoded with `JSONEncoder`, validates
/// against ``kubeSchema`` on kube-apiserver (so `Foundation.Date`, which encodes as a number,
/// has no conformance: use `Time`).
///
/// | Swift | schema |
/// |---|---|
/// | `String` | `type: string` |
/// | `Int`, `Int64` / `Int32` | `type: integer`, `format: int64` / `int32` |
/// | `Double` / `Float` | `type: number`, `format: double` / `float` |
/// | `Bool` | `type: boolean` |
/// | `[T]`, `Set<T>` | `type: array`, `items` (`Set`: `x-kubernetes-list-type: set`) |
/// | `[String: T]` | `type: object`, `additionalProperties` |
/// | `T?` | `T`'s schema, not `required` |
/// | `Time`, `MicroTime` | `type: string`, `format: date-time` |
/// | `IntOrString` | `x-kubernetes-int-or-string: true` |
/// | `Quantity` | `x-kubernetes-int-or-string: true` with kube's quantity pattern |
/// | `JSONValue` | `x-kubernetes-preserve-unknown-fields: true` (any JSON, kept as sent) |
public protocol KubeSchemaType {
    /// The schema of the type's JSON form.
    static var kubeSchema: JSONSchemaProps { get }
    /// `true` for `Optional`: a property of this type is not `required`.
    static var kubeSchemaIsOptional: Bool { get }
}

extension KubeSchemaType {
    public static var kubeSchemaIsOptional: Bool { false }
}

extension String: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(type: "string") }
}

extension Bool: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(type: "boolean") }
}

extension Int: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "int64", type: "integer") }
}

extension Int64: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "int64", type: "integer") }
}

extension Int32: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "int32", type: "integer") }
}

extension Double: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "double", type: "number") }
}

extension Float: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "float", type: "number") }
}

extension Optional: KubeSchemaType where Wrapped: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { Wrapped.kubeSchema }
    public static var kubeSchemaIsOptional: Bool { true }
}

extension Array: KubeSchemaType where Element: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps {
        JSONSchemaProps(items: KubeSchemaBuilder.json(Element.kubeSchema), type: "array")
    }
}

extension Set: KubeSchemaType where Element: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps {
        JSONSchemaProps(items: KubeSchemaBuilder.json(Element.kubeSchema), type: "array", xKubernetesListType: "set")
    }
}

extension Dictionary: KubeSchemaType where Key == String, Value: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps {
        JSONSchemaProps(additionalProperties: KubeSchemaBuilder.json(Value.kubeSchema), type: "object")
    }
}

extension Time: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "date-time", type: "string") }
}

extension MicroTime: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(format: "date-time", type: "string") }
}

extension IntOrString: KubeSchemaType {
    /// What controller-gen writes for `intstr.IntOrString` (the `anyOf` is the one junctor a
    /// structural schema allows beside `x-kubernetes-int-or-string`).
    public static var kubeSchema: JSONSchemaProps {
        JSONSchemaProps(
            anyOf: [JSONSchemaProps(type: "integer"), JSONSchemaProps(type: "string")], xKubernetesIntOrString: true)
    }
}

extension Quantity: KubeSchemaType {
    /// What controller-gen writes for `resource.Quantity`.
    public static var kubeSchema: JSONSchemaProps {
        JSONSchemaProps(
            anyOf: [JSONSchemaProps(type: "integer"), JSONSchemaProps(type: "string")],
            pattern: #"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"#,
            xKubernetesIntOrString: true)
    }
}

extension JSONValue: KubeSchemaType {
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(xKubernetesPreserveUnknownFields: true) }
}

extension ObjectMeta: KubeSchemaType {
    /// `metadata` of an embedded object: kube validates it itself, so the schema only says "object".
    public static var kubeSchema: JSONSchemaProps { JSONSchemaProps(type: "object") }
}
