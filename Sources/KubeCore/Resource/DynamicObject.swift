import Foundation

/// An object of any kind, with every field kept, known or not.
///
/// `apiVersion`, `kind` and `metadata` are typed; everything else (`spec`,
/// `status`, `data`, custom fields) is in ``fields`` and re-encoded unchanged.
public struct DynamicObject: KubeObject, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// Every top-level member other than `apiVersion`, `kind` and `metadata`.
    public var fields: [String: JSONValue]

    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ObjectMeta = ObjectMeta(), fields: [String: JSONValue] = [:]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.fields = fields
    }

    /// A top-level field (`spec`, `status`, `data`, ...).
    public subscript(field: String) -> JSONValue? {
        get { fields[field] }
        set { fields[field] = newValue }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        var fields: [String: JSONValue] = [:]
        var metadata = ObjectMeta()
        for key in container.allKeys {
            switch key.stringValue {
            case "apiVersion": apiVersion = try container.decodeIfPresent(String.self, forKey: key)
            case "kind": kind = try container.decodeIfPresent(String.self, forKey: key)
            case "metadata": metadata = try container.decodeIfPresent(ObjectMeta.self, forKey: key) ?? ObjectMeta()
            default: fields[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
            }
        }
        self.metadata = metadata
        self.fields = fields
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(apiVersion, forKey: Key(stringValue: "apiVersion"))
        try container.encodeIfPresent(kind, forKey: Key(stringValue: "kind"))
        try container.encode(metadata, forKey: Key(stringValue: "metadata"))
        for (key, value) in fields {
            try container.encode(value, forKey: Key(stringValue: key))
        }
    }
}
