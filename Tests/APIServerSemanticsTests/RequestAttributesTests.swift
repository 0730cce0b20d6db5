import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("Request attributes from URLs, patch types", .timeLimit(.minutes(3)))
struct RequestAttributesTests {
    // Cases after apiserver's request_test.go TestGetAPIRequestInfo.
    @Test func resourceRequests() {
        typealias R = RequestAttributes
        #expect(R(method: "GET", path: "/api/v1/namespaces") == .resource(verb: "list", apiGroup: "", apiVersion: "v1", resource: "namespaces"))
        #expect(R(method: "GET", path: "/api/v1/namespaces/other") == .resource(verb: "get", apiGroup: "", apiVersion: "v1", resource: "namespaces", name: "other", namespace: "other"))
        #expect(R(method: "GET", path: "/api/v1/namespaces/other/pods") == .resource(verb: "list", apiGroup: "", apiVersion: "v1", resource: "pods", namespace: "other"))
        #expect(R(method: "GET", path: "/api/v1/namespaces/other/pods/foo") == .resource(verb: "get", apiGroup: "", apiVersion: "v1", resource: "pods", name: "foo", namespace: "other"))
        #expect(R(method: "HEAD", path: "/api/v1/namespaces/other/pods/foo").verb == "get")
        #expect(R(method: "GET", path: "/api/v1/pods") == .resource(verb: "list", apiGroup: "", apiVersion: "v1", resource: "pods"))
        #expect(R(method: "GET", path: "/api/v1/namespaces/other/pods", query: ["watch": "true"]).verb == "watch")
        #expect(R(method: "GET", path: "/api/v1/namespaces/other/pods", query: ["watch": "false"]).verb == "list")
        #expect(R(method: "GET", path: "/api/v1/watch/namespaces/other/pods") == .resource(verb: "watch", apiGroup: "", apiVersion: "v1", resource: "pods", namespace: "other"))
        #expect(R(method: "POST", path: "/api/v1/namespaces/other/pods") == .resource(verb: "create", apiGroup: "", apiVersion: "v1", resource: "pods", namespace: "other"))
        #expect(R(method: "PUT", path: "/api/v1/namespaces/other/pods/foo").verb == "update")
        #expect(R(method: "PATCH", path: "/api/v1/namespaces/other/pods/foo").verb == "patch")
        #expect(R(method: "DELETE", path: "/api/v1/namespaces/other/pods/foo").verb == "delete")
        #expect(R(method: "DELETE", path: "/api/v1/namespaces/other/pods").verb == "deletecollection")
        #expect(R(method: "GET", path: "/api/v1/namespaces/other/pods/foo/log") == .resource(verb: "get", apiGroup: "", apiVersion: "v1", resource: "pods", subresource: "log", name: "foo", namespace: "other"))
        #expect(R(method: "PUT", path: "/api/v1/namespaces/other/finalize") == .resource(verb: "update", apiGroup: "", apiVersion: "v1", resource: "namespaces", subresource: "finalize", name: "other", namespace: "other"))
        #expect(R(method: "PUT", path: "/apis/apps/v1/namespaces/ns/deployments/d/status") == .resource(verb: "update", apiGroup: "apps", apiVersion: "v1", resource: "deployments", subresource: "status", name: "d", namespace: "ns"))
        #expect(R(method: "GET", path: "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:discovery") == .resource(verb: "get", apiGroup: "rbac.authorization.k8s.io", apiVersion: "v1", resource: "clusterroles", name: "system:discovery"))
        #expect(R(method: "POST", path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") == .resource(verb: "create", apiGroup: "authorization.k8s.io", apiVersion: "v1", resource: "selfsubjectaccessreviews"))
        #expect(R(method: "GET", path: "/api/v1/namespaces/ns/pods", query: ["fieldSelector": "metadata.name=web-0"]).name == "web-0")
        #expect(R(method: "GET", path: "/api/v1/namespaces/ns/pods", query: ["fieldSelector": "metadata.name!=web-0"]).name == "")
        #expect(R(method: "GET", path: "/api/v1/namespaces/ns/pods", query: ["fieldSelector": "metadata.name=a/b"]).name == "")
    }

    @Test func nonResourceRequests() {
        for path in ["/", "/healthz", "/version", "/api", "/apis", "/api/v1", "/apis/apps", "/apis/apps/v1", "/openapi/v3", "/metrics"] {
            let attributes = RequestAttributes(method: "GET", path: path)
            #expect(!attributes.isResourceRequest, "\(path)")
            #expect(attributes.verb == "get")
            #expect(attributes.path == path)
        }
        #expect(RequestAttributes(method: "POST", path: "/logs").verb == "post")
    }

    @Test func patchTypes() throws {
        #expect(PatchType(contentType: "application/json-patch+json") == .jsonPatch)
        #expect(PatchType(contentType: "application/merge-patch+json; charset=utf-8") == .mergePatch)
        #expect(PatchType(contentType: "application/strategic-merge-patch+json") == .strategicMergePatch)
        #expect(PatchType(contentType: "application/apply-patch+yaml") == .apply)
        #expect(PatchType(contentType: "application/json") == nil)
        #expect(PatchType.unsupportedMediaTypeStatus(customResource: true).message
            == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        #expect(PatchType.unsupportedMediaTypeStatus(customResource: false).code == 415)
        let doc = json(#"{"metadata":{"labels":{"a":"1"}}}"#)
        #expect(try PatchType.mergePatch.apply(Data(#"{"metadata":{"labels":{"a":null}}}"#.utf8), to: doc, kind: configMapKind, schema: testSchema)
            == json(#"{"metadata":{"labels":{}}}"#))
        #expect(try PatchType.jsonPatch.apply(Data(#"[{"op":"remove","path":"/metadata"}]"#.utf8), to: doc, kind: configMapKind, schema: testSchema) == json("{}"))
        #expect(throws: PatchError.unsupportedForCustomResources) {
            try PatchType.strategicMergePatch.apply(Data("{}".utf8), to: doc, kind: GroupVersionKind(group: "x.io", version: "v1", kind: "X"), schema: testSchema)
        }
        #expect(throws: PatchError.malformedPatch) {
            try PatchType.apply.apply(Data("{}".utf8), to: doc, kind: configMapKind, schema: testSchema)
        }
    }
}
