import KubeCore
import Testing

@testable import KubeModels

@Suite(.timeLimit(.minutes(3))) struct BuiltinResourcesTests {
    private func find(_ group: String, _ version: String, _ name: String) -> APIResourceInfo? {
        BuiltinResources.all.first { $0.group == group && $0.version == version && $0.name == name }
    }

    @Test func podsAreNamespacedWithEveryVerb() throws {
        let pods = try #require(find("", "v1", "pods"))
        #expect(pods.kind == "Pod")
        #expect(pods.namespaced)
        #expect(pods.singularName == "pod")
        #expect(pods.verbs == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
        #expect(pods.shortNames == ["po"])
        #expect(pods.categories == ["all"])
        #expect(pods.kindGroupVersion == nil)
    }

    @Test func subresourcesAreListed() throws {
        let log = try #require(find("", "v1", "pods/log"))
        #expect(log.kind == "Pod")
        #expect(log.verbs == ["get"])
        #expect(log.namespaced)
        #expect(log.isSubresource)
        let status = try #require(find("", "v1", "pods/status"))
        #expect(status.verbs == ["get", "patch", "update"])
        let exec = try #require(find("", "v1", "pods/exec"))
        #expect(exec.kind == "PodExecOptions")
        #expect(exec.verbs == ["create", "get"])
        let token = try #require(find("", "v1", "serviceaccounts/token"))
        #expect(token.kind == "TokenRequest")
        #expect(token.kindGroupVersion == GroupVersion(group: "authentication.k8s.io", version: "v1"))
        #expect(token.verbs == ["create"])
    }

    @Test func scaleSubresourceUsesTheAutoscalingKind() throws {
        let scale = try #require(find("apps", "v1", "deployments/scale"))
        #expect(scale.kind == "Scale")
        #expect(scale.kindGroupVersion == GroupVersion(group: "autoscaling", version: "v1"))
        #expect(scale.verbs == ["get", "patch", "update"])
        #expect(scale.namespaced)
    }

    @Test func clusterScopedResources() throws {
        let nodes = try #require(find("", "v1", "nodes"))
        #expect(!nodes.namespaced)
        #expect(nodes.shortNames == ["no"])
        let namespaces = try #require(find("", "v1", "namespaces"))
        #expect(!namespaces.namespaced)
        let crds = try #require(find("apiextensions.k8s.io", "v1", "customresourcedefinitions"))
        #expect(!crds.namespaced)
        #expect(crds.shortNames == ["crd", "crds"])
        let review = try #require(find("authorization.k8s.io", "v1", "selfsubjectaccessreviews"))
        #expect(!review.namespaced)
        #expect(review.verbs == ["create"])
    }

    @Test func onlyStableGroupVersionsByDefault() {
        #expect(!BuiltinResources.all.isEmpty)
        for resource in BuiltinResources.all {
            #expect(resource.version.wholeMatch(of: /v[0-9]+/) != nil, "\(resource.group)/\(resource.version)")
        }
        #expect(find("autoscaling", "v2", "horizontalpodautoscalers")?.shortNames == ["hpa"])
        #expect(find("coordination.k8s.io", "v1", "leases")?.namespaced == true)
    }

    @Test func patchSchemaKnowsMergeKeys() throws {
        let schema = BuiltinPatchSchema.schema
        let containers = try #require(schema.field("containers", in: "io.k8s.api.core.v1.PodSpec"))
        #expect(containers.patchMergeKey == "name")
        #expect(containers.patchStrategy == "merge")
        #expect(containers.listType == "map")
        #expect(containers.listMapKeys == ["name"])
        #expect(containers.shape == .list(element: "io.k8s.api.core.v1.Container"))
        let ports = try #require(schema.field("ports", in: "io.k8s.api.core.v1.Container"))
        #expect(ports.listMapKeys == ["containerPort", "protocol"])
        #expect(schema.field("args", in: "io.k8s.api.core.v1.Container")?.listType == "atomic")
        #expect(schema.field("spec", in: "io.k8s.api.core.v1.Pod")?.shape == .object(type: "io.k8s.api.core.v1.PodSpec"))
        #expect(schema.field("labels", in: "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")?.shape == .map(element: nil))
        #expect(schema.field("image", in: "io.k8s.api.core.v1.Container") == nil)
        #expect(schema.kinds[GroupVersionKind(group: "apps", version: "v1", kind: "Deployment")] == "io.k8s.api.apps.v1.Deployment")
        #expect(schema.kinds[GroupVersionKind(group: "", version: "v1", kind: "Pod")] == "io.k8s.api.core.v1.Pod")
    }
}
