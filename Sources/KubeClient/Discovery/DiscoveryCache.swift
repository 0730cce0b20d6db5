import Foundation
import KubeCore
import Logging

/// What discovery knows: the API groups with their preferred versions, and the
/// resources of each group version fetched so far.
actor DiscoveryCache {
    struct Group: Sendable {
        var name: String
        var versions: [String]
        var preferred: String
    }

    var groups: [Group]?
    var resources: [GroupVersion: [APIResourceInfo]] = [:]

    func store(groups: [Group]) { self.groups = groups }
    func store(resources: [APIResourceInfo], for groupVersion: GroupVersion) { self.resources[groupVersion] = resources }
    func clear() {
        groups = nil
        resources = [:]
    }
}

/// The wire forms of `/api` (`APIVersions`), `/apis` (`APIGroupList`) and
/// `/api/v1`, `/apis/<g>/<v>` (`APIResourceList`).
struct APIVersionsDocument: Decodable {
    var versions: [String]
}

struct APIGroupListDocument: Decodable {
    struct GroupVersionForDiscovery: Decodable {
        var groupVersion: String
        var version: String
    }
    struct APIGroup: Decodable {
        var name: String
        var versions: [GroupVersionForDiscovery]
        var preferredVersion: GroupVersionForDiscovery?
    }
    var groups: [APIGroup]
}

struct APIResourceListDocument: Decodable {
    struct APIResource: Decodable {
        var name: String
        var singularName: String?
        var namespaced: Bool
        var group: String?
        var version: String?
        var kind: String
        var verbs: [String]?
        var shortNames: [String]?
        var categories: [String]?
    }
    var groupVersion: String
    var resources: [APIResource]
}
