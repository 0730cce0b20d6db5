import KubeCore

/// Why a patch could not be applied, with the HTTP status and `Status.reason`
/// kube-apiserver answers with.
///
/// Compare with the static values (`error == .testFailed`): equality looks at the kind
/// of failure only, not at the message.
public struct PatchError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case malformedPatch
        case invalidPointer
        case pathNotFound
        case notAnArray
        case notAContainer
        case indexOutOfBounds
        case testFailed
        case tooManyOperations
        case badDirective
        case unknownDirective
        case missingMergeKey
        case unprocessable
        case unsupportedForCustomResources
    }

    private let code: Code
    /// A message in kube-apiserver's words, for `Status.message`.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The patch body is not a valid patch document of its type (400).
    public static let malformedPatch = PatchError(.malformedPatch, "")
    /// A JSON Pointer does not start with `/` or has a bad `~` escape (422).
    public static let invalidPointer = PatchError(.invalidPointer, "")
    /// A path (or `from`) names a location that does not exist (422).
    public static let pathNotFound = PatchError(.pathNotFound, "")
    /// An array index was used on something that is not an array, or vice versa (422).
    public static let notAnArray = PatchError(.notAnArray, "")
    /// A path goes through a scalar (422).
    public static let notAContainer = PatchError(.notAContainer, "")
    /// An array index is not a valid index for the array (422).
    public static let indexOutOfBounds = PatchError(.indexOutOfBounds, "")
    /// A JSON Patch `test` operation found a different value (422).
    public static let testFailed = PatchError(.testFailed, "")
    /// A JSON Patch has more operations than kube-apiserver allows (413).
    public static let tooManyOperations = PatchError(.tooManyOperations, "")
    /// A strategic merge patch directive (`$patch`, `$retainKeys`, `$setElementOrder/…`,
    /// `$deleteFromPrimitiveList/…`) is malformed or unknown (400).
    public static let badDirective = PatchError(.badDirective, "")
    /// A `$patch` directive with a value strategic merge patch does not know (`unknown patch
    /// type: …`): kube-apiserver passes the library's error on as it is, a 500 without a reason.
    public static let unknownDirective = PatchError(.unknownDirective, "")
    /// A strategic merge patch list item lacks the list's merge key (422).
    public static let missingMergeKey = PatchError(.missingMergeKey, "")
    /// The patch is well formed but cannot be applied to this object (422).
    public static let unprocessable = PatchError(.unprocessable, "")
    /// Strategic merge patch was sent for a kind without a built-in schema
    /// (custom resources): kube-apiserver answers 415.
    public static let unsupportedForCustomResources = PatchError(
        .unsupportedForCustomResources,
        "the body of the request was in an unknown format - accepted media types include: "
            + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")

    static func malformed(_ message: String) -> PatchError { PatchError(.malformedPatch, message) }
    static func invalidPointer(_ message: String) -> PatchError { PatchError(.invalidPointer, message) }
    static func pathNotFound(_ message: String) -> PatchError { PatchError(.pathNotFound, message) }
    static func notAnArray(_ message: String) -> PatchError { PatchError(.notAnArray, message) }
    static func notAContainer(_ message: String) -> PatchError { PatchError(.notAContainer, message) }
    static func indexOutOfBounds(_ message: String) -> PatchError { PatchError(.indexOutOfBounds, message) }
    static func testFailed(_ message: String) -> PatchError { PatchError(.testFailed, message) }
    static func tooManyOperations(_ message: String) -> PatchError { PatchError(.tooManyOperations, message) }
    static func badDirective(_ message: String) -> PatchError { PatchError(.badDirective, message) }
    static func unknownDirective(_ message: String) -> PatchError { PatchError(.unknownDirective, message) }
    static func missingMergeKey(_ message: String) -> PatchError { PatchError(.missingMergeKey, message) }
    static func unprocessable(_ message: String) -> PatchError { PatchError(.unprocessable, message) }

    /// The HTTP status code kube-apiserver uses for this failure.
    public var httpStatus: Int {
        switch code {
        case .malformedPatch, .badDirective: 400
        case .tooManyOperations: 413
        case .unsupportedForCustomResources: 415
        case .unknownDirective: 500
        default: 422
        }
    }

    /// The `Status.reason` kube-apiserver uses for this failure.
    public var reason: String {
        switch code {
        case .malformedPatch, .badDirective: StatusReason.badRequest
        case .tooManyOperations: StatusReason.requestEntityTooLarge
        case .unsupportedForCustomResources: StatusReason.unsupportedMediaType
        case .unknownDirective: StatusReason.internalError
        default: StatusReason.invalid
        }
    }

    /// The failure as the `Status` body of the error response.
    public var status: Status {
        // An error that is not an API status: kube's `ErrorToAPIStatus` gives no reason.
        if code == .unknownDirective { return Status(message: message, code: httpStatus) }
        return Status(message: message, reason: reason, code: httpStatus)
    }

    public var description: String { "PatchError(\(code)): \(message)" }

    public static func == (lhs: PatchError, rhs: PatchError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
