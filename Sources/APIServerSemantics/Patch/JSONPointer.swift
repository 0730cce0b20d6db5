import KubeCore

/// An RFC 6901 JSON Pointer: `/spec/containers/0/image`, with `~1` for `/` and `~0` for `~`.
struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    let tokens: [String]
    let description: String

    init(_ text: String) throws(PatchError) {
        description = text
        if text.isEmpty {
            tokens = []
            return
        }
        guard text.hasPrefix("/") else {
            throw .invalidPointer("JSON pointer \(quoted(text)) must be empty or start with \"/\"")
        }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var iterator = raw.makeIterator()
            while let character = iterator.next() {
                guard character == "~" else {
                    token.append(character)
                    continue
                }
                switch iterator.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw .invalidPointer("JSON pointer \(quoted(text)) has an invalid \"~\" escape")
                }
            }
            result.append(token)
        }
        tokens = result
    }

    private init(tokens: [String], description: String) {
        self.tokens = tokens
        self.description = description
    }

    /// The pointer to the enclosing value (`nil` for the whole document).
    var parent: JSONPointer? {
        guard !tokens.isEmpty else { return nil }
        let text = description.lastIndex(of: "/").map { String(description[..<$0]) } ?? ""
        return JSONPointer(tokens: Array(tokens.dropLast()), description: text)
    }

    /// The value the pointer refers to in `document`, or `nil` when there is none.
    func value(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let index = JSONPointer.arrayIndex(token), index < items.count else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// RFC 6901 array index: `0` or digits without a leading zero.
    static func arrayIndex(_ token: String) -> Int? {
        guard !token.isEmpty, token.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        if token.count > 1 && token.hasPrefix("0") { return nil }
        return Int(token)
    }
}

func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}
