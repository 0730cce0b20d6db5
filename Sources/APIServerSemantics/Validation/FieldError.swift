import KubeCore

/// One invalid field (apimachinery `field.Error`), rendered the way kube-apiserver renders it.
public struct FieldError: Sendable, Hashable, CustomStringConvertible {
    /// The `StatusCause.reason` values kube uses (`field.ErrorType`).
    public enum Kind: String, Sendable, Hashable {
        case invalid = "FieldValueInvalid"
        case required = "FieldValueRequired"
        case forbidden = "FieldValueForbidden"
        case tooLong = "FieldValueTooLong"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case typeInvalid = "FieldValueTypeInvalid"
        case tooMany = "FieldValueTooMany"
        case notFound = "FieldValueNotFound"

        var label: String {
            switch self {
            case .invalid: "Invalid value"
            case .required: "Required value"
            case .forbidden: "Forbidden"
            case .tooLong: "Too long"
            case .notSupported: "Unsupported value"
            case .duplicate: "Duplicate value"
            case .typeInvalid: "Invalid value"
            case .tooMany: "Too many"
            case .notFound: "Not found"
            }
        }
    }

    public var kind: Kind
    /// The field path, `metadata.name`.
    public var field: String
    /// The offending value, shown for `invalid` and `notSupported`.
    public var value: JSONValue?
    public var detail: String
    /// The value as kube prints it when that is not its JSON (a Go struct: `{"Name":"",…}`).
    public var renderedValue: String?

    public init(_ kind: Kind, field: String, value: JSONValue? = nil, detail: String = "", renderedValue: String? = nil) {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
        self.renderedValue = renderedValue
    }

    /// `field.Error.ErrorBody()`: `Invalid value: "Bad_Name": a lowercase RFC 1123 …`.
    public var errorBody: String {
        var body = kind.label
        if let renderedValue {
            body += ": " + renderedValue
        } else if [.invalid, .notSupported, .duplicate, .typeInvalid, .tooMany, .notFound].contains(kind), let value {
            body += ": " + describe(value)
        }
        if !detail.isEmpty { body += ": " + detail }
        return body
    }

    /// `field.Error.Error()`: `metadata.name: Invalid value: …`.
    public var description: String { "\(field): \(errorBody)" }

    public var cause: StatusCause { StatusCause(reason: kind.rawValue, message: errorBody, field: field) }
}

extension FieldError {
    /// The 422 `Status` of `apierrors.NewInvalid`: `ConfigMap "Bad_Name" is invalid:
    /// metadata.name: Invalid value: …` (several errors are listed in `[…, …]`).
    public static func invalidStatus(kind: String, group: String, name: String, errors: [FieldError]) -> Status {
        let qualifiedKind = group.isEmpty ? kind : "\(kind).\(group)"
        var message = "\(qualifiedKind) \(quoted(name)) is invalid"
        // Go's `ErrorList.ToAggregate` lists each message once; the causes keep every error.
        var seen: Set<String> = []
        let parts = errors.map(\.description).filter { seen.insert($0).inserted }
        if parts.count == 1 {
            message += ": \(parts[0])"
        } else if parts.count > 1 {
            message += ": [" + parts.joined(separator: ", ") + "]"
        }
        return Status(
            message: message, reason: StatusReason.invalid,
            details: StatusDetails(name: name, group: group, kind: kind, causes: errors.map(\.cause)), code: 422)
    }
}
