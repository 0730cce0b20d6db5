import APIServerSemantics
import Foundation
import KubeCore

/// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (or `v=v1beta1`): the
/// server-side printing kubectl asks for, with kube's per-kind columns
/// (`APIServerSemantics.TableRenderer`) and, for custom resources, the CRD version's
/// `additionalPrinterColumns`.
struct TableOutput: Sendable {
    /// `v1` or `v1beta1`.
    var version: String
    var includeObject: TableRenderer.IncludeObject
    var resource: ServedResource
    /// The CRD's printer columns for a custom resource (`nil` for built-ins).
    var printerColumns: [JSONValue]?

    /// The Table version the Accept header asks for; `nil` when it asks for plain JSON.
    /// 406 when it asks only for something else.
    static func requestedVersion(_ request: ServerRequest) throws(APIError) -> String? {
        guard let accept = request.headers["accept"], accept.contains("as=Table") else { return nil }
        var tableVersion: String?
        var acceptsPlainJSON = false
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=Table") && params.contains("g=meta.k8s.io") {
                if params.contains("v=v1") { tableVersion = "v1" }
                if params.contains("v=v1beta1") && tableVersion == nil { tableVersion = "v1beta1" }
            } else if params.first == "application/json" || params.first == "*/*", !params.contains(where: { $0.hasPrefix("as=") }) {
                acceptsPlainJSON = true
            }
        }
        guard let tableVersion else {
            if acceptsPlainJSON { return nil }
            throw APIError.notAcceptable(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"])
        }
        return tableVersion
    }

    /// The rows (and columns) for `items`.
    func table(_ items: [JSONValue], listMetadata: JSONValue, now: Date = Date()) -> JSONValue {
        var table: JSONValue
        if let printerColumns {
            table = TableRenderer.table(
                objects: items, printerColumns: printerColumns, listMetadata: listMetadata, includeObject: includeObject, now: now)
        } else {
            table = TableRenderer.table(
                resource: resource.plural, group: resource.group, objects: items, listMetadata: listMetadata,
                includeObject: includeObject, now: now)
        }
        if version != "v1" {
            let apiVersion = JSONValue.string("meta.k8s.io/\(version)")
            table["apiVersion"] = apiVersion
            if case .array(var rows)? = table["rows"] {
                for index in rows.indices where rows[index]["object"]?["kind"] == "PartialObjectMetadata" {
                    rows[index]["object"]?["apiVersion"] = apiVersion
                }
                table["rows"] = .array(rows)
            }
        }
        return table
    }
}

extension APIServer {
    /// The Table form the request asks for, or `nil` for plain JSON.
    func tableOutput(_ request: ServerRequest, resource: ServedResource) async throws(APIError) -> TableOutput? {
        guard let version = try TableOutput.requestedVersion(request) else { return nil }
        let includeObject = TableRenderer.IncludeObject(rawValue: request.queryValue("includeObject") ?? "Metadata") ?? .metadata
        return TableOutput(
            version: version, includeObject: includeObject, resource: resource,
            printerColumns: await customPrinterColumns(resource))
    }

    /// `additionalPrinterColumns` of the CRD version serving `resource`; `nil` for built-ins.
    private func customPrinterColumns(_ resource: ServedResource) async -> [JSONValue]? {
        guard !resource.group.isEmpty, !TableRenderer.hasPrinter(resource: resource.plural, group: resource.group),
            let crds = registry.resource(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions"),
            let crd = try? await store.get(crds, namespace: nil, name: "\(resource.plural).\(resource.group)")
        else { return nil }
        let version = crd["spec"]?["versions"]?.arrayValue?.first { $0["name"]?.stringValue == resource.version }
        return version?["additionalPrinterColumns"]?.arrayValue ?? []
    }
}
