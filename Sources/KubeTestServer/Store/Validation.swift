import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// The object validation kube-apiserver does for every resource (names, labels,
/// annotations) plus the required fields of the most used kinds. 422 with causes.
enum Validation {
    static func validate(_ object: JSONValue, resource: ServedResource, name: String, isCreate: Bool, allowsPrivileged: Bool = true) throws(APIError) {
        // kube-apiserver decodes a built-in body into its Go type first: a value of the wrong type is a 400.
        if let mismatch = BuiltinProtobufSchema.schema.goTypeMismatch(in: object, apiVersion: resource.apiVersion, kind: resource.kind) {
            throw APIError.badRequest("\(resource.kind) in version \"\(resource.version)\" cannot be handled as a \(resource.kind): \(mismatch.unmarshalMessage)")
        }
        if resource.group.isEmpty, resource.plural == "secrets", let error = KindValidation.secretDataError(object) {
            throw APIError.badRequest("Secret in version \"\(resource.version)\" cannot be handled as a Secret: \(error)")
        }
        // Name (by the resource's rule: RFC 1123 subdomain, namespace label, service RFC 1035
        // label, RBAC path segment), generateName, namespace, string-valued labels/annotations.
        var checked = object
        checked["metadata"]?["name"] = .string(name)
        let rule = ObjectValidation.nameRule(resource: resource.plural, group: resource.group)
        var causes = ObjectValidation.validateMetadata(checked, nameRule: rule, namespaced: resource.namespaced).map(\.cause)
        if let labels = object["metadata"]?["labels"], labels.objectValue == nil {
            throw APIError.badRequest("metadata.labels: must be an object of strings")
        }
        causes += ObjectValidation.validateLabelsAndAnnotations(object["metadata"]).map(\.cause)
        causes += kindSpecific(object, resource: resource, allowsPrivileged: allowsPrivileged)
        if !causes.isEmpty {
            throw APIError.invalid(kind: resource.kind, group: resource.group, name: name, causes: causes)
        }
    }

    private static func kindSpecific(_ object: JSONValue, resource: ServedResource, allowsPrivileged: Bool) -> [StatusCause] {
        var causes: [StatusCause] = []
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            let containers = object["spec"]?["containers"]?.arrayValue ?? []
            if containers.isEmpty { causes.append(FieldError.required("spec.containers", "")) }
            for (index, container) in containers.enumerated() {
                if (container["name"]?.stringValue ?? "").isEmpty { causes.append(FieldError.required("spec.containers[\(index)].name", "")) }
                if (container["image"]?.stringValue ?? "").isEmpty { causes.append(FieldError.required("spec.containers[\(index)].image", "")) }
            }
        case ("", "namespaces"):
            // PodSecurity admission's check of the namespace's level and version labels.
            let labels = (object["metadata"]?["labels"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            causes += PodSecurityStandards.validateLabels(labels).map(\.cause)
        case ("", "configmaps"):
            for (key, value) in object["data"]?.objectValue ?? [:] where value.stringValue == nil {
                causes.append(FieldError.invalid("data[\(key)]", "\(value)", "must be a string"))
            }
            causes += KindValidation.configMapKeys(object)
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"):
            if object["spec"]?["selector"] == nil { causes.append(FieldError.required("spec.selector", "")) }
            if object["spec"]?["template"] == nil { causes.append(FieldError.required("spec.template", "")) }
        case ("coordination.k8s.io", "leases"):
            if let seconds = object["spec"]?["leaseDurationSeconds"]?.intValue, seconds <= 0 {
                causes.append(FieldError.invalid("spec.leaseDurationSeconds", String(seconds), "must be greater than 0"))
            }
        default:
            break
        }
        return causes + KindValidation.validate(object, resource: resource, allowsPrivileged: allowsPrivileged).map(\.cause)
    }
}

extension Validation {
    /// The checks of an update that need the stored object (immutable fields).
    static func validateUpdate(old: JSONValue, new: JSONValue, resource: ServedResource, name: String, subresource: String? = nil) throws(APIError) {
        let errors = KindValidation.validateUpdate(old: old, new: new, resource: resource, subresource: subresource)
        if !errors.isEmpty {
            throw APIError.invalid(kind: resource.kind, group: resource.group, name: name, causes: errors.map(\.cause))
        }
    }
}
