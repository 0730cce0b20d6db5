import Crypto
import Foundation
import KubeCore

/// Discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/<g>`, `/apis/<g>/<v>`),
/// generated from the resource registry so CRDs appear as soon as they are established.
extension APIServer {
    func discoveryAPIVersions(listener: Int) -> JSONValue {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(listenerAddress(listener))]],
        ]
    }

    func discoveryGroupList(listener: Int) -> JSONValue {
        let versions = registry.groupVersions
        let groups: [JSONValue] = registry.groupOrder.compactMap { group in
            guard !group.isEmpty, versions[group] != nil else { return nil }
            return discoveryGroup(group)
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    func discoveryGroup(_ group: String) -> JSONValue? {
        guard !group.isEmpty, let versions = registry.groupVersions[group], let preferred = versions.first else { return nil }
        let entries: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(group), "versions": .array(entries),
            "preferredVersion": ["groupVersion": .string("\(group)/\(preferred)"), "version": .string(preferred)],
        ]
    }

    func discoveryResourceList(group: String, version: String) -> JSONValue? {
        guard let infos = registry.resources(group: group, version: version) else { return nil }
        let resources: [JSONValue] = infos.map { info in
            var entry: [String: JSONValue] = [
                "name": .string(info.name), "singularName": .string(info.singularName), "namespaced": .bool(info.namespaced),
                "kind": .string(info.kind), "verbs": .array(Self.servedVerbs(info).map(JSONValue.string)),
            ]
            if !info.shortNames.isEmpty { entry["shortNames"] = .array(info.shortNames.map(JSONValue.string)) }
            if !info.categories.isEmpty { entry["categories"] = .array(info.categories.map(JSONValue.string)) }
            if let kindGroupVersion = info.kindGroupVersion {
                entry["group"] = .string(kindGroupVersion.group)
                entry["version"] = .string(kindGroupVersion.version)
            }
            // Only resources kept in storage have a hash (not reviews, bindings or
            // componentstatuses): the hash of the group/version/kind they are stored as.
            if !info.isSubresource, info.verbs.contains("watch"), Self.componentStatusVerbs[info.name] == nil {
                let stored = Self.storageVersions["\(info.group)/\(info.kind)"] ?? "\(info.group)/\(info.version)/\(info.kind)"
                let digest = SHA256.hash(data: Data(stored.utf8))
                entry["storageVersionHash"] = .string(Data(digest.prefix(8)).base64EncodedString())
            }
            return .object(entry)
        }
        let groupVersion = group.isEmpty ? version : "\(group)/\(version)"
        // kube-apiserver's core group list carries no apiVersion; the named groups' lists do.
        if group.isEmpty {
            return ["kind": "APIResourceList", "groupVersion": .string(groupVersion), "resources": .array(resources)]
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(groupVersion), "resources": .array(resources)]
    }

    /// Built-in kinds kube-apiserver stores in another group or version than every one it
    /// serves (`group/kind` → the stored `group/version/kind`), as `storageVersionHash` shows.
    static let storageVersions: [String: String] = [
        "events.k8s.io/Event": "/v1/Event",
        "apiextensions.k8s.io/CustomResourceDefinition": "apiextensions.k8s.io/v1beta1/CustomResourceDefinition",
        "autoscaling/HorizontalPodAutoscaler": "autoscaling/v2/HorizontalPodAutoscaler",
    ]

    /// `componentstatuses` is computed, not stored: get and list only, no hash.
    static let componentStatusVerbs: [String: [String]] = ["componentstatuses": ["get", "list"]]

    /// The verbs discovery lists for a resource, in the legacy and the aggregated documents alike.
    static func servedVerbs(_ info: APIResourceInfo) -> [String] { componentStatusVerbs[info.name] ?? info.verbs }
}

/// `/openapi/v3` served from a directory of the spec files kube-apiserver publishes
/// (`api__v1_openapi.json`, `apis__apps__v1_openapi.json`, ...).
struct OpenAPIDocuments: Sendable {
    /// `api/v1` → file path.
    let files: [String: String]

    /// The documents of `directory` for what the server serves: the group versions of
    /// `resources` and their groups, and the documents kube-apiserver serves besides them
    /// (`api`, `apis`, `version`, the issuer discovery paths). The spec directory also has
    /// alpha and beta versions a default kube-apiserver does not serve (recording 008).
    init(directory: String, resources: [APIResourceInfo]) {
        var served: Set<String> = ["api", "apis", "version", ".well-known/openid-configuration", "openid/v1/jwks"]
        for info in resources {
            if info.group.isEmpty {
                served.insert("api/\(info.version)")
            } else {
                served.insert("apis/\(info.group)")
                served.insert("apis/\(info.group)/\(info.version)")
            }
        }
        var files: [String: String] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix("_openapi.json") {
            let path = String(name.dropLast("_openapi.json".count)).replacingOccurrences(of: "__", with: "/")
            if served.contains(path) { files[path] = directory + "/" + name }
        }
        self.files = files
    }

    func response(for path: String) throws(APIError) -> ServerResponse {
        if path == "/openapi/v3" {
            var paths: [String: JSONValue] = [:]
            for (key, file) in files {
                let attributes = try? FileManager.default.attributesOfItem(atPath: file)
                let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
                let digest = SHA512.hash(data: Data("\(key)\(size)".utf8)).map { String(format: "%02X", $0) }.joined()
                paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(digest)")]
            }
            // kube-apiserver sends the index as text whatever the Accept header (recording 008).
            return ServerResponse(
                status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], body: .data(JSONWriter.data(["paths": .object(paths)])))
        }
        let key = String(path.dropFirst("/openapi/v3/".count))
        guard let file = files[key], let data = FileManager.default.contents(atPath: file) else { throw APIError.pathNotFound }
        return ServerResponse(status: 200, headers: [("Content-Type", "application/json"), ("Cache-Control", "public, immutable")], body: .data(data))
    }
}
