import KubeCore

/// Parses the compact tables of the generated `BuiltinResources` and
/// `BuiltinPatchSchema` (string tables compile in a fraction of the time of
/// equivalent literal initializer calls). The tables are generated and tested,
/// so a malformed line is a generator bug: it is skipped rather than trapping.
enum BuiltinTable {
    private static func list(_ field: Substring) -> [String] {
        field == "-" ? [] : field.split(separator: ",").map(String.init)
    }

    private static func value(_ field: Substring) -> String { field == "-" ? "" : String(field) }

    /// `group version kind name singularName namespaced verbs shortNames categories kindGroupVersion`.
    static func resource(_ line: Substring) -> APIResourceInfo {
        let fields = line.split(separator: " ")
        guard fields.count == 10 else {
            assertionFailure("malformed resource line: \(line)")
            return APIResourceInfo(group: "", version: "", kind: "", name: "", singularName: "", namespaced: false, verbs: [])
        }
        return APIResourceInfo(
            group: value(fields[0]), version: String(fields[1]), kind: String(fields[2]), name: String(fields[3]),
            singularName: value(fields[4]), namespaced: fields[5] == "1", verbs: list(fields[6]),
            shortNames: list(fields[7]), categories: list(fields[8]),
            kindGroupVersion: fields[9] == "-" ? nil : GroupVersion(apiVersion: String(fields[9]))
        )
    }

    static func patchSchema(_ table: String) -> PatchSchema {
        var types: [String: [String: FieldSchema]] = [:]
        var kinds: [GroupVersionKind: String] = [:]
        var current: String?
        for line in table.split(separator: "\n") {
            let tokens = line.split(separator: " ")
            guard tokens.count >= 2 else { continue }
            if tokens[0] == "T" {
                current = String(tokens[1])
                continue
            }
            if tokens[0] == "K", tokens.count == 5 {
                kinds[GroupVersionKind(group: value(tokens[1]), version: String(tokens[2]), kind: String(tokens[3]))] =
                    String(tokens[4])
                continue
            }
            guard let type = current else { continue }
            let shapeToken = tokens[1]
            let element = shapeToken.firstIndex(of: ":").map { String(shapeToken[shapeToken.index(after: $0)...]) }
            let shape: FieldSchema.Shape
            switch shapeToken.first {
            case "o": shape = .object(type: element ?? "")
            case "l": shape = .list(element: element)
            case "m": shape = .map(element: element)
            default: shape = .scalar
            }
            var field = FieldSchema(shape: shape)
            for option in tokens.dropFirst(2) {
                if option == "a" { field.atomic = true; continue }
                if option == "z" { field.inZeroValue = true; continue }
                let text = String(option.dropFirst(2))
                switch option.first {
                case "s": field.patchStrategy = text
                case "k": field.patchMergeKey = text
                case "t": field.listType = text
                case "K": field.listMapKeys = text.split(separator: ",").map(String.init)
                default: break
                }
            }
            types[type, default: [:]][String(tokens[0])] = field
        }
        return PatchSchema(types: types, kinds: kinds)
    }
}
