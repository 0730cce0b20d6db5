import Foundation
import KubeCore

/// Which discovery document `/api` and `/apis` answer with.
enum DiscoveryForm: Sendable, Equatable {
    /// `APIVersions` / `APIGroupList`.
    case legacy
    /// `apidiscovery.k8s.io/v2` `APIGroupDiscoveryList` (what current kubectl and client-go ask for first).
    case aggregated

    static let aggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

    /// The first Accept entry the server can serve; `v2beta1` is no longer served, so it is
    /// skipped (406 when nothing else is acceptable).
    static func negotiate(_ request: ServerRequest) throws(APIError) -> DiscoveryForm {
        let ranges = MediaRange.parse(request.headers["accept"])
        if ranges.isEmpty { return .legacy }
        for range in ranges {
            switch range.type {
            case "application/json", "application/vnd.kubernetes.protobuf", "application/yaml", "*/*":
                if range.isPlain { return .legacy }
                if range.type == "application/json", range.parameters["as"] == "APIGroupDiscoveryList",
                    range.parameters["g"] == "apidiscovery.k8s.io", range.parameters["v"] == "v2"
                {
                    return .aggregated
                }
            default:
                continue
            }
        }
        throw APIError.notAcceptable(ResponseForm.serializers)
    }
}

/// Aggregated discovery (`apidiscovery.k8s.io/v2`): every group, version and resource in
/// one document, built from the same registry as the legacy documents.
extension APIServer {
    func aggregatedDiscovery(core: Bool) -> JSONValue {
        let groupVersions = registry.groupVersions
        var items: [JSONValue] = []
        let groups = core ? [""] : registry.groupOrder.filter { !$0.isEmpty }
        for group in groups {
            guard let versions = groupVersions[group] else { continue }
            let versionEntries: [JSONValue] = versions.compactMap { version in
                guard let infos = registry.resources(group: group, version: version) else { return nil }
                return ["version": .string(version), "resources": .array(discoveryResources(infos)), "freshness": "Current"]
            }
            let metadata: JSONValue = group.isEmpty ? [:] : ["name": .string(group)]
            items.append(["metadata": metadata, "versions": .array(versionEntries)])
        }
        return ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": [:], "items": .array(items)]
    }

    private func discoveryResources(_ infos: [APIResourceInfo]) -> [JSONValue] {
        var subresources: [String: [JSONValue]] = [:]
        for info in infos where info.isSubresource {
            let parts = info.name.split(separator: "/", maxSplits: 1).map(String.init)
            subresources[parts[0], default: []].append([
                "subresource": .string(parts[1]), "responseKind": responseKind(info), "verbs": .array(info.verbs.map(JSONValue.string)),
            ])
        }
        return infos.filter { !$0.isSubresource }.sorted { $0.name < $1.name }.map { info in
            var entry: [String: JSONValue] = [
                "resource": .string(info.name), "responseKind": responseKind(info),
                "scope": info.namespaced ? "Namespaced" : "Cluster", "singularResource": .string(info.singularName),
                "verbs": .array(Self.servedVerbs(info).map(JSONValue.string)),
            ]
            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map(JSONValue.string)) }
            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map(JSONValue.string)) }
            if let subs = subresources[info.name], !subs.isEmpty {
                entry["subresources"] = .array(subs.sorted { ($0["subresource"]?.stringValue ?? "") < ($1["subresource"]?.stringValue ?? "") })
            }
            return .object(entry)
        }
    }

    /// Group and version are empty unless the kind lives elsewhere (`serviceaccounts/token` → TokenRequest).
    private func responseKind(_ info: APIResourceInfo) -> JSONValue {
        [
            "group": .string(info.kindGroupVersion?.group ?? ""), "version": .string(info.kindGroupVersion?.version ?? ""),
            "kind": .string(info.kind),
        ]
    }
}
