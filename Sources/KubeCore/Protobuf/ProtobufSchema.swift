/// A table of protobuf messages (from the `generated.proto` files, rendered by
/// `kube-model-gen`) that drives one generic codec: protobuf ⇄ ``JSONValue`` for every
/// message in it, the `k8s\0` + `runtime.Unknown` envelope of
/// `application/vnd.kubernetes.protobuf`, and the length-prefixed watch stream.
///
/// The JSON side is exactly what kube-apiserver sends as `application/json` for the same
/// object, with one difference that protobuf cannot avoid: a non-pointer Go field is always on
/// the protobuf wire, so zero numbers and `false` booleans appear in the JSON where Go's
/// `omitempty` would leave them out (empty strings and zero timestamps are left out).
public struct ProtobufSchema: Sendable {
    enum FieldType: Sendable, Equatable {
        case string, bytes, bool, int32, int64, uint32, uint64, double, float
        case message(Int)
    }

    /// A message whose JSON is not an object of its fields.
    enum Form: String, Sendable {
        case object, time, microtime, duration, raw, quantity, intorstring, list, orbool, orarray, orstringarray
    }

    struct Field: Sendable {
        var number: Int
        var name: String
        var type: FieldType
        var repeated: Bool
        /// The key type of a map field (`type` is then the value type).
        var mapKey: FieldType?
        /// A Go embedded struct: a nested message on the wire, its fields inline in the JSON.
        var inline = false
    }

    struct Message: Sendable {
        var name: String
        var form: Form
        var fields: [Field]
        /// Field number → index in `fields` (numbers are small: a dense array).
        var byNumber: [Int]
        var byName: [String: Int]

        func field(number: Int) -> Field? {
            number < byNumber.count && byNumber[number] >= 0 ? fields[byNumber[number]] : nil
        }
    }

    typealias Messages = [Message]
    let messages: Messages
    /// The same messages for the direct reader (``JSONReader/init(protobuf:schema:)``).
    let fast: ProtobufFastTable
    let messageIndex: [String: Int]
    /// `apiVersion/kind` (`v1/Pod`, `apps/v1/Deployment`) → message.
    let kinds: [String: Int]

    /// Parses a table in the format `BuiltinProtobufSchema` is rendered in. Lines that do not
    /// parse are skipped; references to unknown messages read as bytes.
    public init(table: String) {
        var parsed: [(name: String, form: Form, fields: [(Int, String, String, String)])] = []
        var kindLines: [(String, String)] = []
        for line in table.split(separator: "\n") {
            let tokens = line.split(separator: " ").map(String.init)
            if tokens.first == "M", tokens.count >= 2 {
                parsed.append((tokens[1], tokens.count > 2 ? Form(rawValue: tokens[2]) ?? .object : .object, []))
            } else if tokens.first == "K", tokens.count == 5 {
                let apiVersion = tokens[1] == "-" ? tokens[2] : "\(tokens[1])/\(tokens[2])"
                kindLines.append(("\(apiVersion)/\(tokens[3])", tokens[4]))
            } else if tokens.count >= 3, let number = Int(tokens[0]), !parsed.isEmpty {
                parsed[parsed.count - 1].fields.append((number, tokens[1], tokens[2], tokens.count > 3 ? tokens[3] : ""))
            }
        }
        var index: [String: Int] = [:]
        for (offset, message) in parsed.enumerated() { index[message.name] = offset }
        func type(_ token: Substring) -> FieldType {
            switch token {
            case "s": return .string
            case "b": return .bytes
            case "t": return .bool
            case "i32": return .int32
            case "i64": return .int64
            case "u32": return .uint32
            case "u64": return .uint64
            case "f64": return .double
            case "f32": return .float
            default: return index[String(token.dropFirst())].map(FieldType.message) ?? .bytes
            }
        }
        messages = parsed.map { message in
            var fields: [Field] = []
            for (number, name, token, flag) in message.fields {
                if token.hasPrefix("m:") {
                    let parts = token.split(separator: ":", maxSplits: 2)
                    guard parts.count == 3 else { continue }
                    fields.append(Field(number: number, name: name, type: type(parts[2]), repeated: true, mapKey: type(parts[1])))
                } else {
                    fields.append(Field(number: number, name: name, type: type(Substring(token)), repeated: flag == "r",
                                        mapKey: nil, inline: flag == "i"))
                }
            }
            var byNumber = [Int](repeating: -1, count: (fields.map(\.number).max() ?? 0) + 1)
            var byName: [String: Int] = [:]
            for (offset, field) in fields.enumerated() {
                byNumber[field.number] = offset
                byName[field.name] = offset
            }
            return Message(name: message.name, form: message.form, fields: fields, byNumber: byNumber, byName: byName)
        }
        messageIndex = index
        fast = ProtobufFastTable(messages)
        var kinds: [String: Int] = [:]
        for (key, name) in kindLines { if let message = index[name] { kinds[key] = message } }
        self.kinds = kinds
    }

    /// Whether objects of this `apiVersion` and `kind` have a protobuf message
    /// (built-in kinds do; custom resources do not).
    public func hasMessage(apiVersion: String, kind: String) -> Bool { kinds["\(apiVersion)/\(kind)"] != nil }

    /// The message names in the table (`api.core.v1.Pod`, `apimachinery.pkg.apis.meta.v1.ObjectMeta`).
    public var messageNames: [String] { messages.map(\.name) }

    func message(named name: String) throws(ProtobufError) -> Int {
        guard let message = messageIndex[name] else { throw ProtobufError(.unknownMessage, "no protobuf message \(name)") }
        return message
    }

    static let maxDepth = 100
}
