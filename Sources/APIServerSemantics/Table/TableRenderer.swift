import Foundation
import KubeCore

/// The `meta.k8s.io/v1` `Table` kube-apiserver returns for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`,
/// with the columns of kube's built-in printers (`pkg/printers/internalversion/printers.go`).
///
/// Printers exist for pods, services, deployments, replicasets, statefulsets, daemonsets,
/// jobs, cronjobs, configmaps, secrets, namespaces, nodes, serviceaccounts, events, leases,
/// endpoints, endpointslices, roles, clusterroles, rolebindings and clusterrolebindings;
/// every other resource (custom resources included) gets `Name` and `Age`, as custom
/// resources without `additionalPrinterColumns` do. Priority-1 columns are what `-o wide` adds.
public enum TableRenderer {
    /// The `includeObject` parameter of a table request.
    public enum IncludeObject: String, Sendable {
        case none = "None"
        /// The default: each row carries a `PartialObjectMetadata`.
        case metadata = "Metadata"
        case object = "Object"
    }

    /// A table of `objects`, all of `resource` (plural, `pods`) in API group `group`.
    ///
    /// - Parameters:
    ///   - listMetadata: `metadata` of the list (`resourceVersion`, `continue`, ...), copied.
    ///   - now: the time ages are measured against.
    public static func table(
        resource: String, group: String, objects: [JSONValue], listMetadata: JSONValue = .object([:]),
        includeObject: IncludeObject = .metadata, now: Date
    ) -> JSONValue {
        render(
            TablePrinter.for(resource: resource, group: group), objects: objects, listMetadata: listMetadata,
            includeObject: includeObject, now: now)
    }

    /// Whether `resource` in `group` has a dedicated printer (otherwise Name and Age).
    public static func hasPrinter(resource: String, group: String) -> Bool {
        TablePrinter.printers[TablePrinter.Key(group: group, resource: resource)] != nil
    }
}

struct Column: Sendable {
    var name: String
    var type: String = "string"
    var format: String = ""
    var priority: Int = 0
    var description: String = ""

    static let nameColumn = Column(
        name: "Name", format: "name",
        description: "Name must be unique within a namespace. Is required when creating resources, although some "
            + "resources may allow a client to request the generation of an appropriate name automatically. Name is "
            + "primarily intended for creation idempotence and configuration definition. Cannot be updated. More "
            + "info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
    static let ageColumn = Column(
        name: "Age",
        description: "CreationTimestamp is a timestamp representing the server time when this object was created. It "
            + "is not guaranteed to be set in happens-before order across separate operations. Clients may not set "
            + "this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
            + "Null for lists. More info: "
            + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")
    static func string(_ name: String, priority: Int = 0, _ description: String = "") -> Column {
        Column(name: name, priority: priority, description: description)
    }
    static func integer(_ name: String, priority: Int = 0, _ description: String = "") -> Column {
        Column(name: name, type: "integer", priority: priority, description: description)
    }
}

struct TablePrinter: Sendable {
    struct Key: Hashable {
        var group: String
        var resource: String
    }

    var columns: [Column]
    var cells: @Sendable (JSONValue, Date) -> [JSONValue]
    /// kube's default table convertor (`Name`, `Created At`) appends rows to a nil slice, so an
    /// empty list renders `"rows": null`; the printers of `printers.go` render `[]`.
    var emptyRowsAreNull = false

    static func `for`(resource: String, group: String) -> TablePrinter {
        printers[Key(group: group, resource: resource)] ?? TablePrinter(
            columns: [.nameColumn, .ageColumn],
            cells: { object, now in [name(object), .string(age(object["metadata"]?["creationTimestamp"], now: now))] })
    }
}

// MARK: - Cell helpers shared by the printers

func name(_ object: JSONValue) -> JSONValue { .string(object["metadata"]?["name"]?.stringValue ?? "") }

func creationAge(_ object: JSONValue, _ now: Date) -> JSONValue {
    .string(age(object["metadata"]?["creationTimestamp"], now: now))
}

func int(_ value: JSONValue?) -> Int64 { value?.intValue ?? 0 }

func orNone(_ text: String?) -> String { (text?.isEmpty ?? true) ? "<none>" : text! }

/// metav1 `FormatLabelSelector`.
func formatLabelSelector(_ selector: JSONValue?) -> String {
    guard let selector else { return "<none>" }
    var parts: [String] = []
    for (key, value) in (selector["matchLabels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
        parts.append("\(key)=\(value.stringValue ?? "")")
    }
    for expression in selector["matchExpressions"]?.arrayValue ?? [] {
        let key = expression["key"]?.stringValue ?? ""
        let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted().joined(separator: ",")
        switch expression["operator"]?.stringValue {
        case "In": parts.append("\(key) in (\(values))")
        case "NotIn": parts.append("\(key) notin (\(values))")
        case "Exists": parts.append(key)
        case "DoesNotExist": parts.append("!\(key)")
        default: continue
        }
    }
    return parts.isEmpty ? "<none>" : parts.joined(separator: ",")
}

/// A `map[string]string` selector as `k=v,…` sorted by key (labels.FormatLabels).
func formatLabels(_ labels: JSONValue?) -> String {
    let pairs = (labels?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }
    return pairs.isEmpty ? "<none>" : pairs.joined(separator: ",")
}

/// The Containers and Images cells of workload printers.
func containersAndImages(_ podSpec: JSONValue?) -> [JSONValue] {
    let containers = podSpec?["containers"]?.arrayValue ?? []
    return [
        .string(containers.compactMap { $0["name"]?.stringValue }.joined(separator: ",")),
        .string(containers.compactMap { $0["image"]?.stringValue }.joined(separator: ",")),
    ]
}

func timestampRFC3339(_ value: JSONValue?) -> String {
    guard let text = value?.stringValue, let date = RFC3339.parse(text) else { return "" }
    return Time(date).description
}
