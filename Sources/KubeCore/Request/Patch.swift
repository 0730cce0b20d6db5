import Foundation

/// A patch body and its kind; the kind picks the `Content-Type`.
public enum Patch: Sendable, Hashable {
    /// RFC 6902 JSON Patch: a list of operations.
    case json([JSONPatchOperation])
    /// RFC 7386 JSON merge patch: `null` deletes, objects merge, lists are replaced.
    case merge(JSONValue)
    /// Kubernetes strategic merge patch: lists with a merge key merge by that key.
    case strategic(JSONValue)
    /// Server-side apply: the full intent of one field manager (needs
    /// ``PatchOptions/fieldManager``).
    case apply(JSONValue)

    public var contentType: String {
        switch self {
        case .json: "application/json-patch+json"
        case .merge: "application/merge-patch+json"
        case .strategic: "application/strategic-merge-patch+json"
        case .apply: "application/apply-patch+yaml"
        }
    }

    /// The body bytes (JSON; server-side apply accepts JSON as YAML).
    public func body() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        switch self {
        case .json(let operations): return try encoder.encode(operations)
        case .merge(let value), .strategic(let value), .apply(let value): return try encoder.encode(value)
        }
    }

    /// A merge, strategic or apply patch made from any `Encodable` value.
    public static func merge(encoding value: some Encodable) throws -> Patch { .merge(try JSONValue(encoding: value)) }
    public static func strategic(encoding value: some Encodable) throws -> Patch { .strategic(try JSONValue(encoding: value)) }
    public static func apply(encoding value: some Encodable) throws -> Patch { .apply(try JSONValue(encoding: value)) }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Sendable, Hashable, Codable {
    public enum Op: String, Sendable, Hashable, Codable {
        case add, remove, replace, move, copy, test
    }

    public var op: Op
    /// A JSON Pointer (`/metadata/labels/app`).
    public var path: String
    public var from: String?
    public var value: JSONValue?

    public init(op: Op, path: String, from: String? = nil, value: JSONValue? = nil) {
        self.op = op
        self.path = path
        self.from = from
        self.value = value
    }

    public static func add(_ path: String, _ value: JSONValue) -> Self { Self(op: .add, path: path, value: value) }
    public static func remove(_ path: String) -> Self { Self(op: .remove, path: path) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { Self(op: .replace, path: path, value: value) }
    public static func test(_ path: String, _ value: JSONValue) -> Self { Self(op: .test, path: path, value: value) }
    public static func move(from: String, to path: String) -> Self { Self(op: .move, path: path, from: from) }
    public static func copy(from: String, to path: String) -> Self { Self(op: .copy, path: path, from: from) }
}
