import Foundation
import KubeCore

/// One step of a structured-merge-diff field path, as spelled in `fieldsV1`:
/// `f:<name>` (a member), `k:{"name":"web"}` (an associative list item by its keys),
/// `v:"value"` (a set item), `i:<n>` (an item of a list by position).
enum PathElement: Hashable, Sendable {
    case field(String)
    case key([String: JSONValue])
    case value(JSONValue)
    case index(Int)

    /// The `fieldsV1` spelling.
    var encoded: String {
        switch self {
        case .field(let name): "f:" + name
        case .key(let keys): "k:" + describe(.object(keys))
        case .value(let value): "v:" + describe(value)
        case .index(let index): "i:\(index)"
        }
    }

    init?(encoded text: String) {
        let body = String(text.dropFirst(2))
        switch text.prefix(2) {
        case "f:":
            self = .field(body)
        case "k:":
            guard case .object(let keys)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) else {
                return nil
            }
            self = .key(keys)
        case "v:":
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) else { return nil }
            self = .value(value)
        case "i:":
            guard let index = Int(body), index >= 0 else { return nil }
            self = .index(index)
        default:
            return nil
        }
    }

    /// The structured-merge-diff display form used in conflict messages.
    var display: String {
        switch self {
        case .field(let name): "." + name
        case .key(let keys): "[" + keys.keys.sorted().map { "\($0)=\(describe(keys[$0]!))" }.joined(separator: ",") + "]"
        case .value(let value): "[=\(describe(value))]"
        case .index(let index): "[\(index)]"
        }
    }
}

typealias FieldPath = [PathElement]

func display(_ path: FieldPath) -> String { path.map(\.display).joined() }

/// A set of owned field paths (structured-merge-diff `fieldpath.Set`).
struct FieldSet: Hashable, Sendable {
    var paths: Set<FieldPath> = []

    var isEmpty: Bool { paths.isEmpty }

    func contains(_ path: FieldPath) -> Bool { paths.contains(path) }

    /// Every proper prefix of a path in the set: `p` has children in the set exactly when `properPrefixes.contains(p)`.
    /// Compute once and reuse when asking many times (it is O(paths × depth)).
    var properPrefixes: Set<FieldPath> {
        var result: Set<FieldPath> = []
        for path in paths where path.count > 1 {
            for length in 1..<path.count { result.insert(Array(path.prefix(length))) }
        }
        return result
    }

    /// Removes every path in `roots` and everything under them, in one pass.
    mutating func removeSubtrees(_ roots: Set<FieldPath>) {
        guard !roots.isEmpty else { return }
        paths = paths.filter { path in
            !(1...path.count).contains { roots.contains(Array(path.prefix($0))) }
        }
    }

    func union(_ other: FieldSet) -> FieldSet { FieldSet(paths: paths.union(other.paths)) }
    func subtracting(_ other: FieldSet) -> FieldSet { FieldSet(paths: paths.subtracting(other.paths)) }

    /// The `fieldsV1` JSON tree: `{"f:spec":{"f:replicas":{}}}`, with `".": {}` marking an
    /// owned node that also has owned children.
    var fieldsV1: JSONValue {
        final class Node {
            var owned = false
            var children: [String: Node] = [:]
            func json() -> JSONValue {
                var members: [String: JSONValue] = [:]
                if owned && !children.isEmpty { members["."] = .object([:]) }
                for (key, child) in children { members[key] = child.json() }
                return .object(members)
            }
        }
        let root = Node()
        for path in paths {
            var node = root
            for element in path {
                let key = element.encoded
                if let next = node.children[key] {
                    node = next
                } else {
                    let next = Node()
                    node.children[key] = next
                    node = next
                }
            }
            node.owned = true
        }
        return root.json()
    }

    init(paths: Set<FieldPath> = []) { self.paths = paths }

    /// Parses a `fieldsV1` tree; unknown path spellings are skipped.
    init(fieldsV1: JSONValue) {
        var result: Set<FieldPath> = []
        func walk(_ value: JSONValue, _ prefix: FieldPath) {
            guard case .object(let members) = value else { return }
            if members.isEmpty && !prefix.isEmpty { result.insert(prefix) }
            for (key, child) in members {
                if key == "." {
                    if !prefix.isEmpty { result.insert(prefix) }
                } else if let element = PathElement(encoded: key) {
                    walk(child, prefix + [element])
                }
            }
        }
        walk(fieldsV1, [])
        paths = result
    }
}
