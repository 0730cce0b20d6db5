import Foundation

/// `meta/v1.ObjectMeta`: the metadata every persisted object carries.
///
/// Absent fields stay `nil` and are omitted when encoding, so a decoded object
/// re-encodes to the same JSON.
public struct ObjectMeta: Codable, Sendable, Hashable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Time?
    public var deletionTimestamp: Time?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: [ManagedFieldsEntry]?
    public var selfLink: String?

    public init(
        name: String? = nil, generateName: String? = nil, namespace: String? = nil,
        uid: String? = nil, resourceVersion: String? = nil, generation: Int64? = nil,
        creationTimestamp: Time? = nil, deletionTimestamp: Time? = nil,
        deletionGracePeriodSeconds: Int64? = nil, labels: [String: String]? = nil,
        annotations: [String: String]? = nil, ownerReferences: [OwnerReference]? = nil,
        finalizers: [String]? = nil, managedFields: [ManagedFieldsEntry]? = nil, selfLink: String? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
        self.managedFields = managedFields
        self.selfLink = selfLink
    }
}

/// `meta/v1.ListMeta`: the metadata of a list response.
public struct ListMeta: Codable, Sendable, Hashable {
    public var resourceVersion: String?
    /// The token for the next page; `nil` or empty on the last page.
    public var `continue`: String?
    public var remainingItemCount: Int64?
    public var selfLink: String?

    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}

/// `meta/v1.OwnerReference`: links a dependent object to its owner (garbage
/// collection, and how controllers find the owner of an event).
public struct OwnerReference: Codable, Sendable, Hashable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil, blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `meta/v1.ManagedFieldsEntry`: which manager owns which fields (server-side apply).
/// `fieldsV1` is rarely read and expensive to model: the fast reader keeps it as
/// the bytes it read (``fieldsV1Raw``) and ``fieldsV1`` parses them on demand.
public struct ManagedFieldsEntry: Codable, Sendable, Hashable {
    public var manager: String?
    public var operation: String?
    public var apiVersion: String?
    public var time: Time?
    public var fieldsType: String?
    /// `fieldsV1` as kept: raw bytes when read by ``JSONReader``, else a value.
    public var fieldsV1Raw: RawJSON?
    public var subresource: String?

    /// The `fieldsV1` tree (`{"f:metadata":{"f:labels":{...}}}`), parsed when read.
    public var fieldsV1: JSONValue? {
        get { fieldsV1Raw?.value }
        set { fieldsV1Raw = newValue.map(RawJSON.init) }
    }

    public init(
        manager: String? = nil, operation: String? = nil, apiVersion: String? = nil, time: Time? = nil,
        fieldsType: String? = nil, fieldsV1: JSONValue? = nil, subresource: String? = nil
    ) {
        self.manager = manager
        self.operation = operation
        self.apiVersion = apiVersion
        self.time = time
        self.fieldsType = fieldsType
        self.fieldsV1Raw = fieldsV1.map(RawJSON.init)
        self.subresource = subresource
    }

    private enum CodingKeys: String, CodingKey {
        case manager, operation, apiVersion, time, fieldsType, fieldsV1Raw = "fieldsV1", subresource
    }
}
