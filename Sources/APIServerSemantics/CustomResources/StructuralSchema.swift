import KubeCore

/// One node of a CustomResourceDefinition's `openAPIV3Schema`, parsed once when the CRD
/// is served. Only what pruning, defaulting and validation read is kept; the JSON the
/// user sent stays in the CRD object.
public final class StructuralSchema: Sendable {
    public let type: String?
    public let format: String?
    public let properties: [String: StructuralSchema]
    public let items: StructuralSchema?
    /// `additionalProperties` as a schema (a map's values).
    public let additionalProperties: StructuralSchema?
    /// `additionalProperties: true` (any values, kept as sent).
    public let additionalPropertiesAllowed: Bool
    public let required: [String]
    public let enumValues: [JSONValue]?
    public let defaultValue: JSONValue?
    public let nullable: Bool
    public let minimum: Double?
    public let maximum: Double?
    public let exclusiveMinimum: Bool
    public let exclusiveMaximum: Bool
    public let multipleOf: Double?
    public let minLength: Int?
    public let maxLength: Int?
    public let minItems: Int?
    public let maxItems: Int?
    public let minProperties: Int?
    public let maxProperties: Int?
    public let pattern: String?
    public let preserveUnknownFields: Bool
    public let intOrString: Bool
    public let embeddedResource: Bool
    public let listType: String?
    public let listMapKeys: [String]
    public let mapType: String?
    public let validations: [ValidationRule]

    /// One `x-kubernetes-validations` entry.
    public struct ValidationRule: Sendable, Hashable {
        public var rule: String
        public var message: String?
        public var messageExpression: String?
        public var reason: String?
        public var fieldPath: String?
        public var optionalOldSelf: Bool

        /// A transition rule reads `oldSelf` and is only evaluated on updates.
        public var isTransitionRule: Bool { CELLexer.mentionsIdentifier("oldSelf", in: rule) }
    }

    /// Parses a schema; `json` is trusted to be an object (anything else gives an empty, untyped node).
    public init(json: JSONValue) {
        let members = json.objectValue ?? [:]
        type = members["type"]?.stringValue
        format = members["format"]?.stringValue
        properties = (members["properties"]?.objectValue ?? [:]).mapValues { StructuralSchema(json: $0) }
        items = members["items"].flatMap { $0.objectValue == nil ? nil : StructuralSchema(json: $0) }
        switch members["additionalProperties"] {
        case .object?: additionalProperties = StructuralSchema(json: members["additionalProperties"]!); additionalPropertiesAllowed = true
        case .bool(let allowed)?: additionalProperties = nil; additionalPropertiesAllowed = allowed
        default: additionalProperties = nil; additionalPropertiesAllowed = false
        }
        required = members["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
        enumValues = members["enum"]?.arrayValue
        defaultValue = members["default"]
        nullable = members["nullable"]?.boolValue ?? false
        minimum = Self.number(members["minimum"])
        maximum = Self.number(members["maximum"])
        exclusiveMinimum = members["exclusiveMinimum"]?.boolValue ?? false
        exclusiveMaximum = members["exclusiveMaximum"]?.boolValue ?? false
        multipleOf = Self.number(members["multipleOf"])
        minLength = members["minLength"]?.intValue.map { Int($0) }
        maxLength = members["maxLength"]?.intValue.map { Int($0) }
        minItems = members["minItems"]?.intValue.map { Int($0) }
        maxItems = members["maxItems"]?.intValue.map { Int($0) }
        minProperties = members["minProperties"]?.intValue.map { Int($0) }
        maxProperties = members["maxProperties"]?.intValue.map { Int($0) }
        pattern = members["pattern"]?.stringValue
        preserveUnknownFields = members["x-kubernetes-preserve-unknown-fields"]?.boolValue ?? false
        intOrString = members["x-kubernetes-int-or-string"]?.boolValue ?? false
        embeddedResource = members["x-kubernetes-embedded-resource"]?.boolValue ?? false
        listType = members["x-kubernetes-list-type"]?.stringValue
        listMapKeys = members["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
        mapType = members["x-kubernetes-map-type"]?.stringValue
        validations = (members["x-kubernetes-validations"]?.arrayValue ?? []).map { rule in
            ValidationRule(
                rule: rule["rule"]?.stringValue ?? "", message: rule["message"]?.stringValue?.nilIfEmpty,
                messageExpression: rule["messageExpression"]?.stringValue?.nilIfEmpty, reason: rule["reason"]?.stringValue,
                fieldPath: rule["fieldPath"]?.stringValue?.nilIfEmpty, optionalOldSelf: rule["optionalOldSelf"]?.boolValue ?? false)
        }
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: Double(number)
        case .double(let number)?: number
        default: nil
        }
    }

    /// The schema of member `name` of an object node (a property, or the map's value schema).
    func member(_ name: String) -> StructuralSchema? { properties[name] ?? additionalProperties }

    /// Whether this node or any below it has `x-kubernetes-validations`.
    var hasRules: Bool {
        !validations.isEmpty || properties.values.contains { $0.hasRules } || (items?.hasRules ?? false)
            || (additionalProperties?.hasRules ?? false)
    }

    /// Whether an object node keeps members its schema does not name.
    var keepsUnknownMembers: Bool { preserveUnknownFields || additionalPropertiesAllowed || embeddedResource }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
