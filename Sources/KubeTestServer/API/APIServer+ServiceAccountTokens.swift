import Foundation
import KubeCore

/// Why a service account token did not authenticate; `reason` is kube's wording
/// (TokenReview shows `[invalid bearer token, <reason>]`), `nil` for a token that is not a
/// service account token of this server at all (TokenReview shows `invalid bearer token`).
struct TokenAuthenticationFailure: Error, Sendable {
    var reason: String?

    /// TokenReview's `status.error`.
    var reviewError: String {
        guard let reason else { return "invalid bearer token" }
        return "[invalid bearer token, \(reason)]"
    }
}

/// Service account token authentication and the objects TokenRequest binds tokens to.
extension APIServer {
    /// How long an object marked for deletion still backs its tokens (kube's validator
    /// refuses tokens of objects whose `deletionTimestamp` is more than 60 s in the past).
    static let boundObjectDeletionGrace: TimeInterval = 60

    /// Verifies a service account token, then checks on every call (like kube-apiserver's
    /// service account token validator with its getter) that its ServiceAccount and the
    /// object it is bound to (Secret, Pod or Node) still exist with the uids in the token.
    func userForServiceAccountToken(_ token: String, audiences: [String]) async throws(TokenAuthenticationFailure) -> UserInfo {
        let claims: ServiceAccountClaims
        do {
            claims = try await tokens.verify(token, audiences: audiences)
        } catch {
            logger.debug("token refused", metadata: ["reason": "\(error)"])
            throw TokenAuthenticationFailure(reason: error.message)
        }
        let namespace = claims.kubernetes.namespace
        let name = claims.kubernetes.serviceaccount.name
        guard let account = try? await store.get(serviceAccountResource, namespace: namespace, name: name) else {
            throw TokenAuthenticationFailure(reason: "serviceaccounts \"\(name)\" not found")
        }
        let accountUID = account["metadata"]?["uid"]?.stringValue ?? ""
        guard accountUID == claims.kubernetes.serviceaccount.uid else {
            throw TokenAuthenticationFailure(
                reason: "service account UID (\(accountUID)) does not match claim (\(claims.kubernetes.serviceaccount.uid))")
        }
        if isDeletedTooLongAgo(account) { throw TokenAuthenticationFailure(reason: "service account token has been invalidated") }
        if let secret = claims.kubernetes.secret {
            try await checkBound(resource: "secrets", namespace: namespace, reference: secret, what: "secret", claim: "service account secret ref claim")
        }
        if let pod = claims.kubernetes.pod {
            try await checkBound(resource: "pods", namespace: namespace, reference: pod, what: "pod", claim: "service account pod ref claim")
        }
        if claims.kubernetes.pod == nil, let node = claims.kubernetes.node, let uid = node.uid {
            try await checkBound(
                resource: "nodes", namespace: nil, reference: .init(name: node.name, uid: uid), what: "node", claim: "service account node ref claim")
        }
        var extra: [String: [String]] = ["authentication.kubernetes.io/credential-id": ["JTI=\(claims.jti.value)"]]
        if let node = claims.kubernetes.node {
            extra["authentication.kubernetes.io/node-name"] = [node.name]
            if let uid = node.uid { extra["authentication.kubernetes.io/node-uid"] = [uid] }
        }
        if let pod = claims.kubernetes.pod {
            extra["authentication.kubernetes.io/pod-name"] = [pod.name]
            extra["authentication.kubernetes.io/pod-uid"] = [pod.uid]
        }
        return UserInfo(
            username: "system:serviceaccount:\(namespace):\(name)", uid: claims.kubernetes.serviceaccount.uid,
            groups: ["system:serviceaccounts", "system:serviceaccounts:\(namespace)", "system:authenticated"], extra: extra)
    }

    /// The bound object must exist (and not be deleting for longer than the grace) with the token's uid.
    private func checkBound(
        resource plural: String, namespace: String?, reference: KubernetesClaim.Reference, what: String, claim: String
    ) async throws(TokenAuthenticationFailure) {
        guard let resource = registry.resource(group: "", version: "v1", plural: plural),
            let object = try? await store.get(resource, namespace: namespace, name: reference.name), !isDeletedTooLongAgo(object)
        else {
            throw TokenAuthenticationFailure(reason: "service account token has been invalidated")
        }
        let uid = object["metadata"]?["uid"]?.stringValue ?? ""
        guard uid == reference.uid else {
            throw TokenAuthenticationFailure(reason: "\(what) UID (\(uid)) does not match \(claim) (\(reference.uid))")
        }
    }

    private func isDeletedTooLongAgo(_ object: JSONValue) -> Bool {
        guard let text = object["metadata"]?["deletionTimestamp"]?.stringValue, let time = RFC3339.parse(text) else { return false }
        return time < Date().addingTimeInterval(-Self.boundObjectDeletionGrace)
    }

    /// TokenRequest's `spec.boundObjectRef` resolved like kube's TokenREST: Pod, Secret or
    /// Node (any apiVersion), in the request's namespace; a Pod must run as this ServiceAccount;
    /// a given uid must match.
    func boundObject(_ reference: JSONValue?, namespace: String, serviceAccount: String) async throws(APIError) -> BoundObject? {
        guard let reference, reference != .null else { return nil }
        let kindName = reference["kind"]?.stringValue ?? ""
        let apiVersion = reference["apiVersion"]?.stringValue ?? ""
        guard let kind = BoundObject.Kind(rawValue: kindName) else {
            let gv = GroupVersion(apiVersion: apiVersion) ?? GroupVersion(group: "", version: apiVersion)
            throw APIError.badRequest("cannot bind token to object of type \(gv.group)/\(gv.version), Kind=\(kindName)")
        }
        let name = reference["name"]?.stringValue ?? ""
        let plural = kind == .pod ? "pods" : kind == .secret ? "secrets" : "nodes"
        guard let resource = registry.resource(group: "", version: "v1", plural: plural) else { throw APIError.pathNotFound }
        let object = try await store.get(resource, namespace: kind == .node ? nil : namespace, name: name)
        let uid = object["metadata"]?["uid"]?.stringValue ?? ""
        if let given = reference["uid"]?.stringValue, !given.isEmpty, given != uid {
            throw APIError.conflict(
                GroupResource(group: "", resource: kindName), name,
                "the UID in the bound object reference (\(given)) does not match the UID in record. The object might have been deleted and then recreated")
        }
        var bound = BoundObject(kind: kind, name: name, uid: uid)
        if kind == .pod {
            let podAccount = object["spec"]?["serviceAccountName"]?.stringValue ?? ""
            if podAccount != serviceAccount {
                throw APIError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with different serviceaccount name.")
            }
            if let nodeName = object["spec"]?["nodeName"]?.stringValue, !nodeName.isEmpty {
                var nodeUID: String?
                if let nodes = registry.resource(group: "", version: "v1", plural: "nodes"),
                    let node = try? await store.get(nodes, namespace: nil, name: nodeName)
                {
                    nodeUID = node["metadata"]?["uid"]?.stringValue
                }
                bound.node = .init(name: nodeName, uid: nodeUID)
            }
        }
        return bound
    }
}
