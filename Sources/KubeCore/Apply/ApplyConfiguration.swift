import Foundation

/// The body of a server-side apply: one field manager's whole intent for one object, and nothing
/// else (client-go's apply configurations, kube-rs's `Patch::Apply`).
///
/// Server-side apply gives the manager ownership of every field it sends, and removes fields it
/// owned and no longer sends. So an apply must carry exactly what the program means to set:
/// - from a typed value built for the purpose (``init(_:)``): optional fields left `nil` are not
///   sent; what the server fills in (`status`, `metadata.managedFields`, `resourceVersion`, `uid`,
///   `creationTimestamp`, `generation`, `selfLink`, `deletionTimestamp`) is removed even when set;
/// - from a fetched object (``init(extracting:fieldManager:subresource:)``): only the fields that
///   manager owns by its earlier applies (read from `metadata.managedFields`), never defaulted
///   fields or fields of other managers; change it with ``merge(_:)`` or ``subscript(_:)`` and
///   apply it again.
///
/// Applying a fetched object as it is would be wrong: the manager would take over every
/// defaulted field and every field other managers set.
public struct ApplyConfiguration<K: KubeObject>: Sendable, Hashable {
    /// The JSON body sent (`apiVersion`, `kind` and `metadata.name` always present once applied).
    public private(set) var json: JSONValue

    /// Fields of `metadata` that only the server writes.
    public static var serverMetadataFields: [String] {
        ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"]
    }

    /// The intent of a typed value: what it encodes, less what only the server writes.
    /// - Parameter keepStatus: `true` for an apply to the `status` subresource (then `status` is the intent).
    public init(_ intent: K, keepStatus: Bool = false) throws {
        var json = try JSONValue(encoding: intent)
        guard case .object = json else { throw ApplyConfigurationError("the object does not encode as a JSON object") }
        if !keepStatus { json["status"] = nil }
        if case .object(var metadata)? = json["metadata"] {
            for field in Self.serverMetadataFields { metadata[field] = nil }
            json["metadata"] = .object(metadata)
        }
        self.json = Self.droppingNulls(json)
    }

    /// The fields `fieldManager` owns in `object` through server-side apply (its `Apply` entry in
    /// `metadata.managedFields`, for the main resource or `subresource`), with `apiVersion`, `kind`,
    /// name and namespace: what that manager would send to keep the object as it is.
    /// - Throws: ``ApplyConfigurationError`` when the object has no managedFields (it was stripped,
    ///   say by an informer transform: get it from the API instead).
    public init(extracting object: K, fieldManager: String, subresource: String? = nil) throws {
        guard let entries = object.metadata.managedFields else {
            throw ApplyConfigurationError("the object carries no managedFields (was it stripped?); extract from an object read from the API")
        }
        let full = try JSONValue(encoding: object)
        var result: JSONValue = .object([:])
        for entry in entries where entry.manager == fieldManager && entry.operation == "Apply" && entry.subresource == subresource {
            if let fields = entry.fieldsV1, let owned = Self.extract(full, fields: fields) {
                result = Self.merged(result, owned)
            }
        }
        for key in ["apiVersion", "kind"] { if let value = full[key] { result[key] = value } }
        var metadata = result["metadata"]?.objectValue ?? [:]
        metadata["name"] = full["metadata"]?["name"]
        metadata["namespace"] = full["metadata"]?["namespace"]
        result["metadata"] = .object(metadata)
        self.json = Self.droppingNulls(result)
    }

    /// Adds the fields `other` sets (maps merge key by key; lists and values replace).
    public mutating func merge(_ other: ApplyConfiguration) { json = Self.merged(json, other.json) }

    /// Adds the fields a typed partial value sets (see ``init(_:keepStatus:)``).
    public mutating func merge(_ intent: K) throws { merge(try ApplyConfiguration(intent)) }

    /// The value at a path of object keys (`["spec", "replicas"]`); setting `nil` removes the
    /// field from the intent (and so, once applied, gives up its ownership).
    public subscript(_ path: String...) -> JSONValue? {
        get { path.reduce(json as JSONValue?) { $0?[$1] } }
        set { json = Self.setting(json, path[...], newValue) }
    }

    /// The object's name, needed to address the apply.
    public var name: String? { json["metadata"]?["name"]?.stringValue }

    // MARK: - fieldsV1 walking

    /// The part of `value` that a `fieldsV1` set covers (`f:` fields, `k:` keyed list items,
    /// `v:` set values, `i:` list indexes; `.` marks the node itself).
    static func extract(_ value: JSONValue, fields: JSONValue) -> JSONValue? {
        guard case .object(let members) = fields else { return nil }
        let children = members.filter { $0.key != "." }
        // A leaf (or an atomic value owned whole).
        if children.isEmpty { return value }
        switch value {
        case .object(let object):
            var out: [String: JSONValue] = [:]
            for (key, sub) in children where key.hasPrefix("f:") {
                let name = String(key.dropFirst(2))
                if let child = object[name], let owned = extract(child, fields: sub) { out[name] = owned }
            }
            return .object(out)
        case .array(let items):
            var kept: [Int: JSONValue] = [:]
            for (key, sub) in children {
                if key.hasPrefix("k:"), let keyFields = parse(key.dropFirst(2))?.objectValue {
                    guard let index = items.firstIndex(where: { item in keyFields.allSatisfy { item[$0.key] == $0.value } }) else { continue }
                    var owned = extract(items[index], fields: sub) ?? .object([:])
                    for (field, fieldValue) in keyFields { owned[field] = fieldValue }
                    kept[index] = owned
                } else if key.hasPrefix("v:"), let wanted = parse(key.dropFirst(2)), let index = items.firstIndex(of: wanted) {
                    kept[index] = wanted
                } else if key.hasPrefix("i:"), let index = Int(key.dropFirst(2)), items.indices.contains(index) {
                    kept[index] = extract(items[index], fields: sub) ?? items[index]
                }
            }
            return .array(kept.sorted { $0.key < $1.key }.map(\.value))
        default:
            return value
        }
    }

    private static func parse(_ text: Substring) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    static func merged(_ base: JSONValue, _ overlay: JSONValue) -> JSONValue {
        guard case .object(var left) = base, case .object(let right) = overlay else { return overlay }
        for (key, value) in right { left[key] = left[key].map { merged($0, value) } ?? value }
        return .object(left)
    }

    private static func setting(_ value: JSONValue, _ path: ArraySlice<String>, _ newValue: JSONValue?) -> JSONValue {
        guard let key = path.first else { return newValue ?? .null }
        var object = value.objectValue ?? [:]
        if path.count == 1 {
            object[key] = newValue
        } else {
            object[key] = setting(object[key] ?? .object([:]), path.dropFirst(), newValue)
        }
        return .object(object)
    }

    private static func droppingNulls(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members): .object(members.filter { $0.value != .null }.mapValues(droppingNulls))
        case .array(let items): .array(items.map(droppingNulls))
        default: value
        }
    }
}

/// An object that cannot become an apply configuration.
public struct ApplyConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
