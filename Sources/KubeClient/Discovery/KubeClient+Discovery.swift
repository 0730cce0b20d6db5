import Foundation
import KubeCore
import Logging

extension KubeClient {
    /// The resources of one group version (`GET /api/v1` or `/apis/<group>/<version>`), cached.
    public func resources(in groupVersion: GroupVersion, logger: Logger? = nil) async throws -> [APIResourceInfo] {
        if let cached = await discoveryCache.resources[groupVersion] { return cached }
        let document: APIResourceListDocument = try await request(
            KubeRequest(method: .get, path: groupVersion.pathPrefix, headers: ["Accept": "application/json"], verb: "get"), logger: logger)
        let infos = document.resources.map { resource in
            APIResourceInfo(
                group: resource.group ?? groupVersion.group, version: resource.version ?? groupVersion.version, kind: resource.kind,
                name: resource.name, singularName: resource.singularName.flatMap { $0.isEmpty ? nil : $0 } ?? resource.kind.lowercased(),
                namespaced: resource.namespaced, verbs: resource.verbs ?? [], shortNames: resource.shortNames ?? [],
                categories: resource.categories ?? [])
        }
        await discoveryCache.store(resources: infos, for: groupVersion)
        return infos
    }

    /// Every group version the server serves, core first, each group's preferred version first (`/api` + `/apis`), cached.
    public func groupVersions(logger: Logger? = nil) async throws -> [(groupVersion: GroupVersion, preferred: Bool)] {
        let groups = try await discoveredGroups(logger: logger)
        return groups.flatMap { group in
            group.versions.map { (GroupVersion(group: group.name, version: $0), $0 == group.preferred) }
        }
    }

    /// Forgets everything discovery cached (new CRDs appear on the next lookup).
    public func invalidateDiscovery() async {
        await discoveryCache.clear()
    }

    /// Finds a resource the way kubectl does: by plural (`deployments`), singular (`deployment`),
    /// short name (`deploy`) or kind (`Deployment`), optionally qualified by group
    /// (`deployments.apps`) or version and group (`deployments.v1.apps`). Preferred versions and
    /// the core group win. A miss refreshes the cache once (a CRD may just have been created).
    public func resolve(_ name: String, logger: Logger? = nil) async throws -> APIResourceInfo {
        if let found = try await lookup(name, logger: logger) { return found }
        await invalidateDiscovery()
        if let found = try await lookup(name, logger: logger) { return found }
        throw KubeError(
            status: Status(
                message: "the server doesn't have a resource type \"\(name)\"", reason: StatusReason.notFound,
                details: StatusDetails(name: name), code: 404))
    }

    private func discoveredGroups(logger: Logger?) async throws -> [DiscoveryCache.Group] {
        if let groups = await discoveryCache.groups { return groups }
        let core: APIVersionsDocument = try await request(
            KubeRequest(method: .get, path: "/api", headers: ["Accept": "application/json"], verb: "get"), logger: logger)
        let named: APIGroupListDocument = try await request(
            KubeRequest(method: .get, path: "/apis", headers: ["Accept": "application/json"], verb: "get"), logger: logger)
        var groups = [DiscoveryCache.Group(name: "", versions: core.versions, preferred: core.versions.first ?? "v1")]
        for group in named.groups {
            let versions = group.versions.map(\.version)
            groups.append(.init(name: group.name, versions: versions, preferred: group.preferredVersion?.version ?? versions.first ?? ""))
        }
        await discoveryCache.store(groups: groups)
        return groups
    }

    private func lookup(_ query: String, logger: Logger?) async throws -> APIResourceInfo? {
        let parts = query.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let name = parts[0]
        var group: String?
        var version: String?
        if parts.count > 1 {
            let rest = Array(parts.dropFirst())
            if rest.count > 1, rest[0].first == "v", rest[0].dropFirst().first?.isNumber == true {
                version = rest[0]
                group = rest.dropFirst().joined(separator: ".")
            } else {
                group = rest.joined(separator: ".")
            }
        }
        let groups = try await discoveredGroups(logger: logger)
        var candidates: [APIResourceInfo] = []
        for entry in groups where group == nil || entry.name == group {
            let wanted = version.map { [$0] } ?? [entry.preferred]
            for v in wanted where entry.versions.contains(v) {
                do {
                    candidates += try await resources(in: GroupVersion(group: entry.name, version: v), logger: logger)
                        .filter { !$0.isSubresource }
                } catch let error as KubeError where error.code == .api {
                    // An aggregated API that is down (metrics.k8s.io answering 503) must not break discovery.
                    (logger ?? self.logger).warning("discovery of \(entry.name)/\(v) failed", metadata: ["error": "\(error)"])
                }
            }
        }
        let lower = name.lowercased()
        return candidates.first { $0.name == lower } ?? candidates.first { $0.singularName == lower }
            ?? candidates.first { $0.shortNames.contains(lower) } ?? candidates.first { $0.kind.lowercased() == lower }
    }
}
