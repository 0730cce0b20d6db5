/// `intstr.IntOrString`: a JSON number or string, such as a port (`8080` or
/// `"http"`) or a rollout limit (`1` or `"25%"`). Encodes as it was given.
public enum IntOrString: Sendable, Hashable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral
{
    case int(Int32)
    case string(String)

    public init(integerLiteral value: Int32) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int32.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.typeMismatch(
                IntOrString.self,
                DecodingError.Context(
                    codingPath: decoder.codingPath, debugDescription: "expected a 32-bit integer or a string"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .string(let value): value
        }
    }

    /// The integer, or `nil` for a string.
    public var intValue: Int32? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// Resolves a value such as `maxSurge` against a total, the way the
    /// controllers do (`intstr.GetScaledValueFromIntOrPercent`): an integer is
    /// itself, `"25%"` is 25% of `total`, rounded up or down. A string that is
    /// not a percentage is an error.
    public func scaled(total: Int, roundUp: Bool) throws(IntOrStringError) -> Int {
        switch self {
        case .int(let value):
            return Int(value)
        case .string(let text):
            guard text.hasSuffix("%"), let percent = Int(text.dropLast()) else {
                throw IntOrStringError(value: text)
            }
            let product = percent * total
            return roundUp ? (product + 99) / 100 : product / 100
        }
    }
}

/// An `IntOrString` string that is not a percentage where one was needed.
public struct IntOrStringError: Error, Sendable, Hashable, CustomStringConvertible {
    public var value: String
    public var description: String { "invalid value for IntOrString: \"\(value)\" is neither an integer nor a percentage" }
}
