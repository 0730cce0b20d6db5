import APIServerSemantics
import Foundation
import KubeCore

/// PodSecurity admission, as kube-apiserver runs it: a namespace's
/// `pod-security.kubernetes.io/{enforce,warn}[-version]` labels set the levels. A Pod that
/// violates the enforce level is refused (403); one that violates the warn level (which
/// defaults to the enforce level) is admitted with a `Warning`. A workload's pod template is
/// only warned about; enforcement applies to the pods it makes. Audit annotations are not kept.
extension ObjectStore {
    typealias Standards = PodSecurityStandards

    func namespaceLabels(_ namespace: String) -> [String: String] {
        (objects[Self.namespacesResource]?[namespace]?["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
    }

    /// The enforce and warn policies of a namespace; warn is enforce's when its labels are unset.
    static func podSecurityPolicies(_ labels: [String: String]) -> (enforce: Standards.Policy, warn: Standards.Policy) {
        let enforce = Standards.policy(labels, mode: "enforce") ?? Standards.Policy(level: .privileged)
        var warn = Standards.policy(labels, mode: "warn") ?? enforce
        if labels[Standards.labelPrefix + "warn"] == nil, let version = labels[Standards.labelPrefix + "warn-version"], Standards.isVersion(version) {
            warn.version = version
        }
        return (enforce, warn)
    }

    /// Checks a created Pod, or a created or updated workload's pod template.
    func admitPodSecurity(_ object: JSONValue, resource: ServedResource, namespace: String?, name: String) throws(APIError) {
        guard let namespace, let template = Self.podTemplate(object, resource: resource) else { return }
        let (enforce, warn) = Self.podSecurityPolicies(namespaceLabels(namespace))
        let isPod = resource.group.isEmpty && resource.plural == "pods"
        if isPod {
            let violations = Standards.evaluate(enforce.level, spec: template.spec, metadata: template.metadata)
            if !violations.isEmpty {
                throw APIError.forbidden(resource.groupResource, name: name, reason: "violates " + Standards.message(enforce, violations))
            }
        }
        let warnings = Standards.evaluate(warn.level, spec: template.spec, metadata: template.metadata)
        if !warnings.isEmpty { RequestWarnings.collector?.add("would violate " + Standards.message(warn, warnings)) }
    }

    /// The pod spec and metadata an object carries: a Pod's own, or a workload's template.
    static func podTemplate(_ object: JSONValue, resource: ServedResource) -> (spec: JSONValue, metadata: JSONValue)? {
        let template: JSONValue?
        switch (resource.group, resource.plural) {
        case ("", "pods"): return (object["spec"] ?? [:], object["metadata"] ?? [:])
        case ("", "podtemplates"): template = object["template"]
        case ("", "replicationcontrollers"), ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"),
            ("apps", "daemonsets"), ("batch", "jobs"):
            template = object["spec"]?["template"]
        case ("batch", "cronjobs"): template = object["spec"]?["jobTemplate"]?["spec"]?["template"]
        default: return nil
        }
        guard let template, template != .null else { return nil }
        return (template["spec"] ?? [:], template["metadata"] ?? [:])
    }

    /// A namespace whose enforce level becomes stricter warns about the pods already in it that
    /// violate it (pods with the same violations in one line), as kube's admission does.
    func podSecurityNamespaceWarnings(old: JSONValue, new: JSONValue) {
        let oldLabels = (old["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        let newLabels = (new["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        guard let enforce = Standards.policy(newLabels, mode: "enforce"), enforce.level != .privileged,
            Standards.policy(oldLabels, mode: "enforce") != enforce,
            let namespace = new["metadata"]?["name"]?.stringValue
        else { return }
        let pods = (objects[GroupResource(group: "", resource: "pods")] ?? [:]).values
            .filter { $0["metadata"]?["namespace"]?.stringValue == namespace }
            .sorted { ($0["metadata"]?["name"]?.stringValue ?? "") < ($1["metadata"]?["name"]?.stringValue ?? "") }
        var groups: [(reasons: String, pods: [String])] = []
        for pod in pods {
            let violations = Standards.evaluate(enforce.level, spec: pod["spec"] ?? [:], metadata: pod["metadata"] ?? [:])
            guard !violations.isEmpty else { continue }
            let reasons = violations.map(\.reason).joined(separator: ", ")
            let podName = pod["metadata"]?["name"]?.stringValue ?? ""
            if let index = groups.firstIndex(where: { $0.reasons == reasons }) { groups[index].pods.append(podName) } else { groups.append((reasons, [podName])) }
        }
        guard !groups.isEmpty else { return }
        RequestWarnings.collector?.add("existing pods in namespace \"\(namespace)\" violate the new PodSecurity enforce level \"\(enforce)\"")
        for group in groups {
            let others = group.pods.count - 1
            let who = others == 0 ? group.pods[0] : "\(group.pods[0]) (and \(others) other \(others == 1 ? "pod" : "pods"))"
            RequestWarnings.collector?.add("\(who): \(group.reasons)")
        }
    }
}
