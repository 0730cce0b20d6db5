import KubeCore

/// The resources the server needs for itself (bootstrap objects, auth, RBAC, CRDs,
/// leases, events) and the common workload types. The full built-in list comes from
/// `KubeModels`' `BuiltinResources.all` when it is available; this list is the
/// fallback and the minimum.
enum CoreResources {
    private static let all8 = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    private static let statusVerbs = ["get", "patch", "update"]

    private static func entry(
        _ group: String, _ version: String, _ kind: String, _ plural: String, namespaced: Bool,
        short: [String] = [], categories: [String] = [], subresources: [(String, [String])] = [],
        verbs: [String]? = nil
    ) -> [APIResourceInfo] {
        let singular = kind.lowercased()
        var result = [
            APIResourceInfo(group: group, version: version, kind: kind, name: plural, singularName: singular,
                            namespaced: namespaced, verbs: verbs ?? all8, shortNames: short, categories: categories)
        ]
        for (sub, subVerbs) in subresources {
            let subKind = sub == "scale" ? "Scale" : sub == "token" ? "TokenRequest" : sub == "eviction" ? "Eviction" : sub == "binding" ? "Binding" : kind
            result.append(APIResourceInfo(group: group, version: version, kind: subKind, name: "\(plural)/\(sub)", singularName: "",
                                          namespaced: namespaced, verbs: subVerbs))
        }
        return result
    }

    static let all: [APIResourceInfo] = {
        var r: [APIResourceInfo] = []
        let status = ("status", statusVerbs)
        r += entry("", "v1", "Binding", "bindings", namespaced: true, verbs: ["create"])
        r += entry("", "v1", "ComponentStatus", "componentstatuses", namespaced: false, short: ["cs"], verbs: ["get", "list"])
        r += entry("", "v1", "ConfigMap", "configmaps", namespaced: true, short: ["cm"])
        r += entry("", "v1", "Endpoints", "endpoints", namespaced: true, short: ["ep"])
        r += entry("", "v1", "Event", "events", namespaced: true, short: ["ev"])
        r += entry("", "v1", "LimitRange", "limitranges", namespaced: true, short: ["limits"])
        r += entry("", "v1", "Namespace", "namespaces", namespaced: false, short: ["ns"], subresources: [("finalize", ["update"]), status],
                   verbs: ["create", "delete", "get", "list", "patch", "update", "watch"])
        r += entry("", "v1", "Node", "nodes", namespaced: false, short: ["no"], subresources: [status])
        r += entry("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", namespaced: true, short: ["pvc"], subresources: [status])
        r += entry("", "v1", "PersistentVolume", "persistentvolumes", namespaced: false, short: ["pv"], subresources: [status])
        r += entry("", "v1", "Pod", "pods", namespaced: true, short: ["po"], categories: ["all"],
                   subresources: [("binding", ["create"]), ("eviction", ["create"]), ("log", ["get"]), status])
        r += entry("", "v1", "PodTemplate", "podtemplates", namespaced: true)
        r += entry("", "v1", "ReplicationController", "replicationcontrollers", namespaced: true, short: ["rc"], categories: ["all"],
                   subresources: [("scale", statusVerbs), status])
        r += entry("", "v1", "ResourceQuota", "resourcequotas", namespaced: true, short: ["quota"], subresources: [status])
        r += entry("", "v1", "Secret", "secrets", namespaced: true)
        r += entry("", "v1", "ServiceAccount", "serviceaccounts", namespaced: true, short: ["sa"], subresources: [("token", ["create"])])
        r += entry("", "v1", "Service", "services", namespaced: true, short: ["svc"], categories: ["all"], subresources: [status],
                   verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
        r += entry("apps", "v1", "ControllerRevision", "controllerrevisions", namespaced: true)
        r += entry("apps", "v1", "DaemonSet", "daemonsets", namespaced: true, short: ["ds"], categories: ["all"], subresources: [status])
        r += entry("apps", "v1", "Deployment", "deployments", namespaced: true, short: ["deploy"], categories: ["all"],
                   subresources: [("scale", statusVerbs), status])
        r += entry("apps", "v1", "ReplicaSet", "replicasets", namespaced: true, short: ["rs"], categories: ["all"],
                   subresources: [("scale", statusVerbs), status])
        r += entry("apps", "v1", "StatefulSet", "statefulsets", namespaced: true, short: ["sts"], categories: ["all"],
                   subresources: [("scale", statusVerbs), status])
        r += entry("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", namespaced: false, verbs: ["create"])
        r += entry("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", namespaced: false, verbs: ["create"])
        r += entry("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", namespaced: true, verbs: ["create"])
        r += entry("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", namespaced: false, verbs: ["create"])
        r += entry("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", namespaced: false, verbs: ["create"])
        r += entry("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", namespaced: false, verbs: ["create"])
        r += entry("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", namespaced: true, short: ["hpa"], categories: ["all"], subresources: [status])
        r += entry("batch", "v1", "CronJob", "cronjobs", namespaced: true, short: ["cj"], categories: ["all"], subresources: [status])
        r += entry("batch", "v1", "Job", "jobs", namespaced: true, categories: ["all"], subresources: [status])
        r += entry("coordination.k8s.io", "v1", "Lease", "leases", namespaced: true)
        r += entry("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", namespaced: true)
        r += entry("events.k8s.io", "v1", "Event", "events", namespaced: true, short: ["ev"])
        r += entry("networking.k8s.io", "v1", "Ingress", "ingresses", namespaced: true, short: ["ing"], subresources: [status])
        r += entry("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", namespaced: true, short: ["netpol"])
        r += entry("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", namespaced: true, short: ["pdb"], subresources: [status])
        r += entry("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", namespaced: false)
        r += entry("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", namespaced: false)
        r += entry("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", namespaced: true)
        r += entry("rbac.authorization.k8s.io", "v1", "Role", "roles", namespaced: true)
        r += entry("storage.k8s.io", "v1", "StorageClass", "storageclasses", namespaced: false, short: ["sc"])
        r += entry("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", namespaced: false,
                   short: ["crd", "crds"], categories: ["api-extensions"], subresources: [status])
        return r
    }()
}
