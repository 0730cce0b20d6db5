/// An API group and version, as in `apps/v1` or `v1` (the core group is `""`).
public struct GroupVersion: Sendable, Hashable, Codable, CustomStringConvertible {
    public var group: String
    public var version: String

    public init(group: String, version: String) {
        self.group = group
        self.version = version
    }

    /// Parses an `apiVersion` string: `v1` → core group, `apps/v1` → group `apps`.
    public init?(apiVersion: String) {
        let parts = apiVersion.split(separator: "/", omittingEmptySubsequences: false)
        switch parts.count {
        case 1 where !parts[0].isEmpty:
            self.init(group: "", version: String(parts[0]))
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty:
            self.init(group: String(parts[0]), version: String(parts[1]))
        default:
            return nil
        }
    }

    /// The `apiVersion` string: `v1` for the core group, `group/version` otherwise.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// The URL prefix: `/api/v1` for the core group, `/apis/<group>/<version>` otherwise.
    public var pathPrefix: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    public var description: String { apiVersion }
}

/// A kind in a group version: what an object *is* (`apps/v1 Deployment`).
public struct GroupVersionKind: Sendable, Hashable, Codable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var kind: String

    public init(group: String, version: String, kind: String) {
        self.group = group
        self.version = version
        self.kind = kind
    }

    public init?(apiVersion: String, kind: String) {
        guard let groupVersion = GroupVersion(apiVersion: apiVersion), !kind.isEmpty else { return nil }
        self.init(group: groupVersion.group, version: groupVersion.version, kind: kind)
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var apiVersion: String { groupVersion.apiVersion }
    public var description: String { "\(apiVersion), Kind=\(kind)" }
}

/// A resource in a group version: where objects *live* (`apps/v1 deployments`).
public struct GroupVersionResource: Sendable, Hashable, Codable, CustomStringConvertible {
    public var group: String
    public var version: String
    /// The plural resource name used in URLs, for example `deployments`.
    public var resource: String

    public init(group: String, version: String, resource: String) {
        self.group = group
        self.version = version
        self.resource = resource
    }

    public var groupVersion: GroupVersion { GroupVersion(group: group, version: version) }
    public var description: String { group.isEmpty ? "\(version)/\(resource)" : "\(group)/\(version)/\(resource)" }
}
