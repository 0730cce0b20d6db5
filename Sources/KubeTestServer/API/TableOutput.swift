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
    /// The Table of `version` for the request (its `includeObject`, the resource's columns).
    func tableOutput(_ request: ServerRequest, version: String, resource: ServedResource) async throws(APIError) -> TableOutput {
        let text = request.queryValue("includeObject") ?? ""
        let parsed: TableRenderer.IncludeObject? = text.isEmpty ? .metadata : TableRenderer.IncludeObject(rawValue: text)
        guard let includeObject = parsed else {
            throw APIError.badRequest(
                "Unable to convert to Table as requested: includeObject: Invalid value: \"\(text)\": must be 'Metadata', 'Object', 'None', or empty")
        }
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
