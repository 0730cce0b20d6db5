/// The merge semantics of one field, from the OpenAPI extensions
/// `x-kubernetes-patch-strategy`, `x-kubernetes-patch-merge-key`,
/// `x-kubernetes-list-type` and `x-kubernetes-list-map-keys`.
///
/// Strategic merge patch and server-side apply need this to know that
/// `spec.containers` merges by `name` while `args` is replaced whole.
public struct FieldSchema: Sendable, Hashable {
    public enum Shape: Sendable, Hashable {
        /// A scalar, or free-form JSON the server does not look into.
        case scalar
        /// An object of the named type.
        case object(type: String)
        /// A list; `element` names the item type when items are objects.
        case list(element: String?)
        /// A map with string keys; `element` names the value type when values are objects.
        case map(element: String?)
    }

    public var shape: Shape
    /// `merge`, `replace`, `retainKeys` or `merge,retainKeys`; `nil` when unset.
    public var patchStrategy: String?
    public var patchMergeKey: String?
    /// `atomic`, `set` or `map`; `nil` when unset.
    public var listType: String?
    public var listMapKeys: [String]
    /// `x-kubernetes-map-type: atomic` on the field or its type: the object or map is
    /// owned, replaced and tracked as one value (`LabelSelector`, `ObjectReference`, a
    /// Service's `selector`).
    public var atomic: Bool
    /// The field exists in the Go zero value of its parent (a non-pointer struct, or a
    /// field serialized without `omitempty`), so creating an object does not add it: kube's
    /// managedFields give such a node no `"."` entry of its own (`f:spec`, `f:template`,
    /// `f:containers`), where an added one has it (`f:volumes`, `f:rollingUpdate`).
    public var inZeroValue: Bool

    public init(
        shape: Shape, patchStrategy: String? = nil, patchMergeKey: String? = nil, listType: String? = nil,
        listMapKeys: [String] = [], atomic: Bool = false, inZeroValue: Bool = false
    ) {
        self.shape = shape
        self.patchStrategy = patchStrategy
        self.patchMergeKey = patchMergeKey
        self.listType = listType
        self.listMapKeys = listMapKeys
        self.atomic = atomic
        self.inZeroValue = inZeroValue
    }
}

/// The patch-relevant structure of the API types: for each schema type (by its
/// OpenAPI name, such as `io.k8s.api.core.v1.PodSpec`) the fields that are not
/// plain scalars, and which type each kind's root object is.
public struct PatchSchema: Sendable {
    /// Type name → field name → schema. Scalar fields may be left out.
    public var types: [String: [String: FieldSchema]]
    /// Kind → the type name of its root object.
    public var kinds: [GroupVersionKind: String]

    public init(types: [String: [String: FieldSchema]], kinds: [GroupVersionKind: String]) {
        self.types = types
        self.kinds = kinds
    }

    /// The schema of `field` in the type named `type`, or `nil` when unknown.
    public func field(_ field: String, in type: String) -> FieldSchema? { types[type]?[field] }
}
