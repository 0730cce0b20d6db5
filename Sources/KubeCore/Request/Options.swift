/// How fresh a list or get must be, with ``ListOptions/resourceVersion``.
public enum ResourceVersionMatch: String, Sendable, Hashable {
    /// Exactly the given `resourceVersion` (needs a `resourceVersion`).
    case exact = "Exact"
    /// Any state at least as new as the given `resourceVersion`.
    case notOlderThan = "NotOlderThan"
}

/// Query parameters of a list (`GET` on a collection).
public struct ListOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    /// Page size; `nil` asks for everything in one response.
    public var limit: Int?
    /// The `continue` token of the previous page.
    public var continueToken: String?
    /// `nil` or `""`: the latest state (a quorum read). `"0"`: any cached state.
    /// Anything else: see ``resourceVersionMatch``.
    public var resourceVersion: String?
    public var resourceVersionMatch: ResourceVersionMatch?
    public var timeoutSeconds: Int?

    public init(
        labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, limit: Int? = nil,
        continueToken: String? = nil, resourceVersion: String? = nil,
        resourceVersionMatch: ResourceVersionMatch? = nil, timeoutSeconds: Int? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = []
        items.append(ifPresent: "labelSelector", labelSelector.map(\.description).flatMap { $0.isEmpty ? nil : $0 })
        items.append(ifPresent: "fieldSelector", fieldSelector.map(\.description).flatMap { $0.isEmpty ? nil : $0 })
        items.append(ifPresent: "limit", limit.map(String.init))
        items.append(ifPresent: "continue", continueToken)
        items.append(ifPresent: "resourceVersion", resourceVersion)
        items.append(ifPresent: "resourceVersionMatch", resourceVersionMatch?.rawValue)
        items.append(ifPresent: "timeoutSeconds", timeoutSeconds.map(String.init))
        return items
    }
}

/// Query parameters of a watch (`GET ...?watch=true`).
public struct WatchOptions: Sendable, Hashable {
    public var labelSelector: LabelSelector?
    public var fieldSelector: FieldSelector?
    /// Start after this version; `nil` or `"0"` starts from "any recent state"
    /// with synthetic `ADDED` events for what exists.
    public var resourceVersion: String?
    /// Server-side end of the watch; the server picks a default (minutes) when `nil`.
    public var timeoutSeconds: Int?
    /// Ask for `BOOKMARK` events (progress notifications); on by default.
    public var allowWatchBookmarks: Bool
    /// A streaming list: initial state as `ADDED` events, then a bookmark
    /// annotated `k8s.io/initial-events-end`.
    public var sendInitialEvents: Bool?
    public var resourceVersionMatch: ResourceVersionMatch?

    public init(
        labelSelector: LabelSelector? = nil, fieldSelector: FieldSelector? = nil, resourceVersion: String? = nil,
        timeoutSeconds: Int? = nil, allowWatchBookmarks: Bool = true, sendInitialEvents: Bool? = nil,
        resourceVersionMatch: ResourceVersionMatch? = nil
    ) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.timeoutSeconds = timeoutSeconds
        self.allowWatchBookmarks = allowWatchBookmarks
        self.sendInitialEvents = sendInitialEvents
        self.resourceVersionMatch = resourceVersionMatch
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = [QueryItem("watch", "true")]
        items.append(ifPresent: "labelSelector", labelSelector.map(\.description).flatMap { $0.isEmpty ? nil : $0 })
        items.append(ifPresent: "fieldSelector", fieldSelector.map(\.description).flatMap { $0.isEmpty ? nil : $0 })
        items.append(ifPresent: "resourceVersion", resourceVersion)
        items.append(ifPresent: "resourceVersionMatch", resourceVersionMatch?.rawValue)
        items.append(ifPresent: "timeoutSeconds", timeoutSeconds.map(String.init))
        if allowWatchBookmarks { items.append(QueryItem("allowWatchBookmarks", "true")) }
        items.append(ifPresent: "sendInitialEvents", sendInitialEvents.map { $0 ? "true" : "false" })
        return items
    }
}

/// How the server validates unknown or duplicate fields in a write.
public enum FieldValidation: String, Sendable, Hashable {
    case ignore = "Ignore"
    case warn = "Warn"
    case strict = "Strict"
}

/// Query parameters of a create or replace.
public struct WriteOptions: Sendable, Hashable {
    /// Validate and run admission, but persist nothing (`dryRun=All`).
    public var dryRun: Bool
    public var fieldManager: String?
    public var fieldValidation: FieldValidation?

    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: FieldValidation? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = []
        if dryRun { items.append(QueryItem("dryRun", "All")) }
        items.append(ifPresent: "fieldManager", fieldManager)
        items.append(ifPresent: "fieldValidation", fieldValidation?.rawValue)
        return items
    }
}

/// Query parameters of a patch.
public struct PatchOptions: Sendable, Hashable {
    public var dryRun: Bool
    /// Required for server-side apply; names the owner of the applied fields.
    public var fieldManager: String?
    /// Server-side apply only: take ownership of fields other managers own.
    public var force: Bool?
    public var fieldValidation: FieldValidation?

    public init(dryRun: Bool = false, fieldManager: String? = nil, force: Bool? = nil, fieldValidation: FieldValidation? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.force = force
        self.fieldValidation = fieldValidation
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = []
        if dryRun { items.append(QueryItem("dryRun", "All")) }
        items.append(ifPresent: "fieldManager", fieldManager)
        items.append(ifPresent: "force", force.map { $0 ? "true" : "false" })
        items.append(ifPresent: "fieldValidation", fieldValidation?.rawValue)
        return items
    }
}

/// What happens to dependents when an owner is deleted.
public enum PropagationPolicy: String, Sendable, Hashable, Codable {
    case orphan = "Orphan"
    case background = "Background"
    case foreground = "Foreground"
}

/// Conditions the object must still meet for a delete to go ahead.
public struct Preconditions: Sendable, Hashable, Codable {
    public var uid: String?
    public var resourceVersion: String?

    public init(uid: String? = nil, resourceVersion: String? = nil) {
        self.uid = uid
        self.resourceVersion = resourceVersion
    }
}

/// `meta/v1.DeleteOptions`, sent as the body of a delete.
public struct DeleteOptions: Sendable, Hashable, Codable {
    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int64?
    public var preconditions: Preconditions?
    public var dryRun: Bool

    public init(
        propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil,
        preconditions: Preconditions? = nil, dryRun: Bool = false
    ) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditions = preconditions
        self.dryRun = dryRun
    }

    private enum CodingKeys: String, CodingKey {
        case apiVersion, kind, propagationPolicy, gracePeriodSeconds, preconditions, dryRun
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        propagationPolicy = try container.decodeIfPresent(PropagationPolicy.self, forKey: .propagationPolicy)
        gracePeriodSeconds = try container.decodeIfPresent(Int64.self, forKey: .gracePeriodSeconds)
        preconditions = try container.decodeIfPresent(Preconditions.self, forKey: .preconditions)
        dryRun = try container.decodeIfPresent([String].self, forKey: .dryRun)?.contains("All") ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("DeleteOptions", forKey: .kind)
        try container.encode("v1", forKey: .apiVersion)
        try container.encodeIfPresent(propagationPolicy, forKey: .propagationPolicy)
        try container.encodeIfPresent(gracePeriodSeconds, forKey: .gracePeriodSeconds)
        try container.encodeIfPresent(preconditions, forKey: .preconditions)
        if dryRun { try container.encode(["All"], forKey: .dryRun) }
    }
}

/// Query parameters of `pods/log`.
public struct LogOptions: Sendable, Hashable {
    public var container: String?
    /// Stream new lines as they are written.
    public var follow: Bool
    public var previous: Bool
    public var sinceSeconds: Int?
    public var tailLines: Int?
    public var timestamps: Bool
    public var limitBytes: Int?

    public init(
        container: String? = nil, follow: Bool = false, previous: Bool = false, sinceSeconds: Int? = nil,
        tailLines: Int? = nil, timestamps: Bool = false, limitBytes: Int? = nil
    ) {
        self.container = container
        self.follow = follow
        self.previous = previous
        self.sinceSeconds = sinceSeconds
        self.tailLines = tailLines
        self.timestamps = timestamps
        self.limitBytes = limitBytes
    }

    var queryItems: [QueryItem] {
        var items: [QueryItem] = []
        items.append(ifPresent: "container", container)
        if follow { items.append(QueryItem("follow", "true")) }
        if previous { items.append(QueryItem("previous", "true")) }
        items.append(ifPresent: "sinceSeconds", sinceSeconds.map(String.init))
        items.append(ifPresent: "tailLines", tailLines.map(String.init))
        if timestamps { items.append(QueryItem("timestamps", "true")) }
        items.append(ifPresent: "limitBytes", limitBytes.map(String.init))
        return items
    }
}

extension Array where Element == QueryItem {
    mutating func append(ifPresent name: String, _ value: String?) {
        if let value { append(QueryItem(name, value)) }
    }
}
