import Foundation
import KubeClient
import KubeCore
import Yams

/// How `get` and `watch` print objects.
enum ObjectFormat: String, CaseIterable, Sendable {
    case table, wide, json, yaml, name

    init(parsing text: String?) throws(ProbeError) {
        guard let text else {
            self = .table
            return
        }
        guard let format = ObjectFormat(rawValue: text), format != .table else {
            throw ProbeError(.usage, "unknown output format \"\(text)\"; expected one of: wide, json, yaml, name")
        }
        self = format
    }
}

/// The small kubectl's verbs, shared by the commands and the demo.
struct Kubectl: Sendable {
    let client: KubeClient
    let console: Console

    /// Resolves a resource name through discovery, with kubectl's error for an unknown one.
    func resolve(_ resource: String) async throws -> APIResourceInfo {
        do { return try await client.resolve(resource) } catch let error as KubeError where error.isNotFound {
            throw ProbeError(.failed, "the server doesn't have a resource type \"\(resource)\"")
        }
    }

    static func parseSelector(_ text: String?) throws(ProbeError) -> LabelSelector? {
        guard let text, !text.isEmpty else { return nil }
        do { return try LabelSelector(parsing: text) } catch { throw ProbeError(.usage, "malformed label selector \"\(text)\": \(error.message)") }
    }

    /// `get RESOURCE [NAME]`.
    func get(resource: String, name: String?, namespace: String?, allNamespaces: Bool, selector: LabelSelector?, format: ObjectFormat) async throws {
        let info = try await resolve(resource)
        let scope: String? = info.namespaced ? (allNamespaces ? nil : (namespace ?? client.namespace)) : nil
        if let name {
            guard !(allNamespaces && info.namespaced) else { throw ProbeError(.usage, "a resource cannot be retrieved by name across all namespaces") }
            let object = try await DynamicApi(client, resource: info.descriptor, namespace: scope).get(name)
            print([object], info: info, format: format, showNamespace: false, single: true)
            return
        }
        let api = DynamicApi(client, resource: info.descriptor, namespace: scope)
        var items: [DynamicObject] = []
        for try await object in api.listAll(ListOptions(labelSelector: selector)) { items.append(object) }
        if items.isEmpty, format == .table || format == .wide {
            FileHandle.standardError.write(Data((scope.map { "No resources found in \($0) namespace.\n" } ?? "No resources found\n").utf8))
            return
        }
        print(items, info: info, format: format, showNamespace: allNamespaces && info.namespaced, single: false)
    }

    func print(_ objects: [DynamicObject], info: APIResourceInfo, format: ObjectFormat, showNamespace: Bool, single: Bool) {
        switch format {
        case .table, .wide:
            let table = ResourceTable(resource: info, wide: format == .wide, showNamespace: showNamespace)
            for line in renderTable([table.header] + objects.map(table.row)) { console.line(line) }
        case .name:
            for object in objects { console.line(Self.qualifiedName(object, info: info)) }
        case .json:
            let value: JSONValue = single ? objects[0].jsonValue
                : ["apiVersion": "v1", "kind": "List", "items": .array(objects.map(\.jsonValue)), "metadata": ["resourceVersion": ""]]
            console.line(Self.prettyJSON(value))
        case .yaml:
            let value: JSONValue = single ? objects[0].jsonValue
                : ["apiVersion": "v1", "kind": "List", "items": .array(objects.map(\.jsonValue)), "metadata": ["resourceVersion": ""]]
            console.write(value.yamlText)
        }
    }

    /// `pod/web`, `deployment.apps/web`.
    static func qualifiedName(_ object: DynamicObject, info: APIResourceInfo) -> String {
        let kind = info.kind.lowercased() + (info.group.isEmpty ? "" : "." + info.group)
        return "\(kind)/\(object.metadata.name ?? "")"
    }

    static func prettyJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func compactJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
