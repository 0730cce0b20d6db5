/// The Go side of a built-in type, read from the protobuf table (whose messages are Go's
/// structs, their fields in Go's order): where a JSON value does not fit the Go type
/// kube-apiserver decodes it into, and the object written in Go's field order.
extension ProtobufSchema {
    /// A JSON value that does not fit its Go field, as Go's `encoding/json` reports it.
    public struct GoTypeMismatch: Sendable, Hashable {
        /// `string`, `number`, `number 1.5`, `bool`, `array`, `object`.
        public var jsonType: String
        /// The Go struct holding the field (`ConfigMap`, `Container`).
        public var structName: String
        /// The JSON field names from the object's root (`spec.containers.image`).
        public var path: String
        /// The Go type (`map[string]string`, `[]v1.Container`, `int32`).
        public var goType: String
        /// What the Go type is: `map`, `slice`, `struct`, or a primitive's type.
        public var goKind: String

        /// `json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string`.
        public var unmarshalMessage: String {
            "json: cannot unmarshal \(jsonType) into Go struct field \(structName).\(path) of type \(goType)"
        }
    }

    /// The first field of `value` (an object of `apiVersion`/`kind`) whose JSON does not fit its
    /// Go type, fields taken in Go's order; `nil` when all fit, for unknown kinds and for values
    /// with their own JSON form (times, quantities, int-or-strings, raw objects).
    public func goTypeMismatch(in value: JSONValue, apiVersion: String, kind: String) -> GoTypeMismatch? {
        guard let message = kinds["\(apiVersion)/\(kind)"] else { return nil }
        return mismatch(value, message: message, path: [], depth: 0)
    }

    /// The Go name of a message: `v1.Container` for `api.core.v1.Container`.
    func goName(_ message: Int) -> String {
        let parts = messages[message].name.split(separator: ".")
        return parts.suffix(2).joined(separator: ".")
    }

    func goType(_ type: FieldType) -> String {
        switch type {
        case .string: "string"
        case .bytes: "[]uint8"
        case .bool: "bool"
        case .int32: "int32"
        case .int64: "int64"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .double: "float64"
        case .float: "float32"
        case .message(let index): goName(index)
        }
    }

    private func mismatch(_ value: JSONValue, message: Int, path: [String], depth: Int) -> GoTypeMismatch? {
        guard depth < Self.maxDepth, case .object(let members) = value else { return nil }
        let structName = String(messages[message].name.split(separator: ".").last ?? "")
        for field in messages[message].fields {
            if field.inline, case .message(let inner) = field.type {
                if let found = mismatch(value, message: inner, path: path, depth: depth + 1) { return found }
                continue
            }
            guard let member = members[field.name], member != .null else { continue }
            let fieldPath = path + [field.name]
            func report(_ goType: String, _ goKind: String) -> GoTypeMismatch {
                GoTypeMismatch(jsonType: member.jsonTypeName, structName: structName, path: fieldPath.joined(separator: "."),
                               goType: goType, goKind: goKind)
            }
            if let key = field.mapKey {
                guard case .object(let entries) = member else { return report("map[\(goType(key))]\(goType(field.type))", "map") }
                for key in entries.keys.sorted() {
                    if let found = single(entries[key]!, field.type, structName: structName, path: fieldPath, depth: depth) { return found }
                }
            } else if field.repeated, field.type != .bytes {
                guard case .array(let items) = member else { return report("[]\(goType(field.type))", "slice") }
                for item in items {
                    if let found = single(item, field.type, structName: structName, path: fieldPath, depth: depth) { return found }
                }
            } else if let found = single(member, field.type, structName: structName, path: fieldPath, depth: depth) {
                return found
            }
        }
        return nil
    }

    private func single(_ value: JSONValue, _ type: FieldType, structName: String, path: [String], depth: Int) -> GoTypeMismatch? {
        guard value != .null else { return nil }
        func report(_ jsonType: String? = nil, kind: String) -> GoTypeMismatch {
            GoTypeMismatch(jsonType: jsonType ?? value.jsonTypeName, structName: structName, path: path.joined(separator: "."),
                           goType: goType(type), goKind: kind)
        }
        switch type {
        case .string, .bytes:
            if case .string = value { return nil }
            return report(kind: type == .bytes ? "slice" : "string")
        case .bool:
            if case .bool = value { return nil }
            return report(kind: "bool")
        case .int32, .int64, .uint32, .uint64:
            let range: ClosedRange<Double> =
                switch type {
                case .int32: Double(Int32.min)...Double(Int32.max)
                case .uint32: 0...Double(UInt32.max)
                case .uint64: 0...Double(UInt64.max)
                default: Double(Int64.min)...Double(Int64.max)
                }
            switch value {
            case .int(let number) where range.contains(Double(number)): return nil
            case .int(let number): return report("number \(number)", kind: goType(type))
            case .double(let number): return report("number \(Self.goNumber(number))", kind: goType(type))
            default: return report(kind: goType(type))
            }
        case .double, .float:
            switch value {
            case .int, .double: return nil
            default: return report(kind: goType(type))
            }
        case .message(let index):
            guard messages[index].form == .object else { return nil }  // its own UnmarshalJSON
            guard case .object = value else { return report(kind: "struct") }
            return mismatch(value, message: index, path: path, depth: depth + 1)
        }
    }

    /// A number as Go's `strconv.FormatFloat(f, 'g', -1, 64)` and JSON literals show it (`1.5`, `1e+21`).
    public static func goNumber(_ number: Double) -> String {
        if number == number.rounded(), abs(number) < 1e21 { return String(Int64(number)) }
        let text = "\(number)"
        if let e = text.firstIndex(of: "e") {
            let exponent = text[text.index(after: e)...]
            return text[..<e] + "e" + (exponent.hasPrefix("-") ? "" : "+") + exponent
        }
        return text
    }

    /// `value` as Go's `encoding/json` writes the Go struct it decodes into: known fields in
    /// struct order (the protobuf field order), map keys sorted, unknown members left out.
    /// Members of the top level listed in `sortedMembers` (those a merge patch rewrote, which
    /// Go re-marshals as a map) are written with sorted keys instead.
    public func goOrderedJSON(_ value: JSONValue, apiVersion: String, kind: String, sortedTopLevel: Bool = false, rewritten: Set<String> = []) -> String {
        var out: [UInt8] = []
        let message = kinds["\(apiVersion)/\(kind)"]
        if sortedTopLevel, case .object(let members) = value {
            out.append(UInt8(ascii: "{"))
            for (offset, key) in members.keys.sorted().enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.string(key).writeJSON(into: &out)
                out.append(UInt8(ascii: ":"))
                let member = members[key]!
                if rewritten.contains(key) {
                    member.writeJSON(into: &out)
                } else if let message, let field = messages[message].byName[key].map({ messages[message].fields[$0] }) {
                    writeField(member, field, into: &out, depth: 0)
                } else {
                    member.writeJSON(into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        } else if let message {
            writeMessage(value, message: message, into: &out, depth: 0)
        } else {
            value.writeJSON(into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func writeMessage(_ value: JSONValue, message: Int, into out: inout [UInt8], depth: Int) {
        guard depth < Self.maxDepth, messages[message].form == .object, case .object(let members) = value else {
            value.writeJSON(into: &out)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        func write(_ name: String, _ body: (inout [UInt8]) -> Void) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONValue.string(name).writeJSON(into: &out)
            out.append(UInt8(ascii: ":"))
            body(&out)
        }
        if depth == 0 {  // TypeMeta, embedded first
            for key in ["kind", "apiVersion"] { if let member = members[key] { write(key) { member.writeJSON(into: &$0) } } }
        }
        for field in fieldsInOrder(message) {
            guard let member = members[field.name] else { continue }
            write(field.name) { writeField(member, field, into: &$0, depth: depth + 1) }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A message's fields in Go's order, an embedded struct's fields in its place.
    private func fieldsInOrder(_ message: Int) -> [Field] {
        messages[message].fields.sorted { $0.number < $1.number }.flatMap { field -> [Field] in
            if field.inline, case .message(let inner) = field.type { return fieldsInOrder(inner) }
            return [field]
        }
    }

    private func writeField(_ value: JSONValue, _ field: Field, into out: inout [UInt8], depth: Int) {
        guard case .message(let inner) = field.type else {
            value.writeJSON(into: &out)
            return
        }
        if field.mapKey != nil, case .object(let entries) = value {
            out.append(UInt8(ascii: "{"))
            for (offset, key) in entries.keys.sorted().enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.string(key).writeJSON(into: &out)
                out.append(UInt8(ascii: ":"))
                writeMessage(entries[key]!, message: inner, into: &out, depth: depth)
            }
            out.append(UInt8(ascii: "}"))
        } else if field.repeated, case .array(let items) = value {
            out.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                writeMessage(item, message: inner, into: &out, depth: depth)
            }
            out.append(UInt8(ascii: "]"))
        } else {
            writeMessage(value, message: inner, into: &out, depth: depth)
        }
    }
}
