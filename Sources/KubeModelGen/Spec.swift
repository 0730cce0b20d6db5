import Foundation

/// The OpenAPI v3 documents of one Kubernetes release, as read from
/// `kubernetes-openapi/v3/*.json` (one document per group version).
struct Spec {
    /// One group version's document.
    struct Document {
        var group: String
        var version: String
        /// Path → method (or `parameters`) → operation.
        var paths: [String: [String: Any]]
    }

    var documents: [Document]
    /// Every schema of the selected documents, by OpenAPI name.
    var schemas: [String: [String: Any]]

    /// `v1`, `v2`, ... but not `v1beta1` or `v1alpha2`.
    static func isStable(_ version: String) -> Bool {
        guard version.hasPrefix("v"), version.count > 1 else { return false }
        return version.dropFirst().allSatisfy(\.isNumber)
    }

    /// Reads every group version document in `directory`; prerelease versions
    /// only when `includePrerelease` is set.
    static func load(directory: URL, includePrerelease: Bool) throws -> Spec {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var documents: [Document] = []
        var schemas: [String: [String: Any]] = [:]
        for name in names where name.hasSuffix("_openapi.json") {
            let stem = String(name.dropLast("_openapi.json".count))
            let parts = stem.components(separatedBy: "__")
            let group: String
            let version: String
            if parts.count == 2, parts[0] == "api" {
                (group, version) = ("", parts[1])
            } else if parts.count == 3, parts[0] == "apis" {
                (group, version) = (parts[1], parts[2])
            } else if stem == "version" {
                // `/version`: only its schema (`version.Info`) is of interest.
                let root = try readJSON(directory.appendingPathComponent(name))
                merge(schemas: root, into: &schemas)
                continue
            } else {
                continue
            }
            guard includePrerelease || isStable(version) else { continue }
            let root = try readJSON(directory.appendingPathComponent(name))
            documents.append(Document(group: group, version: version, paths: root["paths"] as? [String: [String: Any]] ?? [:]))
            merge(schemas: root, into: &schemas)
        }
        guard !documents.isEmpty else { throw GeneratorError("no group version documents in \(directory.path)") }
        return Spec(documents: documents, schemas: schemas)
    }

    private static func readJSON(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw GeneratorError("\(url.lastPathComponent) is not a JSON object")
        }
        return root
    }

    private static func merge(schemas root: [String: Any], into schemas: inout [String: [String: Any]]) {
        let found = (root["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]] ?? [:]
        for (name, schema) in found where schemas[name] == nil {
            schemas[name] = schema
        }
    }
}

/// A generator failure with a message for the person running it.
public struct GeneratorError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Accessors over the untyped JSON of a schema.
extension Dictionary where Key == String, Value == Any {
    /// The referenced schema name of `{"$ref": ...}` or `{"allOf": [{"$ref": ...}]}`.
    var refName: String? {
        if let ref = self["$ref"] as? String { return ref.components(separatedBy: "/").last }
        if let all = self["allOf"] as? [[String: Any]], all.count == 1 { return all[0].refName }
        return nil
    }

    var string: (String) -> String? { { self[$0] as? String } }
    var properties: [String: [String: Any]] { self["properties"] as? [String: [String: Any]] ?? [:] }
    var required: Set<String> { Set(self["required"] as? [String] ?? []) }

    /// `x-kubernetes-group-version-kind` entries.
    var groupVersionKinds: [(group: String, version: String, kind: String)] {
        let list = self["x-kubernetes-group-version-kind"] as? [[String: Any]] ?? []
        return list.map { ($0["group"] as? String ?? "", $0["version"] as? String ?? "", $0["kind"] as? String ?? "") }
    }
}
