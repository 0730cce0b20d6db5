import APIServerSemantics
import Foundation
import KubeCore
import Logging
import Synchronization

/// `Warning` headers gathered while one request is served (kube-apiserver's warning
/// recorder); the API layer binds one per request in ``RequestWarnings/collector``.
final class WarningCollector: Sendable {
    private let warnings = Mutex<[String]>([])

    func add(_ text: String) { warnings.withLock { $0.append(text) } }

    var all: [String] { warnings.withLock { $0 } }

    /// `299 - "unknown field \"spec.x\""`: code 299, agent `-`, the text quoted.
    static func headerValue(_ text: String) -> String {
        "299 - \"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

enum RequestWarnings {
    @TaskLocal static var collector: WarningCollector?
}

extension ObjectStore {
    private static let schemaLogger = Logger(label: "kube-test-server.crd-schema")

    /// What kube-apiserver does to a custom object with its CRD's schema before storing it:
    /// unknown fields pruned (a warning each, or 400 under `fieldValidation=Strict`),
    /// defaults applied, values, list types and CEL rules validated (422). Objects of
    /// built-in resources and of versions without a schema pass unchanged.
    func admitCustomObject(
        _ object: JSONValue, old: JSONValue?, resource: ServedResource, name: String, context: WriteContext,
        statusOnly: Bool = false
    ) throws(APIError) -> JSONValue {
        guard let schema = registry.customSchema(resource) else { return object }
        let outcome = schema.admit(object, old: old, statusOnly: statusOnly)
        if !outcome.unknownFields.isEmpty {
            switch context.fieldValidation {
            case "Strict":
                let fields = outcome.unknownFields.map { "unknown field \"\($0)\"" }.joined(separator: ", ")
                throw APIError.badRequest(
                    "\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): strict decoding error: \(fields)")
            case "Ignore":
                break
            default:
                for field in outcome.unknownFields { RequestWarnings.collector?.add("unknown field \"\(field)\"") }
            }
        }
        for rule in outcome.unsupportedRules {
            Self.schemaLogger.warning(
                "CEL rule outside the subset KubeTestServer evaluates; the object is refused",
                metadata: ["resource": "\(resource.groupResource)", "rule": "\(rule)"])
        }
        if !outcome.errors.isEmpty {
            throw APIError.invalid(kind: resource.kind, group: resource.group, name: name, causes: outcome.errors.map(\.cause))
        }
        return outcome.object
    }
}
