import Foundation
import KubeCore

/// Parses JSON text in tests; a typo in a fixture fails loudly.
func json(_ text: String) -> JSONValue {
    do {
        return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    } catch {
        fatalError("bad JSON fixture: \(text)")
    }
}

/// A hand-built slice of the real built-in schema (core/v1 Pod, apps/v1 Deployment): the
/// strategies and merge keys are those of the Kubernetes OpenAPI spec.
let testSchema: PatchSchema = {
    let meta = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
    let podSpec = "io.k8s.api.core.v1.PodSpec"
    let container = "io.k8s.api.core.v1.Container"
    func merge(_ element: String?, key: String? = nil, listKeys: [String]? = nil, retain: Bool = false) -> FieldSchema {
        FieldSchema(
            shape: .list(element: element), patchStrategy: retain ? "merge,retainKeys" : "merge", patchMergeKey: key,
            listType: key == nil ? "set" : "map", listMapKeys: listKeys ?? (key.map { [$0] } ?? []))
    }
    return PatchSchema(
        types: [
            "io.k8s.api.core.v1.Pod": [
                "metadata": FieldSchema(shape: .object(type: meta)),
                "spec": FieldSchema(shape: .object(type: podSpec)),
                "status": FieldSchema(shape: .object(type: "io.k8s.api.core.v1.PodStatus")),
            ],
            "io.k8s.api.core.v1.ConfigMap": [
                "metadata": FieldSchema(shape: .object(type: meta)),
                "data": FieldSchema(shape: .map(element: nil)),
            ],
            meta: [
                "labels": FieldSchema(shape: .map(element: nil)),
                "annotations": FieldSchema(shape: .map(element: nil)),
                "finalizers": FieldSchema(shape: .list(element: nil), patchStrategy: "merge", listType: "set"),
                "ownerReferences": merge("io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference", key: "uid"),
                "managedFields": FieldSchema(
                    shape: .list(element: "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"), listType: "atomic"),
            ],
            podSpec: [
                "containers": merge(container, key: "name"),
                "initContainers": merge(container, key: "name"),
                "volumes": merge("io.k8s.api.core.v1.Volume", key: "name", retain: true),
                "tolerations": FieldSchema(shape: .list(element: "io.k8s.api.core.v1.Toleration"), listType: "atomic"),
                "imagePullSecrets": merge("io.k8s.api.core.v1.LocalObjectReference", key: "name"),
                "nodeSelector": FieldSchema(shape: .map(element: nil)),
            ],
            container: [
                "ports": merge("io.k8s.api.core.v1.ContainerPort", key: "containerPort", listKeys: ["containerPort", "protocol"]),
                "env": merge("io.k8s.api.core.v1.EnvVar", key: "name"),
                "volumeMounts": merge("io.k8s.api.core.v1.VolumeMount", key: "mountPath"),
                "args": FieldSchema(shape: .list(element: nil), listType: "atomic"),
                "command": FieldSchema(shape: .list(element: nil), listType: "atomic"),
                "resources": FieldSchema(shape: .object(type: "io.k8s.api.core.v1.ResourceRequirements")),
            ],
            "io.k8s.api.core.v1.ResourceRequirements": [
                "limits": FieldSchema(shape: .map(element: nil)),
                "requests": FieldSchema(shape: .map(element: nil)),
            ],
            "io.k8s.api.core.v1.Volume": [
                "configMap": FieldSchema(shape: .object(type: "io.k8s.api.core.v1.ConfigMapVolumeSource")),
                "emptyDir": FieldSchema(shape: .object(type: "io.k8s.api.core.v1.EmptyDirVolumeSource")),
            ],
            "io.k8s.api.apps.v1.Deployment": [
                "metadata": FieldSchema(shape: .object(type: meta)),
                "spec": FieldSchema(shape: .object(type: "io.k8s.api.apps.v1.DeploymentSpec")),
            ],
            "io.k8s.api.apps.v1.DeploymentSpec": [
                "template": FieldSchema(shape: .object(type: "io.k8s.api.core.v1.PodTemplateSpec")),
                "selector": FieldSchema(shape: .object(type: "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector")),
                "strategy": FieldSchema(
                    shape: .object(type: "io.k8s.api.apps.v1.DeploymentStrategy"), patchStrategy: "retainKeys"),
            ],
            "io.k8s.api.apps.v1.DeploymentStrategy": [
                "rollingUpdate": FieldSchema(shape: .object(type: "io.k8s.api.apps.v1.RollingUpdateDeployment")),
            ],
            "io.k8s.api.core.v1.PodTemplateSpec": [
                "metadata": FieldSchema(shape: .object(type: meta)),
                "spec": FieldSchema(shape: .object(type: podSpec)),
            ],
            "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": [
                "matchLabels": FieldSchema(shape: .map(element: nil)),
            ],
        ],
        kinds: [
            GroupVersionKind(group: "", version: "v1", kind: "Pod"): "io.k8s.api.core.v1.Pod",
            GroupVersionKind(group: "", version: "v1", kind: "ConfigMap"): "io.k8s.api.core.v1.ConfigMap",
            GroupVersionKind(group: "apps", version: "v1", kind: "Deployment"): "io.k8s.api.apps.v1.Deployment",
        ])
}()

let podKind = GroupVersionKind(group: "", version: "v1", kind: "Pod")
let configMapKind = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")
let deploymentKind = GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")
