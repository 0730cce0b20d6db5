/// Protobuf input that could not be read, or a JSON value that cannot be written as the
/// message's protobuf: what was wrong and where, as a JSON path (`items[3].spec.containers[0]`)
/// and, for reading, a byte offset into the message that held it.
public struct ProtobufError: Error, Sendable, Hashable, CustomStringConvertible {
    enum Code: Sendable, Hashable {
        case truncated
        case malformedVarint
        case wrongWireType
        case unsupportedWireType
        case notAnEnvelope
        case unknownMessage
        case wrongJSONType
        case invalidValue
        case tooDeep
    }

    let code: Code
    /// What was wrong, for a person.
    public let message: String
    /// Path components from the root: JSON field names and `[index]`es.
    public private(set) var path: [String]
    /// The byte offset within the enclosing message (reading only; 0 when writing).
    public let offset: Int

    init(_ code: Code, _ message: String, offset: Int = 0) {
        self.code = code
        self.message = message
        self.offset = offset
        self.path = []
    }

    /// The input ended inside a value (a cut body or a lying length).
    public var isTruncated: Bool { code == .truncated }
    /// The input is not protobuf of the expected shape (bad varint, wire type, magic, nesting).
    public var isMalformed: Bool { [.malformedVarint, .wrongWireType, .unsupportedWireType, .notAnEnvelope, .tooDeep].contains(code) }
    /// The envelope names a kind (or the caller a message) that has no protobuf message.
    public var isUnknownMessage: Bool { code == .unknownMessage }

    /// The path in dotted form: `items[3].metadata.name`; `$` for the root.
    public var pathDescription: String {
        var result = ""
        for component in path {
            if component.hasPrefix("[") { result += component } else { result += result.isEmpty ? component : "." + component }
        }
        return result.isEmpty ? "$" : result
    }

    public var description: String { "\(pathDescription): \(message)" + (offset > 0 ? " (at byte \(offset))" : "") }

    /// The same error one level further down.
    func under(_ component: String) -> ProtobufError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }
}
