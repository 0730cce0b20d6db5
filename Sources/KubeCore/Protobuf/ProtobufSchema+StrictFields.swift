extension ProtobufSchema {
    /// What kube-apiserver's strict JSON decoding finds in an object of a built-in kind:
    /// `unknown field "metadata.labelz"` for a member the Go type does not have and
    /// `duplicate field "data"` for a member given twice, in document order, with kube's
    /// paths (`spec.containers[0].imagePullPolice`; a map key is joined with `.`, which no
    /// recording shows), each once and at most 100. Under `fieldValidation=Strict` these
    /// refuse the request (400), by default they are `Warning` headers.
    ///
    /// The messages' fields are the Go types' JSON fields (`apiVersion` and `kind` are allowed
    /// in every object with `metadata`); free-form values (`RawExtension`, `fieldsV1`, JSON
    /// schemas) are not looked into. `json` must already have parsed as JSON: on anything else
    /// the scan stops and returns what it found so far. Nil when the kind has no message.
    public func strictFieldProblems(json: [UInt8], apiVersion: String, kind: String) -> [String]? {
        guard let message = kinds["\(apiVersion)/\(kind)"] else { return nil }
        var scanner = StrictFieldScanner(schema: self, bytes: json)
        scanner.skipSpace()
        scanner.object(message: message, path: "")
        return scanner.problems
    }
}

extension ProtobufSchema {
    /// The object as kube-apiserver keeps it after decoding into the Go type: members the type
    /// does not have are dropped, at every depth (the same rules as ``strictFieldProblems(json:apiVersion:kind:)``).
    /// Unchanged when the kind has no message.
    public func droppingUnknownFields(_ object: JSONValue, apiVersion: String, kind: String) -> JSONValue {
        guard let message = kinds["\(apiVersion)/\(kind)"] else { return object }
        return dropping(object, message: message)
    }

    private func dropping(_ value: JSONValue, message: Int) -> JSONValue {
        guard messages[message].form == .object, case .object(let members) = value else { return value }
        var kept: [String: JSONValue] = [:]
        let hasMetadata = messages[message].byName["metadata"] != nil
        for (key, member) in members {
            guard let field = field(named: key, in: message) else {
                if hasMetadata, key == "apiVersion" || key == "kind" { kept[key] = member }
                continue
            }
            guard case .message(let child) = field.type else {
                kept[key] = member
                continue
            }
            if field.mapKey != nil, case .object(let entries) = member {
                kept[key] = .object(entries.mapValues { dropping($0, message: child) })
            } else if field.repeated, case .array(let items) = member {
                kept[key] = .array(items.map { dropping($0, message: child) })
            } else {
                kept[key] = dropping(member, message: child)
            }
        }
        return .object(kept)
    }

    /// A field of the message, or of a Go struct embedded in it (its fields are inline in the JSON).
    func field(named name: String, in message: Int) -> Field? {
        let fields = messages[message]
        if let offset = fields.byName[name], !fields.fields[offset].inline { return fields.fields[offset] }
        for field in fields.fields where field.inline {
            if case .message(let embedded) = field.type, let found = self.field(named: name, in: embedded) { return found }
        }
        return nil
    }
}

/// A single pass over the request's bytes: the parsed ``JSONValue`` has neither the order of
/// the members nor the duplicates.
private struct StrictFieldScanner {
    let schema: ProtobufSchema
    let bytes: [UInt8]
    var index = 0
    var problems: [String] = []

    init(schema: ProtobufSchema, bytes: [UInt8]) {
        self.schema = schema
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Like kube's decoder: each message once, at most 100.
    private mutating func report(_ problem: String) {
        if problems.count < 100, !problems.contains(problem) { problems.append(problem) }
    }

    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// The members of an object of `message`; leaves `index` after its `}`.
    mutating func object(message: Int, path: String) {
        guard current == UInt8(ascii: "{") else { return skipValue() }
        let typeMetaAllowed = schema.messages[message].byName["metadata"] != nil
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        members { scanner, key in
            if let field = scanner.schema.field(named: key, in: message) {
                scanner.value(of: field, path: child(key))
            } else {
                if !((key == "apiVersion" || key == "kind") && typeMetaAllowed) { scanner.report("unknown field \"\(child(key))\"") }
                scanner.skipValue()
            }
        } onDuplicate: { key in "duplicate field \"\(child(key))\"" }
    }

    private mutating func value(of field: ProtobufSchema.Field, path: String) {
        if field.mapKey != nil {
            guard current == UInt8(ascii: "{") else { return skipValue() }
            members { scanner, key in scanner.element(field.type, path: path + "." + key) }
                onDuplicate: { key in "duplicate field \"\(path).\(key)\"" }
        } else if field.repeated {
            guard current == UInt8(ascii: "[") else { return skipValue() }
            index += 1
            var offset = 0
            skipSpace()
            if current == UInt8(ascii: "]") {
                index += 1
                return
            }
            while index < bytes.count {
                skipSpace()
                element(field.type, path: "\(path)[\(offset)]")
                offset += 1
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                } else {
                    if current == UInt8(ascii: "]") { index += 1 }
                    return
                }
            }
        } else {
            element(field.type, path: path)
        }
    }

    private mutating func element(_ type: ProtobufSchema.FieldType, path: String) {
        if case .message(let message) = type, schema.messages[message].form == .object, current == UInt8(ascii: "{") {
            object(message: message, path: path)
        } else {
            skipValue()
        }
    }

    /// The members of a map (its keys are data, not fields: only duplicates are problems).
    private mutating func members(_ body: (inout StrictFieldScanner, String) -> Void, onDuplicate: (String) -> String) {
        index += 1
        var seen: Set<String> = []
        skipSpace()
        if current == UInt8(ascii: "}") {
            index += 1
            return
        }
        while index < bytes.count {
            skipSpace()
            guard let key = readString() else { return }
            skipSpace()
            guard current == UInt8(ascii: ":") else { return }
            index += 1
            skipSpace()
            if !seen.insert(key).inserted { report(onDuplicate(key)) }
            body(&self, key)
            skipSpace()
            if current == UInt8(ascii: ",") {
                index += 1
            } else {
                if current == UInt8(ascii: "}") { index += 1 }
                return
            }
        }
    }

    /// A string at `index` (its escapes decoded); nil when there is none.
    private mutating func readString() -> String? {
        guard current == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        var escaped = false
        while let byte = current, byte != UInt8(ascii: "\"") {
            if byte == UInt8(ascii: "\\") {
                escaped = true
                index += 1
            }
            index += 1
        }
        guard index < bytes.count else { return nil }
        let raw = bytes[start..<index]
        index += 1
        return escaped ? Self.unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    /// The text of a JSON string's bytes with escapes (rare in keys).
    static func unescape(_ raw: ArraySlice<UInt8>) -> String {
        var units: [UInt16] = []
        var text = ""
        func flushUnits() {
            text += String(decoding: units, as: UTF16.self)
            units.removeAll()
        }
        var position = raw.startIndex
        var plain: [UInt8] = []
        while position < raw.endIndex {
            let byte = raw[position]
            guard byte == UInt8(ascii: "\\"), position + 1 < raw.endIndex else {
                if !units.isEmpty { flushUnits() }
                plain.append(byte)
                position += 1
                continue
            }
            text += String(decoding: plain, as: UTF8.self)
            plain.removeAll()
            let escape = raw[position + 1]
            position += 2
            if escape == UInt8(ascii: "u"), position + 4 <= raw.endIndex,
                let unit = UInt16(String(decoding: raw[position..<(position + 4)], as: UTF8.self), radix: 16)
            {
                units.append(unit)
                position += 4
                continue
            }
            if !units.isEmpty { flushUnits() }
            switch escape {
            case UInt8(ascii: "b"): text += "\u{08}"
            case UInt8(ascii: "f"): text += "\u{0C}"
            case UInt8(ascii: "n"): text += "\n"
            case UInt8(ascii: "r"): text += "\r"
            case UInt8(ascii: "t"): text += "\t"
            default: text += String(decoding: [escape], as: UTF8.self)
            }
        }
        if !units.isEmpty { flushUnits() }
        return text + String(decoding: plain, as: UTF8.self)
    }

    /// Skips one value of any type.
    mutating func skipValue() {
        guard let byte = current else { return }
        switch byte {
        case UInt8(ascii: "\""):
            skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while let next = current {
                switch next {
                case UInt8(ascii: "\""):
                    skipString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
                index += 1
                if depth == 0 { return }
            }
        default:
            while let next = current, next != UInt8(ascii: ","), next != UInt8(ascii: "}"), next != UInt8(ascii: "]"),
                next != 0x20, next != 0x0A, next != 0x0D, next != 0x09
            {
                index += 1
            }
        }
    }

    /// Skips a string at `index` (nothing when there is none).
    private mutating func skipString() {
        guard current == UInt8(ascii: "\"") else { return }
        index += 1
        while let byte = current, byte != UInt8(ascii: "\"") {
            index += byte == UInt8(ascii: "\\") ? 2 : 1
        }
        index += 1
    }
}

extension ProtobufSchema {
    /// The object a JSON body with duplicate members decodes to in kube's Go types: a member
    /// given again decodes into the value already there, so objects of a Go struct or map type
    /// merge (`"data":{"a":"1"},"data":{"b":"2"}` is `{"a":"1","b":"2"}`, recording 035) while
    /// lists, scalars and free-form values are replaced. Nil when the kind has no message or
    /// the bytes are not JSON.
    public func decodingAsGo(json: [UInt8], apiVersion: String, kind: String) -> JSONValue? {
        guard let message = kinds["\(apiVersion)/\(kind)"] else { return nil }
        var parser = GoMergingParser(schema: self, bytes: json)
        let value = parser.value(.message(message))
        parser.skipSpace()
        // Not a ternary: `nil` would be read as `JSONValue.null` there.
        guard !parser.failed, parser.index == json.count else { return nil }
        return value
    }
}

/// A JSON parser with `encoding/json`'s handling of duplicate members, typed by the schema.
private struct GoMergingParser {
    /// What the Go type of a value is, as far as merging goes.
    enum Shape {
        case message(Int)
        case map(ProtobufSchema.FieldType)
        case list(ProtobufSchema.FieldType)
        case other
    }

    let schema: ProtobufSchema
    let bytes: [UInt8]
    var index = 0
    var failed = false

    init(schema: ProtobufSchema, bytes: [UInt8]) {
        self.schema = schema
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    private func shape(of field: ProtobufSchema.Field) -> Shape {
        if field.mapKey != nil { return .map(field.type) }
        if field.repeated { return .list(field.type) }
        return element(field.type)
    }

    private func element(_ type: ProtobufSchema.FieldType) -> Shape {
        if case .message(let message) = type, schema.messages[message].form == .object { return .message(message) }
        return .other
    }

    private func child(_ shape: Shape, key: String) -> Shape {
        switch shape {
        case .message(let message): return schema.field(named: key, in: message).map(shape(of:)) ?? .other
        case .map(let type): return element(type)
        case .list, .other: return .other
        }
    }

    /// `new` decoded into `old`, which holds a value of `shape`.
    private func merged(_ old: JSONValue, _ new: JSONValue, _ shape: Shape) -> JSONValue {
        guard case .object(var members) = old, case .object(let incoming) = new else { return new }
        switch shape {
        case .message, .map:
            for (key, value) in incoming { members[key] = members[key].map { merged($0, value, child(shape, key: key)) } ?? value }
            return .object(members)
        case .list, .other:
            return new
        }
    }

    mutating func value(_ shape: Shape) -> JSONValue {
        skipSpace()
        guard let byte = current, !failed else {
            failed = true
            return .null
        }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            var members: [String: JSONValue] = [:]
            skipSpace()
            if current == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while !failed {
                skipSpace()
                guard case .string(let key) = value(.other) else {
                    failed = true
                    break
                }
                skipSpace()
                guard current == UInt8(ascii: ":") else {
                    failed = true
                    break
                }
                index += 1
                let memberShape = child(shape, key: key)
                let member = value(memberShape)
                members[key] = members[key].map { merged($0, member, memberShape) } ?? member
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                } else if current == UInt8(ascii: "}") {
                    index += 1
                    break
                } else {
                    failed = true
                }
            }
            return .object(members)
        case UInt8(ascii: "["):
            index += 1
            var items: [JSONValue] = []
            let itemShape: Shape = if case .list(let type) = shape { element(type) } else { .other }
            skipSpace()
            if current == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while !failed {
                items.append(value(itemShape))
                skipSpace()
                if current == UInt8(ascii: ",") {
                    index += 1
                } else if current == UInt8(ascii: "]") {
                    index += 1
                    break
                } else {
                    failed = true
                }
            }
            return .array(items)
        case UInt8(ascii: "\""):
            index += 1
            let start = index
            var escaped = false
            while let next = current, next != UInt8(ascii: "\"") {
                if next == UInt8(ascii: "\\") {
                    escaped = true
                    index += 1
                }
                index += 1
            }
            guard index < bytes.count else {
                failed = true
                return .null
            }
            let raw = bytes[start..<index]
            index += 1
            return .string(escaped ? StrictFieldScanner.unescape(raw) : String(decoding: raw, as: UTF8.self))
        default:
            let start = index
            while let next = current, next != UInt8(ascii: ","), next != UInt8(ascii: "}"), next != UInt8(ascii: "]"),
                next != 0x20, next != 0x0A, next != 0x0D, next != 0x09
            {
                index += 1
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            switch text {
            case "null": return .null
            case "true": return .bool(true)
            case "false": return .bool(false)
            default:
                if let integer = Int64(text) { return .int(integer) }
                if let number = Double(text) { return .double(number) }
                failed = true
                return .null
            }
        }
    }
}
