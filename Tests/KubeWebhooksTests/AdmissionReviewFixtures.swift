import Foundation
import KubeCore
import KubeModels

@testable import KubeWebhooks

/// Admission and conversion reviews as kube-apiserver sends them (JSON text).
enum Reviews {
    static func admission(
        uid: String = "705ab4f5-6393-11e8-b7cc-42010a800002", kind: (String, String, String) = ("", "v1", "Pod"),
        resource: String = "pods", operation: String = "CREATE", object: JSONValue?, oldObject: JSONValue? = nil,
        dryRun: Bool = false, subResource: String? = nil, namespace: String = "default"
    ) -> Data {
        var request: [String: JSONValue] = [
            "uid": .string(uid),
            "kind": ["group": .string(kind.0), "version": .string(kind.1), "kind": .string(kind.2)],
            "resource": ["group": .string(kind.0), "version": .string(kind.1), "resource": .string(resource)],
            "requestKind": ["group": .string(kind.0), "version": .string(kind.1), "kind": .string(kind.2)],
            "requestResource": ["group": .string(kind.0), "version": .string(kind.1), "resource": .string(resource)],
            "name": "web-1", "namespace": .string(namespace), "operation": .string(operation),
            "userInfo": ["username": "alice", "uid": "u-1", "groups": ["system:authenticated", "devs"], "extra": ["scopes": ["a"]]],
            "dryRun": .bool(dryRun), "options": ["apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"],
        ]
        if let object { request["object"] = object }
        if let oldObject { request["oldObject"] = oldObject }
        if let subResource { request["subResource"] = .string(subResource) }
        return json(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": .object(request)])
    }

    static func pod(name: String = "web-1", image: String = "nginx:1.27", extra: [String: JSONValue] = [:]) -> JSONValue {
        var pod: [String: JSONValue] = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": .string(name), "namespace": "default", "labels": ["app": "web"]],
            "spec": ["containers": [["name": "web", "image": .string(image)]]],
        ]
        for (key, value) in extra { pod[key] = value }
        return .object(pod)
    }

    static func json(_ value: JSONValue) -> Data { try! JSONEncoder().encode(value) }

    static func response(_ http: WebhookHTTPResponse) throws -> AdmissionReview.Response {
        let review = try JSONDecoder().decode(AdmissionReview.self, from: http.body)
        guard let response = review.response else { throw CocoaError(.coderValueNotFound) }
        return response
    }
}
