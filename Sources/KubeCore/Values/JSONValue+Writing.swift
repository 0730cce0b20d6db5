extension JSONValue {
    /// This value as compact JSON text (UTF-8), without `JSONEncoder`: object members in
    /// sorted key order, so equal values give equal bytes. Whole `double`s below 10^15 are
    /// written as integers (`2.0` as `2`), non-finite ones as `null`.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeJSON(into: &out)
        return out
    }

    /// Appends this value as compact JSON: the members named in `leadingKeys` first (in
    /// that order, where present), then the others in sorted order.
    public func writeJSON(into out: inout [UInt8], leadingKeys: [String] = []) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number):
            if number.isFinite, number.rounded() == number, abs(number) < 1e15 {
                out.append(contentsOf: String(Int64(number)).utf8)
            } else if number.isFinite {
                out.append(contentsOf: "\(number)".utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        case .string(let text): Self.writeJSONString(text, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                item.writeJSON(into: &out, leadingKeys: leadingKeys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            var first = true
            func member(_ key: String, _ value: JSONValue) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                Self.writeJSONString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.writeJSON(into: &out, leadingKeys: leadingKeys)
            }
            for key in leadingKeys {
                if let value = members[key] { member(key, value) }
            }
            for key in members.keys.sorted() where !leadingKeys.contains(key) {
                member(key, members[key]!)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `text` as a JSON string: quotes, backslashes and control characters escaped,
    /// everything else as UTF-8.
    public static func writeJSONString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case 0x0A: out.append(contentsOf: [92, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [92, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 15)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
