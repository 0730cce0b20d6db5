import Foundation
import KubeCore

/// RFC 6902 JSON Patch (`application/json-patch+json`) as kube-apiserver applies it:
/// `add`, `remove`, `replace`, `move`, `copy` and `test`, with RFC 6901 pointers
/// (`~0`, `~1`, and `-` for the end of an array).
///
/// Operations apply in order to a copy of the document; the first failure aborts the
/// whole patch (nothing is half-applied). Error messages follow the wording of the
/// `json-patch` library kube-apiserver uses.
public enum JSONPatch {
    /// kube-apiserver refuses JSON patches with more operations than this (413).
    public static let maxOperations = 10_000

    /// Applies `patch` (a JSON array of operation objects) to `document`.
    ///
    /// - Throws: ``PatchError/malformedPatch`` when `patch` is not a valid RFC 6902
    ///   document; ``PatchError/testFailed``, ``PatchError/pathNotFound``,
    ///   ``PatchError/indexOutOfBounds``, … when an operation does not apply.
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws(PatchError) -> JSONValue {
        let operations = try parse(patch)
        var result = document
        for operation in operations {
            try operation.apply(to: &result)
        }
        return result
    }

    /// Applies the JSON text `patch` to `document`.
    public static func apply(_ patch: Data, to document: JSONValue) throws(PatchError) -> JSONValue {
        try apply(decodeJSON(patch), to: document)
    }

    static func parse(_ patch: JSONValue) throws(PatchError) -> [Operation] {
        guard case .array(let items) = patch else {
            // kube-apiserver decodes the operations into its own type to count them first.
            throw .malformed("json: cannot unmarshal \(patch.jsonTypeName) into Go value of type []handlers.jsonPatchOp")
        }
        guard items.count <= maxOperations else {
            throw .tooManyOperations(
                "The allowed maximum operations in a JSON patch is \(maxOperations), got \(items.count)")
        }
        var operations: [Operation] = []
        operations.reserveCapacity(items.count)
        for item in items {
            guard case .object(let members) = item else {
                throw .malformed("json: cannot unmarshal \(item.jsonTypeName) into Go value of type jsonpatch.Operation")
            }
            guard let op = members["op"]?.stringValue else {
                throw .malformed("JSON patch operation is missing \"op\"")
            }
            guard let kind = Operation.Kind(rawValue: op) else {
                // Decoding accepts any op; applying it fails (422, like kube-apiserver).
                throw .unprocessable("Unexpected kind: \(op)")
            }
            guard let pathText = members["path"]?.stringValue else {
                throw .malformed("\(op) operation is missing \"path\"")
            }
            let path = try JSONPointer(pathText)
            var from: JSONPointer?
            if kind == .move || kind == .copy {
                guard let fromText = members["from"]?.stringValue else {
                    throw .malformed("\(op) operation is missing \"from\"")
                }
                from = try JSONPointer(fromText)
            }
            var value: JSONValue?
            if kind == .add || kind == .replace || kind == .test {
                guard let given = members["value"] else {
                    throw .malformed("\(op) operation is missing \"value\"")
                }
                value = given
            }
            operations.append(Operation(kind: kind, path: path, from: from, value: value))
        }
        return operations
    }

    struct Operation {
        enum Kind: String { case add, remove, replace, move, copy, test }
        let kind: Kind
        let path: JSONPointer
        let from: JSONPointer?
        let value: JSONValue?

        func apply(to document: inout JSONValue) throws(PatchError) {
            switch kind {
            case .add:
                try JSONPatch.add(value ?? .null, at: path, in: &document, operation: "add")
            case .remove:
                _ = try JSONPatch.remove(at: path, in: &document, operation: "remove")
            case .replace:
                if path.value(in: document) == nil {
                    // The json-patch version kube-apiserver uses treats a missing key of an
                    // existing object as present, so `replace` then adds it; a missing
                    // array index or parent still fails.
                    if let parent = path.parent, case .object? = parent.value(in: document) {
                        try JSONPatch.add(value ?? .null, at: path, in: &document, operation: "replace")
                        return
                    }
                    throw .pathNotFound("replace operation does not apply: doc is missing key: \(path): missing value")
                }
                if path.tokens.isEmpty {
                    document = value ?? .null
                    return
                }
                _ = try JSONPatch.remove(at: path, in: &document, operation: "replace")
                try JSONPatch.add(value ?? .null, at: path, in: &document, operation: "replace")
            case .move:
                guard let from else { return }
                guard let moved = from.value(in: document) else {
                    throw .pathNotFound("move operation does not apply: doc is missing from path: \(from): missing value")
                }
                if from.tokens == path.tokens { return }
                if path.tokens.count > from.tokens.count && Array(path.tokens.prefix(from.tokens.count)) == from.tokens {
                    throw .unprocessable("move operation does not apply: \(path) is a child of \(from)")
                }
                _ = try JSONPatch.remove(at: from, in: &document, operation: "move")
                try JSONPatch.add(moved, at: path, in: &document, operation: "move")
            case .copy:
                guard let from else { return }
                guard let copied = from.value(in: document) else {
                    throw .pathNotFound(
                        "copy operation does not apply: doc is missing from path: \(quoted(from.description)): missing value")
                }
                try JSONPatch.add(copied, at: path, in: &document, operation: "copy")
            case .test:
                let expected = value ?? .null
                guard let actual = path.value(in: document), jsonEqual(actual, expected) else {
                    throw .testFailed("testing value \(path) failed: test failed")
                }
            }
        }
    }

    static func add(_ value: JSONValue, at path: JSONPointer, in document: inout JSONValue, operation: String)
        throws(PatchError)
    {
        guard !path.tokens.isEmpty else {
            document = value
            return
        }
        try modifyParent(of: path, in: &document, operation: operation) { (parent, token) throws(PatchError) in
            switch parent {
            case .object(var members):
                members[token] = value
                parent = .object(members)
            case .array(var items):
                if token == "-" {
                    items.append(value)
                } else {
                    guard let index = JSONPointer.arrayIndex(token), index <= items.count else {
                        throw .indexOutOfBounds("Unable to access invalid index: \(token): invalid index referenced")
                    }
                    items.insert(value, at: index)
                }
                parent = .array(items)
            default:
                throw .notAContainer(
                    "\(operation) operation does not apply: doc is missing path: \(quoted(path.description)): missing value")
            }
        }
    }

    static func remove(at path: JSONPointer, in document: inout JSONValue, operation: String) throws(PatchError)
        -> JSONValue
    {
        guard !path.tokens.isEmpty else {
            throw .unprocessable("\(operation) operation does not apply: cannot remove the whole document")
        }
        var removed: JSONValue = .null
        try modifyParent(of: path, in: &document, operation: operation) { (parent, token) throws(PatchError) in
            switch parent {
            case .object(var members):
                guard let old = members.removeValue(forKey: token) else {
                    throw .pathNotFound(
                        "\(operation) operation does not apply: doc is missing path: \(quoted(path.description)): missing value")
                }
                removed = old
                parent = .object(members)
            case .array(var items):
                guard let index = JSONPointer.arrayIndex(token), index < items.count else {
                    throw .indexOutOfBounds("Unable to access invalid index: \(token): invalid index referenced")
                }
                removed = items.remove(at: index)
                parent = .array(items)
            default:
                throw .notAContainer(
                    "\(operation) operation does not apply: doc is missing path: \(quoted(path.description)): missing value")
            }
        }
        return removed
    }

    /// Walks to the container holding the last token of `path` and lets `body` change it.
    private static func modifyParent(
        of path: JSONPointer, in document: inout JSONValue, operation: String,
        _ body: (inout JSONValue, String) throws(PatchError) -> Void
    ) throws(PatchError) {
        func walk(_ value: inout JSONValue, _ tokens: ArraySlice<String>) throws(PatchError) {
            let token = tokens[tokens.startIndex]
            if tokens.count == 1 {
                try body(&value, token)
                return
            }
            let rest = tokens.dropFirst()
            switch value {
            case .object(var members):
                guard var child = members[token] else {
                    throw .pathNotFound(
                        "\(operation) operation does not apply: doc is missing path: \(quoted(path.description)): missing value")
                }
                members[token] = nil  // keep the child uniquely referenced while it changes
                try walk(&child, rest)
                members[token] = child
                value = .object(members)
            case .array(var items):
                guard let index = JSONPointer.arrayIndex(token), index < items.count else {
                    throw .indexOutOfBounds("Unable to access invalid index: \(token): invalid index referenced")
                }
                var child = items[index]
                try walk(&child, rest)
                items[index] = child
                value = .array(items)
            default:
                throw .notAContainer(
                    "\(operation) operation does not apply: doc is missing path: \(quoted(path.description)): missing value")
            }
        }
        try walk(&document, path.tokens[...])
    }
}

/// JSON equality: numbers compare by value (`1` equals `1.0`), objects ignore key order.
func jsonEqual(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
    switch (lhs, rhs) {
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)): return Double(a) == b
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { jsonEqual($0, $1) }
    case (.object(let a), .object(let b)):
        return a.count == b.count && a.allSatisfy { key, value in b[key].map { jsonEqual(value, $0) } ?? false }
    default: return lhs == rhs
    }
}

func decodeJSON(_ data: Data) throws(PatchError) -> JSONValue {
    do {
        return try JSONDecoder().decode(JSONValue.self, from: data)
    } catch {
        throw .malformed(GoJSONSyntax.error(in: data) ?? "invalid JSON in the patch body")
    }
}
