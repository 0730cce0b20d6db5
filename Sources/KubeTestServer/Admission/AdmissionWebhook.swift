import APIServerSemantics
import Foundation
import KubeCore

/// One webhook of a stored `ValidatingWebhookConfiguration` or `MutatingWebhookConfiguration`
/// (`admissionregistration.k8s.io/v1`), with kube's v1 defaults filled in. Read fresh from the
/// store on every write, so a created or changed configuration takes effect at once (kube-apiserver
/// takes effect after its informer syncs, usually within a second).
struct AdmissionWebhook: Sendable {
    enum Kind: String, Sendable { case validating, mutating }

    struct Rule: Sendable {
        var operations: [String]
        var apiGroups: [String]
        var apiVersions: [String]
        var resources: [String]
        /// `*` (the default), `Namespaced` or `Cluster`.
        var scope: String
    }

    struct ServiceReference: Sendable {
        var namespace: String
        var name: String
        var path: String
        var port: Int
    }

    var kind: Kind
    var name: String
    var configurationName: String
    var rules: [Rule]
    /// `nil` when the selector in the configuration is invalid (kube answers 500 then).
    var namespaceSelector: LabelSelector?
    var objectSelector: LabelSelector?
    /// `Equivalent` (the v1 default) or `Exact`.
    var matchPolicy: String
    /// `Fail` (the v1 default) or `Ignore`.
    var failurePolicy: String
    var timeoutSeconds: Int
    var sideEffects: String?
    var admissionReviewVersions: [String]
    /// `Never` (the default) or `IfNeeded`; mutating webhooks only.
    var reinvocationPolicy: String
    var url: String?
    var service: ServiceReference?
    /// The PEM bundle from `clientConfig.caBundle` (base64 in the object); `nil`: system roots.
    var caBundle: String?

    /// Identity for reinvocation bookkeeping (kube uses the configuration name and webhook index).
    var identity: String { "\(kind.rawValue)/\(configurationName)/\(name)" }
    var ignoresFailures: Bool { failurePolicy == "Ignore" }

    init(kind: Kind, configurationName: String, json: JSONValue) {
        self.kind = kind
        self.configurationName = configurationName
        name = json["name"]?.stringValue ?? ""
        rules = (json["rules"]?.arrayValue ?? []).map { rule in
            Rule(
                operations: Self.strings(rule["operations"]), apiGroups: Self.strings(rule["apiGroups"]),
                apiVersions: Self.strings(rule["apiVersions"]), resources: Self.strings(rule["resources"]),
                scope: rule["scope"]?.stringValue ?? "*")
        }
        namespaceSelector = Self.selector(json["namespaceSelector"])
        objectSelector = Self.selector(json["objectSelector"])
        matchPolicy = json["matchPolicy"]?.stringValue ?? "Equivalent"
        failurePolicy = json["failurePolicy"]?.stringValue ?? "Fail"
        timeoutSeconds = json["timeoutSeconds"]?.intValue.map(Int.init) ?? 10
        sideEffects = json["sideEffects"]?.stringValue
        admissionReviewVersions = Self.strings(json["admissionReviewVersions"])
        reinvocationPolicy = json["reinvocationPolicy"]?.stringValue ?? "Never"
        let client = json["clientConfig"] ?? [:]
        url = client["url"]?.stringValue
        if let service = client["service"] {
            var path = service["path"]?.stringValue ?? ""
            if !path.isEmpty && !path.hasPrefix("/") { path = "/" + path }
            self.service = ServiceReference(
                namespace: service["namespace"]?.stringValue ?? "", name: service["name"]?.stringValue ?? "", path: path,
                port: service["port"]?.intValue.map(Int.init) ?? 443)
        }
        if let bundle = client["caBundle"]?.stringValue, !bundle.isEmpty,
            let data = Data(base64Encoded: bundle, options: .ignoreUnknownCharacters)
        {
            caBundle = String(decoding: data, as: UTF8.self)
        }
    }

    private static func strings(_ value: JSONValue?) -> [String] { value?.arrayValue?.compactMap(\.stringValue) ?? [] }

    /// An absent selector selects everything, like `{}`.
    private static func selector(_ value: JSONValue?) -> LabelSelector? {
        guard let value, value != .null else { return LabelSelector() }
        return RBACAuthorizer.labelSelector(value)
    }
}

/// What one write looks like to admission (kube's `admission.Attributes`).
struct AdmissionAttributes: Sendable {
    enum Operation: String, Sendable { case create = "CREATE", update = "UPDATE", delete = "DELETE" }

    var operation: Operation
    var resource: ServedResource
    var subresource: String
    /// The request's namespace; for a Namespace itself its name (as kube sets it).
    var namespace: String
    var name: String
    var object: JSONValue?
    var oldObject: JSONValue?
    var user: UserInfo
    var dryRun: Bool
    /// `CreateOptions`, `UpdateOptions`, `PatchOptions` or `DeleteOptions` as sent to webhooks.
    var options: JSONValue
}

/// Rule, scope and selector matching, as kube-apiserver's `predicates/rules` and the
/// namespace and object matchers. Pure: the namespace labels are given.
enum AdmissionMatching {
    static let namespacesResource = GroupResource(group: "", resource: "namespaces")

    /// Whether `rule` covers a request for `group/version/resource[/subresource]`.
    static func matches(
        _ rule: AdmissionWebhook.Rule, operation: String, group: String, version: String, resource: String, subresource: String,
        namespace: String, isNamespaceObject: Bool
    ) -> Bool {
        let scope: Bool
        switch rule.scope {
        case "*": scope = true
        case "Namespaced": scope = !isNamespaceObject && !namespace.isEmpty
        case "Cluster": scope = isNamespaceObject || namespace.isEmpty
        default: scope = false
        }
        guard scope else { return false }
        guard rule.operations.contains(where: { $0 == "*" || $0 == operation }) else { return false }
        guard exactOrWildcard(rule.apiGroups, group), exactOrWildcard(rule.apiVersions, version) else { return false }
        return rule.resources.contains { entry in
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let ruleResource = String(parts[0])
            let ruleSubresource = parts.count == 2 ? String(parts[1]) : ""
            return (ruleResource == "*" || ruleResource == resource) && (ruleSubresource == "*" || ruleSubresource == subresource)
        }
    }

    private static func exactOrWildcard(_ items: [String], _ requested: String) -> Bool {
        items.contains { $0 == "*" || $0 == requested }
    }

    /// The object selector matches the object or the old object (kube's `MatchObjectSelector`).
    static func objectSelectorMatches(_ selector: LabelSelector, object: JSONValue?, oldObject: JSONValue?) -> Bool {
        if selector.requirements.isEmpty { return true }
        return [object, oldObject].contains { candidate in
            guard let candidate, candidate != .null else { return false }
            return selector.matches(candidate.labels)
        }
    }
}
