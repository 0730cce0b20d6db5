import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeYAML

extension Kubectl {
    /// `whoami`: SelfSubjectReview, or the token's claims when the API is not available.
    func whoami(tokenPath: String?, format: ReportFormat) async throws {
        var rows: [[String]] = [["ATTRIBUTE", "VALUE"]]
        var json: [String: JSONValue] = [:]
        do {
            let review = try await Api<Authentication.V1.SelfSubjectReview>.cluster(client).create(Authentication.V1.SelfSubjectReview())
            let info = review.status?.userInfo
            rows.append(["Username", info?.username ?? ""])
            if let uid = info?.uid, !uid.isEmpty { rows.append(["UID", uid]) }
            rows.append(["Groups", "[" + (info?.groups ?? []).joined(separator: " ") + "]"])
            for (key, values) in (info?.extra ?? [:]).sorted(by: { $0.key < $1.key }) {
                rows.append(["Extra: \(key)", "[" + values.joined(separator: " ") + "]"])
            }
            json = ["source": "SelfSubjectReview", "userInfo": (try? JSONValue(encoding: info)) ?? .null]
        } catch let error as KubeError where error.isNotFound || error.isForbidden {
            guard let tokenPath, let text = try? String(contentsOfFile: tokenPath, encoding: .utf8) else { throw error }
            let claims = try TokenClaims(jwt: text)
            rows.append(["Username", claims.subject ?? ""])
            rows.append(["Source", "token claims (SelfSubjectReview: \(error.message))"])
            json = ["source": "token", "userInfo": ["username": .string(claims.subject ?? "")]]
        }
        switch format {
        case .text: for line in renderTable(rows) { console.line(line) }
        case .json: console.line(Self.prettyJSON(JSONValue.object(json)))
        }
    }

    /// `can-i VERB RESOURCE [NAME]`: prints `yes` or `no` (with the server's reason) and returns the answer.
    func canI(_ need: PermissionNeed) async throws -> PermissionAnswer {
        let answer: PermissionAnswer
        do { answer = try await Permissions.check(need, client: client, defaultNamespace: client.namespace) } catch let error as KubeError
            where error.isNotFound && error.status?.details?.name == need.resource.split(separator: "/").first.map(String.init)
        {
            throw ProbeError(.failed, "the server doesn't have a resource type \"\(need.resource)\"")
        }
        console.line(answer.allowed ? "yes" : "no" + (answer.reason.map { " - \($0)" } ?? ""))
        return answer
    }

    /// `apply -f FILE --server-side`: every document of a YAML or JSON file, as server-side apply with field manager `kubeprobe`.
    func apply(file: String, force: Bool, namespace: String?) async throws {
        let text: String
        do {
            text = file == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                : try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ProbeError(.fileSystem, "cannot read \(file): \(error.localizedDescription)")
        }
        let documents = try Self.parseDocuments(text, source: file)
        guard !documents.isEmpty else { throw ProbeError(.usage, "\(file) holds no objects") }
        for document in documents {
            guard let apiVersion = document["apiVersion"]?.stringValue, let kind = document["kind"]?.stringValue,
                let name = document["metadata"]?["name"]?.stringValue, !name.isEmpty
            else {
                throw ProbeError(.usage, "\(file): every object needs apiVersion, kind and metadata.name")
            }
            let info = try await resolveKind(apiVersion: apiVersion, kind: kind)
            let objectNamespace = info.namespaced ? (document["metadata"]?["namespace"]?.stringValue ?? namespace ?? client.namespace) : nil
            let api = DynamicApi(client, resource: info.descriptor, namespace: objectNamespace)
            var body = document
            if let objectNamespace { body["metadata"]?["namespace"] = .string(objectNamespace) }
            let applied = try await api.patch(name, .apply(body), options: PatchOptions(fieldManager: "kubeprobe", force: force ? true : nil))
            console.line("\(Self.qualifiedName(applied, info: info)) serverside-applied")
        }
    }

    /// The resource serving `kind` in `apiVersion`.
    func resolveKind(apiVersion: String, kind: String) async throws -> APIResourceInfo {
        let parts = apiVersion.split(separator: "/").map(String.init)
        let groupVersion = parts.count == 2 ? GroupVersion(group: parts[0], version: parts[1]) : GroupVersion(group: "", version: parts.first ?? "v1")
        let resources: [APIResourceInfo]
        do { resources = try await client.resources(in: groupVersion) } catch let error as KubeError where error.isNotFound {
            throw ProbeError(.failed, "the server does not serve \(apiVersion)")
        }
        guard let info = resources.first(where: { $0.kind == kind && !$0.isSubresource }) else {
            throw ProbeError(.failed, "the server doesn't have a resource for kind \"\(kind)\" in \(apiVersion)")
        }
        return info
    }

    /// The objects of a YAML stream (`---`-separated) or JSON text; `List` kinds are unpacked.
    static func parseDocuments(_ text: String, source: String) throws(ProbeError) -> [JSONValue] {
        let values: [JSONValue]
        do { values = try YAMLToJSON.documents(text) } catch {
            throw ProbeError(.usage, "\(source) is not YAML or JSON: \(error)")
        }
        return values.flatMap { value -> [JSONValue] in
            if value["kind"]?.stringValue?.hasSuffix("List") == true, let items = value["items"]?.arrayValue { return items }
            return [value]
        }
    }
}
