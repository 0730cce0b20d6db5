import KubeCore

/// The create/update checks kube-apiserver makes before storing an object: its name (by the
/// rule of its resource), `metadata.name` or `generateName`, the namespace, and that the
/// body's `apiVersion`, `kind`, name and namespace fit the URL.
public enum ObjectValidation {
    /// How a resource's object names are validated.
    public enum NameRule: Sendable, Hashable {
        /// Most resources: lower-case RFC 1123 subdomain, at most 253 characters.
        case dns1123Subdomain
        /// Namespaces: lower-case RFC 1123 label, at most 63 characters.
        case dns1123Label
        /// Services: RFC 1035 label (starts with a letter), at most 63 characters.
        case dns1035Label
        /// Services since v1.34 (RelaxedServiceNameValidation): an RFC 1123 label, so a leading
        /// digit is allowed; a name with dots gets `must not contain dots`.
        case serviceName
        /// RBAC objects: anything but `.`, `..`, or names containing `/` or `%`
        /// (so `system:basic-user` is valid).
        case pathSegment
    }

    /// The rule kube-apiserver uses for `resource` in `group`.
    public static func nameRule(resource: String, group: String) -> NameRule {
        switch (group, resource) {
        case ("", "namespaces"): .dns1123Label
        case ("", "services"): .serviceName
        case ("rbac.authorization.k8s.io", _): .pathSegment
        default: .dns1123Subdomain
        }
    }

    /// Validates `metadata` of `object` on create or update (apimachinery `ValidateObjectMeta`).
    /// Call it after the server turned `generateName` into `name`; an object with neither
    /// gets `metadata.name: Required value: name or generateName is required`.
    public static func validateMetadata(_ object: JSONValue, nameRule: NameRule, namespaced: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let metadata = object["metadata"]
        let name = metadata?["name"]?.stringValue ?? ""
        let generateName = metadata?["generateName"]?.stringValue ?? ""
        if !generateName.isEmpty {
            for message in validateName(generateName, rule: nameRule, prefix: true) {
                errors.append(FieldError(.invalid, field: "metadata.generateName", value: .string(generateName), detail: message))
            }
        }
        if name.isEmpty {
            errors.append(FieldError(.required, field: "metadata.name", detail: "name or generateName is required"))
        } else {
            for message in validateName(name, rule: nameRule, prefix: false) {
                errors.append(FieldError(.invalid, field: "metadata.name", value: .string(name), detail: message))
            }
        }
        let namespace = metadata?["namespace"]?.stringValue ?? ""
        if namespaced {
            if namespace.isEmpty {
                errors.append(FieldError(.required, field: "metadata.namespace"))
            } else {
                for message in validateName(namespace, rule: .dns1123Label, prefix: false) {
                    errors.append(FieldError(.invalid, field: "metadata.namespace", value: .string(namespace), detail: message))
                }
            }
        } else if !namespace.isEmpty {
            errors.append(FieldError(.forbidden, field: "metadata.namespace", detail: "not allowed on this type"))
        }
        for (key, field) in [("labels", "metadata.labels"), ("annotations", "metadata.annotations")] {
            guard let map = metadata?[key], map != .null else { continue }
            guard case .object(let members) = map else {
                errors.append(FieldError(.invalid, field: field, value: map, detail: "must be a map of strings"))
                continue
            }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) where value.stringValue == nil {
                errors.append(FieldError(.invalid, field: "\(field)[\(name)]", value: value, detail: "must be a string"))
            }
        }
        return errors
    }

    /// The messages for `name` under `rule` (empty when valid); `prefix` validates a
    /// `generateName`, whose trailing `-` is allowed.
    public static func validateName(_ name: String, rule: NameRule, prefix: Bool) -> [String] {
        var value = name
        if prefix && rule != .pathSegment && value.hasSuffix("-") { value = String(value.dropLast()) + "a" }
        switch rule {
        case .dns1123Subdomain: return isDNS1123Subdomain(value)
        case .dns1123Label: return isDNS1123Label(value)
        case .dns1035Label: return isDNS1035Label(value)
        case .serviceName: return value.contains(".") ? ["must not contain dots"] : isDNS1123Label(value)
        case .pathSegment:
            var messages: [String] = []
            if !prefix {
                if value == "." { return ["may not be '.'"] }
                if value == ".." { return ["may not be '..'"] }
            }
            if value.contains("/") { messages.append("may not contain '/'") }
            if value.contains("%") { messages.append("may not contain '%'") }
            return messages
        }
    }

    /// apimachinery `IsDNS1123Subdomain`.
    public static func isDNS1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 253 { errors.append("must be no more than 253 characters") }
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        if value.isEmpty || !labels.allSatisfy({ isLabel(Substring($0), firstMayBeDigit: true) }) {
            errors.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                    + "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation "
                    + "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
        }
        return errors
    }

    /// apimachinery `IsDNS1123Label`.
    public static func isDNS1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append("must be no more than 63 characters") }
        if !isLabel(Substring(value), firstMayBeDigit: true) {
            errors.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
                    + "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                    + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        return errors
    }

    /// apimachinery `IsDNS1035Label`.
    public static func isDNS1035Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append("must be no more than 63 characters") }
        if !isLabel(Substring(value), firstMayBeDigit: false) {
            errors.append(
                "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
                    + "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used "
                    + "for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
        }
        return errors
    }

    private static func isLabel(_ label: Substring, firstMayBeDigit: Bool) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ byte: UInt8) -> Bool { (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) }
        guard firstMayBeDigit ? alnum(first) : (first >= 97 && first <= 122) else { return false }
        guard alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == 45 }
    }

    /// kube's `SimpleNameGenerator`: `generateName` (cut to 58 characters) plus five random
    /// characters from `bcdfghjklmnpqrstvwxz2456789`.
    public static func generatedName(from generateName: String, using generator: inout some RandomNumberGenerator)
        -> String
    {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var base = generateName
        if base.count > 58 { base = String(base.prefix(58)) }
        for _ in 0..<5 { base.append(alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]) }
        return base
    }
}
