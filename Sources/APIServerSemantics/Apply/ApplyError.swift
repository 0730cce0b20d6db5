import KubeCore

/// One field another manager owns with a different value than the applied configuration.
public struct ApplyConflict: Sendable, Hashable {
    /// The other manager as kube prints it: `"kubectl-client-side-apply" using apps/v1 at <time>`
    /// for an `Update` manager, `"name"` for an `Apply` manager.
    public var manager: String
    /// The field in structured-merge-diff form: `.spec.replicas`,
    /// `.spec.containers[name="web"].image`.
    public var field: String
}

/// Why a server-side apply was refused, with kube-apiserver's status and message.
public struct ApplyError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case conflict
        case missingFieldManager
        case badApplyConfiguration
    }

    private let code: Code
    public let message: String
    /// The conflicts, for ``conflict``; empty otherwise.
    public let conflicts: [ApplyConflict]

    private init(_ code: Code, _ message: String, conflicts: [ApplyConflict] = []) {
        self.code = code
        self.message = message
        self.conflicts = conflicts
    }

    /// Other managers own fields the apply would change, and `force` was not set (409).
    public static let conflict = ApplyError(.conflict, "")
    /// `fieldManager` is empty or longer than 128 characters (422).
    public static let missingFieldManager = ApplyError(.missingFieldManager, "")
    /// The applied configuration is not an object with `apiVersion` and `kind`, or it sets
    /// `metadata.managedFields` (400).
    public static let badApplyConfiguration = ApplyError(.badApplyConfiguration, "")

    static func conflict(_ conflicts: [ApplyConflict]) -> ApplyError {
        ApplyError(.conflict, conflictMessage(conflicts), conflicts: conflicts)
    }
    static func missingFieldManager(_ message: String) -> ApplyError { ApplyError(.missingFieldManager, message) }
    static func badApplyConfiguration(_ message: String) -> ApplyError { ApplyError(.badApplyConfiguration, message) }

    public var httpStatus: Int {
        switch code {
        case .conflict: 409
        case .missingFieldManager: 422
        case .badApplyConfiguration: 400
        }
    }

    public var reason: String {
        switch code {
        case .conflict: StatusReason.conflict
        case .missingFieldManager: StatusReason.invalid
        case .badApplyConfiguration: StatusReason.badRequest
        }
    }

    /// The `Status` body: for conflicts, one `FieldManagerConflict` cause per field, as
    /// kube-apiserver's `NewApplyConflict` builds it.
    public var status: Status {
        switch code {
        case .conflict:
            let causes = conflicts.map {
                StatusCause(reason: "FieldManagerConflict", message: "conflict with \($0.manager)", field: $0.field)
            }
            return Status(message: message, reason: reason, details: StatusDetails(causes: causes), code: httpStatus)
        case .missingFieldManager:
            let cause = StatusCause(reason: "FieldValueRequired", message: "Required value: is required for apply patch",
                                    field: "fieldManager")
            return Status(
                message: message, reason: reason,
                details: StatusDetails(name: "", group: "meta.k8s.io", kind: "PatchOptions", causes: [cause]), code: 422)
        case .badApplyConfiguration:
            return Status(message: message, reason: reason, code: httpStatus)
        }
    }

    public var description: String { "ApplyError(\(code)): \(message)" }

    public static func == (lhs: ApplyError, rhs: ApplyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// kube's `getConflictMessage`.
    private static func conflictMessage(_ conflicts: [ApplyConflict]) -> String {
        if conflicts.count == 1 {
            return "Apply failed with 1 conflict: conflict with \(conflicts[0].manager): \(conflicts[0].field)"
        }
        var lines: [String] = []
        for manager in Set(conflicts.map(\.manager)).sorted() {
            lines.append("conflicts with \(manager):")
            for conflict in conflicts where conflict.manager == manager {
                lines.append("- \(conflict.field)")
            }
        }
        return "Apply failed with \(conflicts.count) conflicts: " + lines.joined(separator: "\n")
    }
}
