/// A value stored out of line, so that a type can contain itself
/// (`APIExtensions.V1.JSONSchemaProps.not`). Generated models use it for
/// private storage only; the public property has the plain type.
public struct Indirect<Value: Sendable & Hashable>: Sendable, Hashable {
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private let box: Box

    public init(_ value: Value) { box = Box(value) }

    public var value: Value { box.value }

    public static func == (lhs: Indirect, rhs: Indirect) -> Bool { lhs.box === rhs.box || lhs.value == rhs.value }

    public func hash(into hasher: inout Hasher) { hasher.combine(value) }
}

extension Indirect: Codable where Value: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try Value(from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }
}
