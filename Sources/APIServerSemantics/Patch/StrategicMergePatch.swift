import Foundation
import KubeCore

/// Strategic merge patch (`application/strategic-merge-patch+json`) as kube-apiserver
/// applies it (apimachinery `strategicpatch.StrategicMergeMapPatch`), driven by a
/// ``PatchSchema`` instead of Go struct tags.
///
/// Implemented:
/// - objects merge recursively; `null` deletes a member (a `null` for a missing member is dropped);
/// - lists whose field has `patchStrategy: merge` and a `patchMergeKey` merge item by item on
///   that key; lists of scalars with `merge` are a union; both are then ordered as kube's
///   `normalizeElementOrder` does (patched items in the patch's order, server-only items slotted
///   in by their live order);
///   lists without a strategy are replaced whole, as are fields with `patchStrategy: replace`;
/// - `$patch: replace` / `$patch: delete` in an object; `$patch: delete` (by merge key) and
///   `$patch: replace` as list items; `$patch: merge` in a list is rejected like kube does;
/// - `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`, `$retainKeys`.
///
/// Simplified: members the schema does not know merge like JSON merge patch (kube rejects
/// unknown fields of built-in types later, in strict decoding). Where kube's own ordering is
/// ill-defined (server-only items missing from the live list), such items keep their order.
public enum StrategicMergePatch {
    static let directive = "$patch"
    static let retainKeys = "$retainKeys"
    static let setElementOrderPrefix = "$setElementOrder/"
    static let deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"

    /// Applies `patch` to `document`, an object of `kind`.
    ///
    /// - Throws: ``PatchError/unsupportedForCustomResources`` when `schema` has no root
    ///   type for `kind` (kube-apiserver answers 415 for strategic merge patches to custom
    ///   resources); ``PatchError/malformedPatch`` when the patch is not a JSON object;
    ///   ``PatchError/badDirective``, ``PatchError/missingMergeKey`` or
    ///   ``PatchError/unprocessable`` when the patch does not fit the object.
    public static func apply(
        _ patch: JSONValue, to document: JSONValue, kind: GroupVersionKind, schema: PatchSchema
    ) throws(PatchError) -> JSONValue {
        guard let type = schema.kinds[kind] else { throw .unsupportedForCustomResources }
        return try apply(patch, to: document, rootType: type, schema: schema)
    }

    /// Applies `patch` to `document`, an object of the schema type `rootType`
    /// (`nil`: no schema, members merge like JSON merge patch).
    public static func apply(
        _ patch: JSONValue, to document: JSONValue, rootType: String?, schema: PatchSchema
    ) throws(PatchError) -> JSONValue {
        guard case .object(let patchMembers) = patch else {
            throw .malformed(
                "json: cannot unmarshal \(patch.jsonTypeName) into Go value of type map[string]interface {}")
        }
        let merger = Merger(schema: schema)
        let context: SchemaContext = rootType.map { .type($0) } ?? .unknown
        return .object(try merger.mergeMap(document.objectValue, patchMembers, context))
    }

    /// Applies the JSON text `patch` to `document`, an object of `kind`.
    public static func apply(
        _ patch: Data, to document: JSONValue, kind: GroupVersionKind, schema: PatchSchema
    ) throws(PatchError) -> JSONValue {
        guard schema.kinds[kind] != nil else { throw .unsupportedForCustomResources }
        return try apply(decodeJSON(patch), to: document, kind: kind, schema: schema)
    }

    struct Merger {
        let schema: PatchSchema

        func mergeMap(_ originalOrNil: [String: JSONValue]?, _ patchIn: [String: JSONValue], _ context: SchemaContext)
            throws(PatchError) -> [String: JSONValue]
        {
            var patch = patchIn
            if let marker = patch[directive] {
                switch marker.stringValue {
                case "replace":
                    patch.removeValue(forKey: directive)
                    return try mergeMap(nil, patch, context)
                case "delete":
                    return [:]
                default:
                    throw .unknownDirective("unknown patch type: \(goFormat(marker)) in map: \(goFormat(.object(patchIn)))")
                }
            }
            var original = originalOrNil ?? [:]

            if let retain = patch.removeValue(forKey: retainKeys) {
                guard case .array(let items) = retain, items.allSatisfy({ $0.stringValue != nil }) else {
                    throw .badDirective("invalid patch format of retainKeys")
                }
                let keep = Set(items.compactMap(\.stringValue))
                for (key, value) in patch where !key.hasPrefix("$") && value != .null && !keep.contains(key) {
                    throw .unprocessable("The patch is not consistent with retainKeys: \(key) is missing from \(retain)")
                }
                for key in original.keys where !keep.contains(key) {
                    original.removeValue(forKey: key)
                }
            }

            // `$setElementOrder/<field>`: merge that list now and order it as listed.
            for key in patch.keys.sorted() where key.hasPrefix(setElementOrderPrefix) {
                let field = String(key.dropFirst(setElementOrderPrefix.count))
                guard case .array(let order) = patch.removeValue(forKey: key)! else {
                    throw .badDirective("invalid patch format of setElementOrder list: \(key)")
                }
                let fieldSchema = context.field(field, in: schema)
                var originalList: [JSONValue] = []
                if let existing = original[field] {
                    guard case .array(let items) = existing else {
                        throw .unprocessable("\(field) is not a list in the object")
                    }
                    originalList = items
                }
                var patchList: [JSONValue] = []
                if let given = patch.removeValue(forKey: field) {
                    guard case .array(let items) = given else {
                        throw .unprocessable("\(field) must be a list next to \(key)")
                    }
                    patchList = items
                }
                if originalList.isEmpty && patchList.isEmpty && original[field] == nil { continue }
                let merged = try mergeList(originalList, patchList, fieldSchema)
                original[field] = .array(
                    try ordered(merged, by: order, live: originalList, mergeKey: fieldSchema?.patchMergeKey))
            }

            for (key, patchValue) in patch.sorted(by: { $0.key < $1.key }) {
                if key.hasPrefix(deleteFromPrimitiveListPrefix) {
                    let field = String(key.dropFirst(deleteFromPrimitiveListPrefix.count))
                    guard case .array(let toDelete) = patchValue else {
                        throw .badDirective("invalid patch format of primitive list: \(key)")
                    }
                    if case .array(let items) = original[field] {
                        original[field] = .array(items.filter { item in !toDelete.contains { jsonEqual($0, item) } })
                    }
                    continue
                }
                if patchValue == .null {
                    original.removeValue(forKey: key)
                    continue
                }
                let fieldSchema = context.field(key, in: schema)
                switch (original[key], patchValue) {
                case (.object(let old), .object(let new)):
                    if fieldSchema.patchStrategies.replace {
                        original[key] = .object(try mergeMap(nil, new, fieldSchema.objectContext))
                    } else {
                        original[key] = .object(try mergeMap(old, new, fieldSchema.objectContext))
                    }
                case (.array(let old), .array(let new)):
                    original[key] = .array(try mergeList(old, new, fieldSchema))
                case (nil, .object(let new)) where new[directive] == "replace":
                    // kube takes the patch value as it is for a member the object lacks; the
                    // directive left in it makes the member vanish when the object is decoded
                    // (recorded: `labels: {$patch: replace, …}` on an object without labels).
                    continue
                case (nil, .object(let new)), (.some, .object(let new)):
                    original[key] = .object(try mergeMap(nil, new, fieldSchema.objectContext))
                case (nil, .array(let new)), (.some, .array(let new)):
                    original[key] = .array(try mergeList([], new, fieldSchema))
                default:
                    original[key] = patchValue
                }
            }
            return original
        }

        func mergeList(_ original: [JSONValue], _ patch: [JSONValue], _ field: FieldSchema?) throws(PatchError)
            -> [JSONValue]
        {
            let elementContext = field.elementContext
            guard field.patchStrategies.merge else {
                // Replaced whole; objects in it are new values (nulls dropped, directives applied).
                var result: [JSONValue] = []
                for item in patch {
                    if case .object(let members) = item {
                        result.append(.object(try mergeMap(nil, members, elementContext)))
                    } else {
                        result.append(item)
                    }
                }
                return result
            }
            if original.isEmpty && patch.isEmpty { return original }
            if (original + patch).contains(where: { $0.arrayValue != nil }) {
                throw .unprocessable("lists of lists are not supported")
            }
            let objects = (original + patch).filter { if case .object = $0 { true } else { false } }.count
            if objects == 0 {
                var result: [JSONValue] = []
                for item in original + patch where !result.contains(where: { jsonEqual($0, item) }) {
                    result.append(item)
                }
                return try ordered(result, by: patch, live: original, mergeKey: nil)
            }
            guard objects == original.count + patch.count else {
                throw .unprocessable("list element types are not identical: \(describe(.array(original + patch)))")
            }
            guard let mergeKey = field?.patchMergeKey else {
                throw .unprocessable("cannot merge lists without merge key for \(elementName(field))")
            }
            var result = original
            var items: [[String: JSONValue]] = []
            var replace = false
            for case .object(let item) in patch {
                guard let marker = item[directive] else {
                    items.append(item)
                    continue
                }
                switch marker.stringValue {
                case "delete":
                    guard let keyValue = item[mergeKey] else {
                        throw .missingMergeKey(
                            "map: \(describe(.object(item))) does not contain declared merge key: \(mergeKey)")
                    }
                    result.removeAll { $0[mergeKey].map { jsonEqual($0, keyValue) } ?? false }
                case "replace":
                    replace = true
                case "merge":
                    throw .unprocessable("merging lists cannot yet be specified in the patch")
                default:
                    throw .unknownDirective("unknown patch type: \(goFormat(marker)) in map: \(goFormat(.object(item)))")
                }
            }
            if replace { result = [] }
            let live = result
            for item in items {
                guard let keyValue = item[mergeKey] else {
                    throw .missingMergeKey("map: \(describe(.object(item))) does not contain declared merge key: \(mergeKey)")
                }
                if let index = result.firstIndex(where: { $0[mergeKey].map { jsonEqual($0, keyValue) } ?? false }) {
                    result[index] = .object(try mergeMap(result[index].objectValue, item, elementContext))
                } else {
                    result.append(.object(try mergeMap(nil, item, elementContext)))
                }
            }
            // kube's `mergeSlice` ends with `normalizeElementOrder`: the patched items in the
            // patch's order, the server-only ones slotted in by their live order.
            return try ordered(result, by: items.map(JSONValue.object), live: live, mergeKey: mergeKey)
        }

        /// kube's list order normalization (`normalizeElementOrder` → `mergeSortedSlice`, for
        /// `$setElementOrder` and after every merged list): the items `order` names are sorted as
        /// it lists them; the others (server-only) keep their live order and are slotted in
        /// front of the first ordered item that comes after them in the live list.
        func ordered(_ items: [JSONValue], by order: [JSONValue], live: [JSONValue], mergeKey: String?)
            throws(PatchError) -> [JSONValue]
        {
            func identity(_ value: JSONValue) throws(PatchError) -> JSONValue {
                guard case .object(let members) = value else { return value }
                guard let mergeKey, let key = members[mergeKey] else {
                    throw .missingMergeKey(
                        "map: \(describe(value)) does not contain declared merge key: \(mergeKey ?? "")")
                }
                return key
            }
            func positions(_ list: [JSONValue]) throws(PatchError) -> [JSONValue: Int] {
                var result: [JSONValue: Int] = [:]
                for (index, entry) in list.enumerated() {
                    let key = try identity(entry)
                    if result[key] == nil { result[key] = index }
                }
                return result
            }
            let orderPosition = try positions(order)
            let livePosition = try positions(live)
            var patchItems: [(key: JSONValue, item: JSONValue)] = []
            var serverOnly: [(key: JSONValue, item: JSONValue)] = []
            for item in items {
                let key = try identity(item)
                if orderPosition[key] != nil { patchItems.append((key, item)) } else { serverOnly.append((key, item)) }
            }
            func stableSorted(_ list: [(key: JSONValue, item: JSONValue)], by rank: [JSONValue: Int])
                -> [(key: JSONValue, item: JSONValue)]
            {
                list.enumerated().sorted { a, b in
                    (rank[a.element.key] ?? Int.max, a.offset) < (rank[b.element.key] ?? Int.max, b.offset)
                }.map(\.element)
            }
            let right = stableSorted(patchItems, by: orderPosition)
            let left = stableSorted(serverOnly, by: livePosition)
            var result: [JSONValue] = []
            var (i, j) = (0, 0)
            while i < left.count || j < right.count {
                if j >= right.count {
                    result.append(left[i].item)
                    i += 1
                } else if i >= left.count {
                    result.append(right[j].item)
                    j += 1
                } else if let l = livePosition[left[i].key], let r = livePosition[right[j].key], l < r {
                    result.append(left[i].item)
                    i += 1
                } else {
                    result.append(right[j].item)
                    j += 1
                }
            }
            return result
        }

        private func elementName(_ field: FieldSchema?) -> String {
            if case .list(let element?) = field?.shape { return element }
            return "list"
        }
    }
}

/// Compact JSON text for error messages.
func describe(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .int(let number): return String(number)
    case .double(let number): return String(number)
    case .string(let text): return quoted(text)
    case .array(let items): return "[" + items.map(describe).joined(separator: ",") + "]"
    case .object(let members):
        return "{" + members.keys.sorted().map { "\(quoted($0)):\(describe(members[$0]!))" }.joined(separator: ",") + "}"
    }
}

/// A value as Go's `fmt` `%v` prints the decoded JSON (`map[k:v …]` with sorted keys,
/// `[a b]`, strings bare, numbers as float64), for the messages kube passes on from Go errors.
func goFormat(_ value: JSONValue) -> String {
    switch value {
    case .null: return "<nil>"
    case .bool(let flag): return flag ? "true" : "false"
    case .int(let number): return String(number)
    case .double(let number):
        if number == number.rounded(), abs(number) < 1e21 { return String(Int64(number)) }
        return String(number)
    case .string(let text): return text
    case .array(let items): return "[" + items.map(goFormat).joined(separator: " ") + "]"
    case .object(let members):
        return "map[" + members.keys.sorted().map { "\($0):\(goFormat(members[$0]!))" }.joined(separator: " ") + "]"
    }
}
