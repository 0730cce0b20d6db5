import Foundation
import KubeCore

/// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: the server-side printing
/// kubectl asks for. Without per-kind columns this is kube's default table
/// (`Name`, `Created At`), the same one kube-apiserver serves for CRDs without
/// `additionalPrinterColumns`.
enum TableOutput {
    /// The Table for `items` when the Accept header asks for one (`nil` otherwise).
    static func negotiate(_ request: ServerRequest, resource: ServedResource, items: [JSONValue], listMeta: [String: JSONValue], single: Bool) throws(APIError) -> JSONValue? {
        guard let accept = request.headers["accept"], accept.contains("as=Table") else { return nil }
        var tableVersion: String?
        var acceptsPlainJSON = false
        for entry in accept.split(separator: ",") {
            let params = entry.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=Table") && params.contains("g=meta.k8s.io") {
                if params.contains("v=v1") { tableVersion = tableVersion ?? "v1" }
                if params.contains("v=v1beta1") && tableVersion == nil { tableVersion = "v1beta1" }
            } else if params.first == "application/json" || params.first == "*/*" {
                acceptsPlainJSON = true
            }
        }
        guard let tableVersion else {
            if acceptsPlainJSON { return nil }
            throw APIError.notAcceptable(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"])
        }
        let includeObject = request.queryValue("includeObject") ?? "Metadata"
        let columns: [JSONValue] = [
            ["name": "Name", "type": "string", "format": "name", "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names", "priority": 0],
            ["name": "Created At", "type": "date", "format": "", "description": "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata", "priority": 0],
        ]
        let rows: [JSONValue] = items.map { item in
            var row: [String: JSONValue] = [
                "cells": [item["metadata"]?["name"] ?? "", item["metadata"]?["creationTimestamp"] ?? .null],
            ]
            switch includeObject {
            case "None": break
            case "Object": row["object"] = item
            default:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": .string("meta.k8s.io/\(tableVersion)"), "metadata": item["metadata"] ?? [:]]
            }
            return .object(row)
        }
        var meta = listMeta
        if single { meta = ["resourceVersion": items.first?["metadata"]?["resourceVersion"] ?? ""] }
        return ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(tableVersion)"), "metadata": .object(meta),
                "columnDefinitions": .array(columns), "rows": .array(rows)]
    }
}
