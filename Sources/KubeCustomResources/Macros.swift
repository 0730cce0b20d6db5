// The generated code names KubeCore's types (`ObjectMeta`, `KubeResource`) through this module,
// so a file that declares a custom resource needs only `import KubeCustomResources`.
@_exported import KubeCore
import KubeModels

/// Declares a custom resource: on a struct holding `spec` (and any other top-level fields), adds
/// `metadata`, `status` (of the type `status:` names), the ``KubeResource`` statics, a memberwise
/// `init(metadata:spec:…:status:)`, the Codable code (with `apiVersion` and `kind`), the root
/// schema, and a ``CustomResource`` conformance, so `Backup.customResourceDefinition` is the
/// CRD and `Api<Backup>`, informers and controllers work as with any built-in type.
///
/// ```swift
/// @CustomResource(group: "example.com", version: "v1", shortNames: ["bk"], status: BackupStatus.self,
///                 printerColumns: [.init(name: "Schedule", type: .string, jsonPath: ".spec.schedule")])
/// struct Backup { var spec: BackupSpec }
/// ```
///
/// - Parameters:
///   - group, version: where the resource is served (`/apis/<group>/<version>`).
///   - kind: defaults to the struct's name; plural: defaults to the lower-cased kind plus `s`
///     (`es`, `ies` as English asks); singular: defaults to the lower-cased kind.
///   - namespaced: `Namespaced` (the default) or `Cluster` scope.
///   - status: the status type; it gets the status subresource (spec ignored on `/status`).
///   - scale: the scale subresource's replica paths.
///   - served, storage, deprecationWarning: this version's entry when several Swift types
///     declare versions of one CRD (``CustomResourceDefinitions/definitions(for:)``).
///   - conversion: `None` or a conversion webhook, for a CRD with several versions.
///
/// Literal names are checked at compile time with kube-apiserver's rules (a group needs a dot,
/// a plural is lower-case, …); every property needs a type annotation (or an initializer
/// whose type is plain, like `7` or `Spec()`).
@attached(
    member,
    names: named(metadata), named(status), named(group), named(version), named(kind), named(plural), named(namespaced),
    named(customResourceOptions), named(kubeSchema), named(init), named(CodingKeys), named(encode(to:)))
@attached(extension, conformances: CustomResource, KubeResource, KubeObject, KubeSchemaType, Decodable, Encodable, Sendable)
public macro CustomResource(
    group: String, version: String, kind: String? = nil, plural: String? = nil, singular: String? = nil,
    namespaced: Bool = true, shortNames: [String] = [], categories: [String] = [], status: Any.Type? = nil,
    scale: ScaleSubresource? = nil, printerColumns: [PrinterColumn] = [], selectableFields: [String] = [],
    served: Bool = true, storage: Bool = true, deprecationWarning: String? = nil, conversion: ConversionStrategy = .none
) = #externalMacro(module: "KubeCustomResourcesMacros", type: "CustomResourceMacro")

/// Derives the schema of a struct (its stored properties) or of a `String` enum (its raw values)
/// used in a custom resource: conforms it to ``KubeSchemaType``. Doc comments become
/// `description`s, default values `default`s, optionals are not `required`; markers
/// (`@Minimum`, `@Pattern`, `@Validation`, …) add validation.
@attached(extension, conformances: KubeSchemaType, names: named(kubeSchema))
public macro KubeSchema() = #externalMacro(module: "KubeCustomResourcesMacros", type: "KubeSchemaMacro")

/// `minimum` (and `exclusiveMinimum` when `exclusive`).
@attached(peer) public macro Minimum(_ value: Double, exclusive: Bool = false) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `maximum` (and `exclusiveMaximum` when `exclusive`).
@attached(peer) public macro Maximum(_ value: Double, exclusive: Bool = false) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `multipleOf`.
@attached(peer) public macro MultipleOf(_ value: Double) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `minLength` of a string.
@attached(peer) public macro MinLength(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `maxLength` of a string.
@attached(peer) public macro MaxLength(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `minItems` of a list.
@attached(peer) public macro MinItems(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `maxItems` of a list.
@attached(peer) public macro MaxItems(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `minProperties` of an object or map.
@attached(peer) public macro MinProperties(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `maxProperties` of an object or map.
@attached(peer) public macro MaxProperties(_ value: Int) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `pattern`: an ECMA-262 regular expression a string must match.
@attached(peer) public macro Pattern(_ regex: String) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `format` (`date-time`, `uri`, `email`, `hostname`, `ipv4`, …; kube validates the ones it knows).
@attached(peer) public macro Format(_ format: String) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `x-kubernetes-list-type` (and `x-kubernetes-list-map-keys` for `.map(keys:)`).
@attached(peer) public macro ListType(_ type: ListType) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `x-kubernetes-map-type`.
@attached(peer) public macro MapType(_ type: MapType) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// A CEL rule (`x-kubernetes-validations`) on a property or, attached to the type, on the
/// object; a rule that reads `oldSelf` is a transition rule, checked on updates only.
@attached(peer) public macro Validation(
    _ rule: String, message: String? = nil, messageExpression: String? = nil, fieldPath: String? = nil,
    reason: ValidationReason? = nil, optionalOldSelf: Bool? = nil
) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `x-kubernetes-preserve-unknown-fields: true`: keep members the schema does not name.
@attached(peer) public macro PreserveUnknownFields() = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `x-kubernetes-embedded-resource: true`: a whole Kubernetes object (apiVersion, kind, metadata).
@attached(peer) public macro EmbeddedResource() = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// `nullable: true`: `null` is accepted (and kept) instead of being pruned.
@attached(peer) public macro Nullable() = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
/// A `description` other than the doc comment.
@attached(peer) public macro Description(_ text: String) = #externalMacro(module: "KubeCustomResourcesMacros", type: "SchemaMarkerMacro")
