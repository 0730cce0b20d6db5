/// The generated fast readers: `init(reading:)` for `JSONReadable`, a switch on
/// each key's hash confirmed by one byte comparison.
extension ModelRender {
    /// The key hash, as `JSONKey.hash` computes it while reading a key: the length
    /// and the first and last eight bytes (little-endian), mixed.
    static func keyHash(_ text: String) -> UInt64 {
        let bytes = Array(text.utf8)
        func word(_ start: Int) -> UInt64 {
            var value: UInt64 = 0
            for offset in 0..<min(8, bytes.count - start) { value |= UInt64(bytes[start + offset]) << (8 * UInt64(offset)) }
            return value
        }
        let first = word(0)
        let last = bytes.count >= 8 ? word(bytes.count - 8) : 0
        var hash = (first ^ (last &* 0x9E37_79B9_7F4A_7C15)) &+ UInt64(bytes.count) &* 0xFF51_AFD7_ED55_8CCD
        hash = (hash ^ (hash >> 29)) &* 0xBF58_476D_1CE4_E5B9
        return hash ^ (hash >> 32)
    }

    /// Names the generated reader uses for itself; no field's local may take them.
    static let readerNames: Set<String> = ["jsonReader", "jsonKey"]

    func renderReader(_ model: Model) throws -> [String] {
        var out: [String] = [""]
        out.append("        public init(reading jsonReader: inout JSONReader) throws(JSONReadError) {")
        var hashes: [UInt64: String] = [:]
        for field in model.fields {
            guard !Self.readerNames.contains(field.name) else {
                throw GeneratorError("\(model.schemaName).\(field.key) clashes with the reader's names")
            }
            let hash = Self.keyHash(field.key)
            if let other = hashes[hash] {
                throw GeneratorError("\(model.schemaName): keys \"\(other)\" and \"\(field.key)\" have the same key hash")
            }
            hashes[hash] = field.key
            out.append("            var \(Naming.escaped(field.name)): \(field.type)?")
        }
        out.append("            try jsonReader.readObject { (jsonReader: inout JSONReader, jsonKey: JSONKey) throws(JSONReadError) in")
        if model.fields.isEmpty {
            out.append("                try jsonReader.skipValue()")
        } else {
            out.append("                if jsonReader.readNull() { return }")
            out.append("                switch jsonKey.hash {")
            for field in model.fields {
                let hex = String(Self.keyHash(field.key), radix: 16)
                out.append(
                    "                case 0x\(hex): if jsonKey.equals(\"\(field.key)\") { "
                        + "\(Naming.escaped(field.name)) = try \(Self.readerType(field.type))(reading: &jsonReader); return }")
            }
            out.append("                default: break")
            out.append("                }")
            out.append("                try jsonReader.skipValue()")
        }
        out.append("            }")
        for field in model.fields where !field.optional && !(model.isObject && field.key == "metadata") {
            out.append("            guard let \(Naming.escaped(field.name)) else { throw jsonReader.missing(\"\(field.key)\") }")
        }
        if model.fields.isEmpty {
            out.append("            self.init()")
        } else {
            let arguments = model.fields.map { field -> String in
                let name = Naming.escaped(field.name)
                // Argument labels need no escaping, except these three.
                let label = ["inout", "var", "let"].contains(field.name) ? name : field.name
                if model.isObject, field.key == "metadata" { return "\(label): \(name) ?? ObjectMeta()" }
                return "\(label): \(name)"
            }
            out.append("            self.init(")
            out.append("                " + arguments.joined(separator: ", "))
            out.append("            )")
        }
        out.append("        }")
        return out
    }

    /// The type to call `init(reading:)` on: `[String: T]` is spelled
    /// `Dictionary<String, T>` (a literal type is not a callable expression).
    static func readerType(_ type: String) -> String {
        if type.hasPrefix("[String: "), type.hasSuffix("]") {
            return "Dictionary<String, \(readerType(String(type.dropFirst(9).dropLast())))>"
        }
        if type.hasPrefix("["), type.hasSuffix("]") {
            return "Array<\(readerType(String(type.dropFirst().dropLast())))>"
        }
        return type
    }
}
