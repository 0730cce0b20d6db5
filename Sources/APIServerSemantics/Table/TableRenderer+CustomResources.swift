import Foundation
import KubeCore

extension TableRenderer {
    /// A table of custom resources using their CRD version's `additionalPrinterColumns`
    /// (each `{name, type, format, description, priority, jsonPath}`), as the
    /// apiextensions table convertor does: a `Name` column, then one column per entry.
    /// Cells follow the column type (`integer`, `number`, `boolean`, `string`, `date` → age);
    /// a path that finds nothing gives a `null` cell. Only simple paths are supported, as in
    /// kube (`.spec.replicas`, `.status.conditions[0].type`). With no printer columns this is
    /// the Name/Age table.
    public static func table(
        objects: [JSONValue], printerColumns: [JSONValue], listMetadata: JSONValue = .object([:]),
        includeObject: IncludeObject = .metadata, now: Date
    ) -> JSONValue {
        guard !printerColumns.isEmpty else {
            return table(resource: "", group: "", objects: objects, listMetadata: listMetadata,
                         includeObject: includeObject, now: now)
        }
        var columns: [Column] = [.nameColumn]
        var paths: [[PathStep]?] = []
        for column in printerColumns {
            let jsonPath = column["jsonPath"]?.stringValue ?? ""
            // apiextensions fills in a description for a column that has none.
            let description = column["description"]?.stringValue ?? ""
            columns.append(Column(
                name: column["name"]?.stringValue ?? "", type: column["type"]?.stringValue ?? "string",
                format: column["format"]?.stringValue ?? "", priority: Int(column["priority"]?.intValue ?? 0),
                description: description.isEmpty
                    ? "Custom resource definition column (in JSONPath format): \(jsonPath)" : description))
            paths.append(parseSimplePath(jsonPath))
        }
        let types = columns.dropFirst().map(\.type)
        let columnPaths = paths
        let printer = TablePrinter(columns: columns) { object, now in
            var cells: [JSONValue] = [name(object)]
            for (path, type) in zip(columnPaths, types) {
                guard let path, let value = resolve(path, in: object), value != .null else {
                    cells.append(.null)
                    continue
                }
                cells.append(cell(value, type: type, now: now))
            }
            return cells
        }
        return render(printer, objects: objects, listMetadata: listMetadata, includeObject: includeObject, now: now)
    }

    enum PathStep: Equatable {
        case field(String)
        case index(Int)
    }

    /// `.a.b[0].c` → steps; `nil` for anything more complex.
    static func parseSimplePath(_ text: String) -> [PathStep]? {
        var steps: [PathStep] = []
        var rest = Substring(text.hasPrefix("{") && text.hasSuffix("}") ? String(text.dropFirst().dropLast()) : text)
        guard rest.hasPrefix(".") else { return nil }
        while !rest.isEmpty {
            if rest.hasPrefix(".") {
                rest = rest.dropFirst()
                let end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
                let field = rest[..<end]
                guard !field.isEmpty, !field.contains(where: { $0 == "*" || $0 == "]" || $0 == "(" }) else { return nil }
                steps.append(.field(String(field)))
                rest = rest[end...]
            } else if rest.hasPrefix("[") {
                guard let close = rest.firstIndex(of: "]"), let index = Int(rest[rest.index(after: rest.startIndex)..<close]),
                    index >= 0
                else { return nil }
                steps.append(.index(index))
                rest = rest[rest.index(after: close)...]
            } else {
                return nil
            }
        }
        return steps
    }

    static func resolve(_ path: [PathStep], in object: JSONValue) -> JSONValue? {
        var current = object
        for step in path {
            switch (step, current) {
            case (.field(let name), .object(let members)):
                guard let next = members[name] else { return nil }
                current = next
            case (.index(let index), .array(let items)):
                guard index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// apiextensions `cellForJSONValue`, plus the `string` column's text printing.
    static func cell(_ value: JSONValue, type: String, now: Date) -> JSONValue {
        switch type {
        case "integer":
            if case .int = value { return value }
            if case .double(let number) = value, number.isFinite,
                let exact = Int64(exactly: number.rounded(.towardZero))
            {
                return .int(exact)
            }
            return .null
        case "number":
            if case .double = value { return value }
            if case .int(let number) = value { return .double(Double(number)) }
            return .null
        case "boolean":
            return value.boolValue.map(JSONValue.bool) ?? .null
        case "date":
            guard let text = value.stringValue else { return .null }
            guard let date = RFC3339.parse(text) else { return "<invalid>" }
            return .string(humanDuration(now.timeIntervalSince(date)))
        default:
            if let text = value.stringValue { return .string(text) }
            return .string(describe(value))
        }
    }

    static func render(
        _ printer: TablePrinter, objects: [JSONValue], listMetadata: JSONValue, includeObject: IncludeObject, now: Date
    ) -> JSONValue {
        var columns: [JSONValue] = []
        for column in printer.columns {
            columns.append([
                "name": .string(column.name), "type": .string(column.type), "format": .string(column.format),
                "description": .string(column.description), "priority": .int(Int64(column.priority)),
            ])
        }
        var rows: [JSONValue] = []
        for object in objects {
            var row: [String: JSONValue] = ["cells": .array(printer.cells(object, now))]
            switch includeObject {
            case .none:
                row["object"] = .null  // an empty RawExtension
            case .metadata:
                row["object"] = [
                    "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                    "metadata": object["metadata"] ?? .object([:]),
                ]
            case .object:
                row["object"] = object
            }
            rows.append(.object(row))
        }
        return [
            "kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": listMetadata,
            "columnDefinitions": .array(columns), "rows": rows.isEmpty && printer.emptyRowsAreNull ? .null : .array(rows),
        ]
    }
}
