/// Everything needed to address a resource type on the API server.
///
/// Typed resources get one from their static ``KubeResource`` members; dynamic
/// resources (CRDs, anything without a Swift type) get one from discovery.
public struct ResourceDescriptor: Sendable, Hashable, Codable {
    public var group: String
    public var version: String
    public var kind: String
    /// The plural name in URLs (`pods`).
    public var plural: String
    /// `true` when objects live in a namespace, `false` for cluster-scoped resources.
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var apiVersion: String { groupVersion.apiVersion }
    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
    public var groupVersionResource: GroupVersionResource {
        GroupVersionResource(group: group, version: version, resource: plural)
    }
}

/// An object that has Kubernetes metadata.
public protocol KubeObject: Codable, Sendable {
    var metadata: ObjectMeta { get set }
}

/// A Kubernetes resource type with a Swift type: `Pod`, `Deployment`, `Lease`, ...
///
/// Conforming types state where they live; `Api<K>` needs nothing else. Generated
/// models conform; so can hand-written CRD types.
public protocol KubeResource: KubeObject {
    /// The API group (`""` for the core group).
    static var group: String { get }
    static var version: String { get }
    static var kind: String { get }
    /// The plural resource name used in URLs.
    static var plural: String { get }
    /// `true` for namespaced resources.
    static var namespaced: Bool { get }
}

extension KubeResource {
    public static var apiVersion: String { GroupVersion(group: group, version: version).apiVersion }

    public static var descriptor: ResourceDescriptor {
        ResourceDescriptor(group: group, version: version, kind: kind, plural: plural, namespaced: namespaced)
    }

    public var name: String? { metadata.name }
    public var namespace: String? { metadata.namespace }
    public var resourceVersion: String? { metadata.resourceVersion }
}

/// What discovery says about one resource (`metav1.APIResource`), for a whole
/// group version: the form both the API server's discovery documents and the
/// client's discovery cache use.
public struct APIResourceInfo: Sendable, Hashable, Codable {
    public var group: String
    public var version: String
    public var kind: String
    /// The resource name (`pods`), or `pods/status` for a subresource.
    public var name: String
    public var singularName: String
    public var namespaced: Bool
    /// The verbs the resource supports: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`, `deletecollection`.
    public var verbs: [String]
    public var shortNames: [String]
    public var categories: [String]
    /// The group version of ``kind`` when it differs from the resource's own
    /// (discovery's `group`/`version` of an `APIResource`): `autoscaling/v1` for
    /// `deployments/scale` (kind `Scale`), `authentication.k8s.io/v1` for
    /// `serviceaccounts/token`. `nil` when the kind lives in ``group``/``version``.
    public var kindGroupVersion: GroupVersion?

    public init(
        group: String, version: String, kind: String, name: String, singularName: String,
        namespaced: Bool, verbs: [String], shortNames: [String] = [], categories: [String] = [],
        kindGroupVersion: GroupVersion? = nil
    ) {
        self.group = group
        self.version = version
        self.kind = kind
        self.name = name
        self.singularName = singularName
        self.namespaced = namespaced
        self.verbs = verbs
        self.shortNames = shortNames
        self.categories = categories
        self.kindGroupVersion = kindGroupVersion
    }

    /// `true` for a subresource entry such as `pods/log`.
    public var isSubresource: Bool { name.contains("/") }

    public var descriptor: ResourceDescriptor {
        ResourceDescriptor(group: group, version: version, kind: kind, plural: name, namespaced: namespaced)
    }
}
