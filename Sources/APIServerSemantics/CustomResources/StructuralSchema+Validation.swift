import Foundation
import KubeCore

extension StructuralSchema {
    /// Validates a custom object (already pruned and defaulted) against the schema the way
    /// apiextensions-apiserver does: kube-openapi's value checks with their messages
    /// (`spec.replicas in body should be less than or equal to 10`, dotted paths with list
    /// indexes as `.1`), then the list types (`x-kubernetes-list-type: set|map`, paths
    /// `spec.tags[1]`). `metadata` is not checked here (ObjectMeta validation does that).
    /// CEL rules are checked separately (``validateRules(_:old:)``).
    public func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        var withoutMetadata = object
        withoutMetadata["metadata"] = nil
        check(withoutMetadata, path: "", errors: &errors)
        checkListTypes(withoutMetadata, path: "", errors: &errors)
        return errors
    }

    /// The value checks of this node alone, rooted at `path` (a default's check in a CRD).
    func valueErrors(_ value: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        check(value, path: path, errors: &errors)
        return errors
    }

    private static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// go-openapi's type names for a JSON value.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double(let number): number.rounded() == number ? "integer" : "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A Go `%v` of a float64 bound: `10`, `1.5`.
    static func bound(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    func typeMatches(_ value: JSONValue) -> Bool {
        if value == .null { return nullable }
        if intOrString { return Self.typeName(value) == "integer" || Self.typeName(value) == "string" }
        guard let type, !type.isEmpty else { return true }
        let actual = Self.typeName(value)
        if type == "number" { return actual == "integer" || actual == "number" }
        return type == actual
    }

    private func check(_ value: JSONValue, path: String, errors: inout [FieldError]) {
        let name = path.isEmpty ? "" : path
        guard typeMatches(value) else {
            let expected = intOrString ? "integer,string" : (type ?? "")
            errors.append(FieldError(
                .typeInvalid, field: path, value: .string(Self.typeName(value)),
                detail: "\(name) in body must be of type \(expected): \(quoted(Self.typeName(value)))"))
            return
        }
        if value == .null { return }
        if let enumValues, !enumValues.contains(value) {
            let allowed = enumValues.map { $0.stringValue.map { quoted($0) } ?? describe($0) }
            errors.append(FieldError(.notSupported, field: path, value: value, detail: "supported values: " + allowed.joined(separator: ", ")))
        }
        switch value {
        case .int, .double:
            checkNumber(value, path: path, errors: &errors)
        case .string(let text):
            checkString(text, value: value, path: path, errors: &errors)
        case .array(let elements):
            if let maxItems, elements.count > maxItems {
                errors.append(FieldError(.tooMany, field: path, value: .int(Int64(elements.count)), detail: "must have at most \(maxItems) items"))
            }
            if let minItems, elements.count < minItems {
                errors.append(FieldError(.invalid, field: path, value: value, detail: "\(name) in body should have at least \(minItems) items"))
            }
            if let items {
                for (index, element) in elements.enumerated() { items.check(element, path: "\(path).\(index)", errors: &errors) }
            }
        case .object(let members):
            if let maxProperties, members.count > maxProperties {
                errors.append(FieldError(.tooMany, field: path, value: .int(Int64(members.count)), detail: "must have at most \(maxProperties) items"))
            }
            if let minProperties, members.count < minProperties {
                errors.append(FieldError(.invalid, field: path, value: value, detail: "\(name) in body should have at least \(minProperties) properties"))
            }
            for key in required where members[key] == nil {
                errors.append(FieldError(.required, field: Self.join(path, key)))
            }
            for key in members.keys.sorted() {
                guard let schema = self.member(key), let member = members[key] else { continue }
                schema.check(member, path: Self.join(path, key), errors: &errors)
            }
        default:
            break
        }
    }

    private func checkNumber(_ value: JSONValue, path: String, errors: inout [FieldError]) {
        guard let number = Self.number(value) else { return }
        if let maximum {
            if exclusiveMaximum ? number >= maximum : number > maximum {
                let relation = exclusiveMaximum ? "less than" : "less than or equal to"
                errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should be \(relation) \(Self.bound(maximum))"))
            }
        }
        if let minimum {
            if exclusiveMinimum ? number <= minimum : number < minimum {
                let relation = exclusiveMinimum ? "greater than" : "greater than or equal to"
                errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should be \(relation) \(Self.bound(minimum))"))
            }
        }
        if let multipleOf, multipleOf != 0, (number / multipleOf).rounded() != number / multipleOf {
            errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should be a multiple of \(Self.bound(multipleOf))"))
        }
    }

    private func checkString(_ text: String, value: JSONValue, path: String, errors: inout [FieldError]) {
        let length = text.unicodeScalars.count
        if let maxLength, length > maxLength {
            errors.append(FieldError(.tooLong, field: path, detail: "may not be more than \(maxLength) bytes"))
        }
        if let minLength, length < minLength {
            errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should be at least \(minLength) chars long"))
        }
        if let pattern, !Self.matches(text, pattern: pattern) {
            errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body should match '\(pattern)'"))
        }
        if let format, !StringFormats.isValid(text, format: format) {
            errors.append(FieldError(.invalid, field: path, value: value, detail: "\(path) in body must be of type \(format): \(quoted(text))"))
        }
    }

    /// ECMA/RE2-style search (a pattern matches anywhere unless anchored), as go-openapi does.
    static func matches(_ text: String, pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    // MARK: - List types

    private func checkListTypes(_ value: JSONValue, path: String, errors: inout [FieldError]) {
        switch value {
        case .array(let elements):
            if listType == "set" {
                var seen: [JSONValue] = []
                for (index, element) in elements.enumerated() {
                    if seen.contains(element) {
                        errors.append(FieldError(.duplicate, field: "\(path)[\(index)]", value: element))
                    } else {
                        seen.append(element)
                    }
                }
            } else if listType == "map", !listMapKeys.isEmpty {
                var seen: [[JSONValue?]] = []
                for (index, element) in elements.enumerated() {
                    let key = listMapKeys.map { element[$0] ?? items?.properties[$0]?.defaultValue }
                    if seen.contains(key) {
                        let rendered = zip(listMapKeys, key).map { "\(quoted($0)):\(Self.goValue($1))" }.joined(separator: ", ")
                        errors.append(FieldError(.duplicate, field: "\(path)[\(index)]", renderedValue: "map[string]interface {}{\(rendered)}"))
                    } else {
                        seen.append(key)
                    }
                }
            }
            if let items {
                for (index, element) in elements.enumerated() { items.checkListTypes(element, path: "\(path)[\(index)]", errors: &errors) }
            }
        case .object(let members):
            for key in members.keys.sorted() {
                guard let schema = self.member(key), let member = members[key] else { continue }
                let child = properties[key] != nil ? Self.join(path, key) : "\(path)[\(key)]"
                schema.checkListTypes(member, path: child, errors: &errors)
            }
        default:
            break
        }
    }

    /// Go's `%#v` of a decoded JSON scalar (list-map keys in a Duplicate message).
    static func goValue(_ value: JSONValue?) -> String {
        switch value {
        case .string(let text)?: quoted(text)
        case .int(let number)?: "\(number)"
        case .double(let number)?: bound(number)
        case .bool(let flag)?: flag ? "true" : "false"
        default: "interface {}(nil)"
        }
    }
}
