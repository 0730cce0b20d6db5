import KubeCore
import KubeCustomResources
import KubeModels

// The corpus: every type and marker the schema derivation handles, declared the way a user
// would. The tests read the generated schemas value by value and send them to KubeTestServer.

/// How often a backup runs.
@KubeSchema
enum Frequency: String, Codable, Sendable, Hashable {
    case hourly, daily
    case weekly = "Weekly"
}

/// Where a backup goes.
@KubeSchema
struct Target: Codable, Sendable, Hashable {
    /// The bucket's name.
    @MinLength(3) @MaxLength(63) @Pattern("^[a-z0-9.-]+$")
    var bucket: String
    var prefix: String?
    @Format("uri") var endpoint: String?
}

@KubeSchema
struct NamedPort: Codable, Sendable, Hashable {
    var name: String
    @Minimum(1) @Maximum(65535) var port: Int32
}

/// A condition of the status, as `metav1.Condition` has it.
@KubeSchema
struct BackupCondition: Codable, Sendable, Hashable {
    var type: String
    @Validation("self == 'True' || self == 'False' || self == 'Unknown'", message: "status must be True, False or Unknown")
    var status: String
    var reason: String?
    var message: String?
    var observedGeneration: Int64?
    var lastTransitionTime: Time?
}

/// What a Backup should do.
///
/// A second paragraph.
@KubeSchema
@Validation("self.keep >= self.minKeep", message: "keep must be at least minKeep", fieldPath: ".keep", reason: .fieldValueInvalid)
struct BackupSpec: Codable, Sendable, Hashable {
    /// A cron schedule,
    /// in five fields.
    @MinLength(9)
    var schedule: String
    /// How many backups to keep.
    @Minimum(1) @Maximum(100) var keep: Int = 7
    var minKeep: Int32 = 1
    /// Retries of a failed run; the server fills in 3 when it is left out.
    var retries: Int? = 3
    var ratio: Double?
    @Minimum(0, exclusive: true) @Maximum(1, exclusive: true) var sample: Float?
    var suspend = false
    var frequency: Frequency = .daily
    var target: Target?
    @MinItems(1) @MaxItems(5) @ListType(.set) var tags: [String]?
    @ListType(.map(keys: ["name"])) var ports: [NamedPort]?
    @MapType(.atomic) @MaxProperties(10) var labels: [String: String]?
    var notBefore: Time?
    var window: IntOrString?
    var size: Quantity?
    var raw: JSONValue?
    @PreserveUnknownFields var extra: [String: String]?
    @Validation("self == oldSelf", message: "region is immutable") var region: String?
    @MultipleOf(5) var retentionDays: Int64?
    @Nullable var note: String?
    /// This doc comment is replaced.
    @Description("Free text.") var comment: String?
    var replicas: Int32?
    var matrix: [[Int]]?
    var uniqueNames: Set<String>?
    var computed: Int { keep * 2 }
    static let ignored = 1
}

@KubeSchema
struct BackupStatus: Codable, Sendable, Hashable {
    var observedGeneration: Int64?
    @ListType(.map(keys: ["type"])) var conditions: [BackupCondition]?
    var replicas: Int32?
    var lastBackup: Time?
}

/// A scheduled backup of a bucket.
@CustomResource(
    group: "backup.example.com", version: "v1", shortNames: ["bk"], categories: ["all", "backups"], status: BackupStatus.self,
    scale: ScaleSubresource(specReplicasPath: ".spec.replicas", statusReplicasPath: ".status.replicas"),
    printerColumns: [
        PrinterColumn(name: "Schedule", type: .string, jsonPath: ".spec.schedule"),
        PrinterColumn(name: "Keep", type: .integer, jsonPath: ".spec.keep", priority: 1),
    ],
    selectableFields: [".spec.schedule"])
struct Backup {
    var spec: BackupSpec
}

// JSON names from CodingKeys.
@KubeSchema
struct Renamed: Codable, Sendable, Hashable {
    var displayName: String
    var internalOnly: String? = nil
    enum CodingKeys: String, CodingKey {
        case displayName = "display-name"
    }
}

// Several versions of one cluster-scoped resource, the older one served but not stored.
@KubeSchema
struct PolicySpecV1alpha1: Codable, Sendable, Hashable {
    var maxSize: Int
}

@KubeSchema
struct PolicySpec: Codable, Sendable, Hashable {
    @Minimum(0) var maxSize: Int
    var renamed: Renamed?
}

@CustomResource(
    group: "example.com", version: "v1alpha1", kind: "StoragePolicy", plural: "storagepolicies", namespaced: false,
    storage: false, deprecationWarning: "example.com/v1alpha1 StoragePolicy is deprecated; use example.com/v1")
struct StoragePolicyV1alpha1 {
    var spec: PolicySpecV1alpha1
}

@CustomResource(
    group: "example.com", version: "v1", kind: "StoragePolicy", plural: "storagepolicies", namespaced: false,
    conversion: .webhook(.service(namespace: "ops", name: "policy-webhook", path: "/convert")))
struct StoragePolicyV1 {
    var spec: PolicySpec
}

// Plural defaults: Policy → policies, Box → boxes.
@KubeSchema
struct EmptySpec: Codable, Sendable, Hashable {}

@CustomResource(group: "example.com", version: "v1")
struct Policy {
    var spec: EmptySpec
}

@CustomResource(group: "example.com", version: "v1", namespaced: false)
struct Box {
    var spec = EmptySpec()
    /// A top-level field beside spec.
    var data: [String: String]?
}
