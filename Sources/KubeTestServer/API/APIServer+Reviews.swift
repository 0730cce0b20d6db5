import APIServerSemantics
import Foundation
import KubeCore
import KubeModels

/// Resources that are not stored: the review APIs and TokenRequest.
extension APIServer {
    func handleVirtual(_ request: ServerRequest, info: RequestInfo, resource: ServedResource, user: UserInfo) async throws(APIError) -> ServerResponse? {
        guard info.verb == "create" else {
            if ["authentication.k8s.io", "authorization.k8s.io"].contains(resource.group) {
                // Create-only resources: kube routes only POST on the collection.
                throw info.name.isEmpty ? APIError.routeMethodNotAllowed : APIError.pathNotFound
            }
            return nil
        }
        switch (resource.group, resource.plural, info.subresource) {
        case ("", "serviceaccounts", "token"):
            return try await tokenRequest(request, namespace: info.namespace, name: info.name)
        case ("authentication.k8s.io", "selfsubjectreviews", _):
            var body = try parseBody(request)
            try checkTypeMeta(&body, resource: resource)
            body["status"] = ["userInfo": userJSON(user)]
            // Unlike the access reviews, kube stamps a SelfSubjectReview with the time it was made.
            var metadata = body.metadataObject
            metadata["creationTimestamp"] = .string(Time.now().description)
            body["metadata"] = .object(metadata)
            return .json(201, JSONWriter.data(body))
        case ("authentication.k8s.io", "tokenreviews", _):
            var body = try parseBody(request)
            try checkTypeMeta(&body, resource: resource)
            body = try recordCreate(body, request: request)
            let token = body["spec"]?["token"]?.stringValue ?? ""
            let audiences = body["spec"]?["audiences"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if token.isEmpty { throw APIError.badRequest("token is required for TokenReview in authentication") }
            let target = audiences.isEmpty ? [TokenAuthority.issuer] : audiences
            do throws(TokenAuthenticationFailure) {
                let reviewed: UserInfo
                if token == adminToken {
                    reviewed = .admin
                } else {
                    reviewed = try await userForServiceAccountToken(token, audiences: target)
                }
                body["status"] = ["authenticated": true, "user": userJSON(reviewed), "audiences": .array(target.map(JSONValue.string))]
            } catch {
                // kube leaves `authenticated` out (false) and reports the authenticator's error.
                body["status"] = ["user": [:], "error": .string(error.reviewError)]
            }
            // v1.36 answers a TokenReview without a creationTimestamp.
            body["metadata"] = body["metadata"] ?? [:]
            return .json(201, JSONWriter.data(body))
        case ("authorization.k8s.io", "selfsubjectaccessreviews", _):
            var body = try parseBody(request)
            try checkTypeMeta(&body, resource: resource)
            body = try recordCreate(body, request: request)
            body["status"] = try await accessReviewStatus(for: user, spec: body["spec"])
            return .json(201, JSONWriter.data(reviewMetadata(body)))
        case ("authorization.k8s.io", "subjectaccessreviews", _), ("authorization.k8s.io", "localsubjectaccessreviews", _):
            var body = try parseBody(request)
            try checkTypeMeta(&body, resource: resource)
            body = try recordCreate(body, request: request)
            let spec = body["spec"]
            var subject = UserInfo(
                username: spec?["user"]?.stringValue ?? "", uid: spec?["uid"]?.stringValue,
                groups: spec?["groups"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            if subject.username.isEmpty && subject.groups.isEmpty {
                throw APIError.invalid(kind: resource.kind, group: resource.group, name: "", causes: [
                    FieldError.invalid("spec.user", "", "at least one of user or group must be specified")
                ])
            }
            if let extra = spec?["extra"]?.objectValue { subject.extra = extra.mapValues { $0.arrayValue?.compactMap(\.stringValue) ?? [] } }
            var reviewSpec = spec
            if resource.plural == "localsubjectaccessreviews" {
                reviewSpec?["resourceAttributes"]?["namespace"] = .string(info.namespace)
            }
            body["status"] = try await accessReviewStatus(for: subject, spec: reviewSpec)
            return .json(201, JSONWriter.data(reviewMetadata(body)))
        case ("authorization.k8s.io", "selfsubjectrulesreviews", _):
            var body = try parseBody(request)
            try checkTypeMeta(&body, resource: resource)
            body = try recordCreate(body, request: request)
            guard let namespace = body["spec"]?["namespace"]?.stringValue, !namespace.isEmpty else {
                throw APIError.invalid(kind: "SelfSubjectRulesReview", group: "authorization.k8s.io", name: "", causes: [
                    FieldError.required("spec.namespace", "")
                ])
            }
            body["status"] = await rules(for: user, namespace: namespace).status
            return .json(201, JSONWriter.data(reviewMetadata(body)))
        default:
            return nil
        }
    }

    /// kube's create handler records the writer's `Update` entry in `metadata.managedFields`
    /// for the reviews and TokenRequest too, though nothing is stored (SelfSubjectReview aside).
    private func recordCreate(_ body: JSONValue, request: ServerRequest, subresource: String? = nil) throws(APIError) -> JSONValue {
        ServerSideApply.recordUpdate(
            old: nil, new: body, fieldManager: try writeFieldManager(request), subresource: subresource, time: Date(),
            schema: BuiltinPatchSchema.schema)
    }

    private func reviewMetadata(_ body: JSONValue) -> JSONValue {
        var body = body
        // kube 1.36 omits a zero creationTimestamp (omitzero) rather than writing null.
        body["metadata"] = .object(body.metadataObject)
        return body
    }

    func userJSON(_ user: UserInfo) -> JSONValue {
        var object: [String: JSONValue] = ["username": .string(user.username), "groups": .array(user.groups.map(JSONValue.string))]
        if let uid = user.uid { object["uid"] = .string(uid) }
        if let extra = user.extra, !extra.isEmpty { object["extra"] = .object(extra.mapValues { .array($0.map(JSONValue.string)) }) }
        return .object(object)
    }

    private func accessReviewStatus(for user: UserInfo, spec: JSONValue?) async throws(APIError) -> JSONValue {
        let attributes: RequestAttributes
        if let resourceAttributes = spec?["resourceAttributes"] {
            attributes = RequestAttributes(resourceAttributes: resourceAttributes)
        } else if let nonResource = spec?["nonResourceAttributes"] {
            attributes = RequestAttributes(nonResourceAttributes: nonResource)
        } else {
            // kube validates the decoded internal object, whose kind is empty: the message
            // starts ".authorization.k8s.io", and the value is the absent nonResourceAttributes.
            throw APIError.invalid(kind: "", group: "authorization.k8s.io", name: "", causes: [
                APIServerSemantics.FieldError(
                    .invalid, field: "spec.resourceAttributes", value: .null,
                    detail: "exactly one of nonResourceAttributes or resourceAttributes must be specified"
                ).cause
            ])
        }
        let decision = await decide(user: user, attributes)
        var status: [String: JSONValue] = ["allowed": .bool(decision.allowed)]
        if !decision.reason.isEmpty { status["reason"] = .string(decision.reason) }
        return .object(status)
    }

    /// `POST .../serviceaccounts/<name>/token` (TokenRequest).
    private func tokenRequest(_ request: ServerRequest, namespace: String, name: String) async throws(APIError) -> ServerResponse {
        var body = try parseBody(request)
        let account = try await store.get(serviceAccountResource, namespace: namespace, name: name)
        let requested = body["spec"]?["expirationSeconds"]?.intValue ?? Int64(configuration.tokenTTL.components.seconds)
        if requested < 600 {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: "", causes: [
                APIServerSemantics.FieldError(.invalid, field: "spec.expirationSeconds", value: .int(requested), detail: "may not specify a duration less than 10 minutes").cause
            ])
        }
        if requested > 1 << 32 {
            throw APIError.invalid(kind: "TokenRequest", group: "authentication.k8s.io", name: "", causes: [
                APIServerSemantics.FieldError(.invalid, field: "spec.expirationSeconds", value: .int(requested), detail: "may not specify a duration larger than 2^32 seconds").cause
            ])
        }
        body["apiVersion"] = "authentication.k8s.io/v1"
        body["kind"] = "TokenRequest"
        if body["spec"] == nil { body["spec"] = .object([:]) }
        body["spec"]?["expirationSeconds"] = .int(requested)
        body = try recordCreate(body, request: request, subresource: "token")
        let audiences = body["spec"]?["audiences"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let bound = try await boundObject(body["spec"]?["boundObjectRef"], namespace: namespace, serviceAccount: name)
        let minted: (token: String, expiration: Date)
        do {
            minted = try await tokens.mint(
                namespace: namespace, serviceAccount: name, serviceAccountUID: account["metadata"]?["uid"]?.stringValue ?? "",
                audiences: audiences, expirationSeconds: Int(requested), bound: bound)
        } catch {
            throw APIError.internalError("failed to sign the token")
        }
        body["apiVersion"] = "authentication.k8s.io/v1"
        body["kind"] = "TokenRequest"
        var metadata = body.metadataObject
        metadata["name"] = .string(name)
        metadata["namespace"] = .string(namespace)
        // kube answers with the ServiceAccount's uid and creationTimestamp.
        metadata["uid"] = account["metadata"]?["uid"]
        metadata["creationTimestamp"] = account["metadata"]?["creationTimestamp"] ?? .null
        body["metadata"] = .object(metadata)
        var spec = body["spec"]?.objectValue ?? [:]
        spec["audiences"] = .array((audiences.isEmpty ? [TokenAuthority.issuer] : audiences).map(JSONValue.string))
        spec["expirationSeconds"] = .int(requested)
        spec["boundObjectRef"] = spec["boundObjectRef"] ?? .null
        body["spec"] = .object(spec)
        body["status"] = ["token": .string(minted.token), "expirationTimestamp": .string(Time(minted.expiration).description)]
        return .json(201, JSONWriter.data(body))
    }
}
