import KubeCore

/// apimachinery's label and annotation checks with kube-apiserver's exact messages
/// (`IsQualifiedName`, `IsValidLabelValue`, `ValidateAnnotations`). The server's own copy:
/// the client's `LabelValidation` is not reused, so the two can be checked against each other.
extension ObjectValidation {
    static let qualifiedNameFormat =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    /// `metadata.labels` and `metadata.annotations` errors, one per offending key or value, keys in order.
    public static func validateLabelsAndAnnotations(_ metadata: JSONValue?) -> [FieldError] {
        var errors: [FieldError] = []
        for (key, value) in (metadata?["labels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for message in isQualifiedName(key) {
                errors.append(FieldError(.invalid, field: "metadata.labels", value: .string(key), detail: message))
            }
            if let text = value.stringValue {
                for message in isValidLabelValue(text) {
                    errors.append(FieldError(.invalid, field: "metadata.labels", value: .string(text), detail: message))
                }
            }
        }
        var total = 0
        for (key, value) in (metadata?["annotations"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for message in isQualifiedName(key.lowercased(), validLabelKeyWording: true) {
                errors.append(FieldError(.invalid, field: "metadata.annotations", value: .string(key), detail: message))
            }
            total += key.utf8.count + (value.stringValue?.utf8.count ?? 0)
        }
        if total > 256 * 1024 {
            errors.append(FieldError(.tooLong, field: "metadata.annotations", detail: "may not be more than 262144 bytes"))
        }
        return errors
    }

    /// apimachinery `IsQualifiedName`: `[prefix/]name`, the prefix a DNS subdomain.
    public static func isQualifiedName(_ value: String, validLabelKeyWording: Bool = false) -> [String] {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        var name = Substring(value)
        var errors: [String] = []
        switch parts.count {
        case 1:
            break
        case 2:
            let prefix = parts[0]
            name = parts[1]
            if prefix.isEmpty {
                errors.append("prefix part must be non-empty")
            } else {
                errors += isDNS1123Subdomain(String(prefix)).map { "prefix part " + $0 }
            }
        default:
            let subject = validLabelKeyWording ? "a valid label key" : "a qualified name"
            return [subject + " " + qualifiedNameFormat + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            errors.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            errors.append("name part must be no more than 63 bytes")
        }
        if !name.isEmpty && !isQualifiedNamePart(name) {
            errors.append("name part " + qualifiedNameFormat)
        }
        return errors
    }

    /// apimachinery `IsValidLabelValue`.
    public static func isValidLabelValue(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append("must be no more than 63 bytes") }
        if !value.isEmpty && !isQualifiedNamePart(Substring(value)) {
            errors.append(
                "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
        }
        return errors
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`.
    private static func isQualifiedNamePart(_ value: Substring) -> Bool {
        func alphanumeric(_ c: Unicode.Scalar) -> Bool { c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)) }
        let scalars = Array(value.unicodeScalars)
        guard let first = scalars.first, let last = scalars.last, alphanumeric(first), alphanumeric(last) else { return false }
        return scalars.allSatisfy { alphanumeric($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }
}
