import KubeCore

// Fast readers for the hand-written value types, with the same rules and errors
// as their `Codable` conformances.

extension IntOrString: JSONReadable {
    /// A 32-bit integer or a string; anything else is an error at its path.
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        switch try reader.peek() {
        case .number: self = .int(try reader.readInt32())
        case .string: self = .string(try reader.readString())
        default: throw reader.error("expected a 32-bit integer or a string")
        }
    }
}

extension Quantity: JSONReadable {
    /// A quantity string (`"500m"`, `"128Mi"`) or a number; an invalid quantity is
    /// an error at its path carrying the ``QuantityError`` text.
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        let start = reader.offset
        let text: String
        switch try reader.peek() {
        case .string:
            text = try reader.readString()
        case .number:
            let value = try reader.readValue()
            switch value {
            case .int(let integer): text = String(integer)
            case .double(let number): text = String(number)
            default: throw reader.error("expected a quantity string or number")
            }
        default:
            throw reader.error("expected a quantity string or number")
        }
        do {
            try self.init(text)
        } catch {
            throw JSONReadError(error.description, offset: start)
        }
    }
}

extension Indirect: JSONReadable where Value: JSONReadable {
    public init(reading reader: inout JSONReader) throws(JSONReadError) {
        self.init(try Value(reading: &reader))
    }
}
