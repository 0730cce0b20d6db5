import Foundation
import KubeCore

/// The AdmissionReview exchange as kube-apiserver writes and reads it
/// (`admission/plugin/webhook/request/admissionreview.go`). Written here on purpose, not
/// borrowed from `KubeWebhooks`: the two sides are tested against each other.
enum AdmissionReviewWire {
    /// A call that could not get a usable answer (kube's `ErrCallingWebhook`): subject to `failurePolicy`.
    struct CallFailure: Error, Sendable {
        var reason: String
    }

    /// What a verified response says.
    struct Verdict: Sendable {
        var allowed: Bool
        var status: JSONValue?
        /// The decoded JSON Patch document, when the webhook sent one.
        var patch: JSONValue?
        var warnings: [String]
    }

    /// The review version to send: the first of the webhook's list kube knows.
    static func version(for webhook: AdmissionWebhook) throws(CallFailure) -> String {
        guard let version = webhook.admissionReviewVersions.first(where: { $0 == "v1" || $0 == "v1beta1" }) else {
            throw CallFailure(reason: "could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)")
        }
        return version
    }

    /// The `AdmissionReview` request body. `invoked` is the resource the webhook matched
    /// (another version of the requested one under `matchPolicy: Equivalent`).
    static func request(
        uid: String, version: String, attributes: AdmissionAttributes, invoked: ServedResource, object: JSONValue?, oldObject: JSONValue?
    ) -> JSONValue {
        let requested = attributes.resource
        var user: [String: JSONValue] = [
            "username": .string(attributes.user.username),
            "groups": .array(attributes.user.groups.map(JSONValue.string)),
        ]
        if let uid = attributes.user.uid, !uid.isEmpty { user["uid"] = .string(uid) }
        if let extra = attributes.user.extra, !extra.isEmpty {
            user["extra"] = .object(extra.mapValues { .array($0.map(JSONValue.string)) })
        }
        var request: [String: JSONValue] = [
            "uid": .string(uid),
            "kind": gvk(invoked), "resource": gvr(invoked),
            "requestKind": gvk(requested), "requestResource": gvr(requested),
            "operation": .string(attributes.operation.rawValue),
            "userInfo": .object(user),
            "object": object ?? .null, "oldObject": oldObject ?? .null,
            "dryRun": .bool(attributes.dryRun),
            "options": attributes.options,
        ]
        if !attributes.subresource.isEmpty {
            request["subResource"] = .string(attributes.subresource)
            request["requestSubResource"] = .string(attributes.subresource)
        }
        if !attributes.name.isEmpty { request["name"] = .string(attributes.name) }
        if !attributes.namespace.isEmpty { request["namespace"] = .string(attributes.namespace) }
        return ["apiVersion": .string("admission.k8s.io/\(version)"), "kind": "AdmissionReview", "request": .object(request)]
    }

    private static func gvk(_ resource: ServedResource) -> JSONValue {
        ["group": .string(resource.group), "version": .string(resource.version), "kind": .string(resource.kind)]
    }

    private static func gvr(_ resource: ServedResource) -> JSONValue {
        ["group": .string(resource.group), "version": .string(resource.version), "resource": .string(resource.plural)]
    }

    /// kube's `VerifyAdmissionResponse`: v1 answers must echo the uid and be
    /// `admission.k8s.io/v1` `AdmissionReview`; patch and patchType come together, and only
    /// from mutating webhooks; v1beta1 answers are checked less (as in kube).
    static func verify(_ review: JSONValue, uid: String, version: String, mutating: Bool) throws(CallFailure) -> Verdict {
        func invalid(_ why: String) -> CallFailure { CallFailure(reason: "received invalid webhook response: \(why)") }
        guard let response = review["response"], response != .null else { throw invalid("webhook response was absent") }
        let patchText = response["patch"]?.stringValue ?? ""
        let patchType = response["patchType"]
        if version == "v1" {
            let gotUID = response["uid"]?.stringValue ?? ""
            guard gotUID == uid else { throw invalid("expected response.uid=\(quote(uid)), got \(quote(gotUID))") }
            let apiVersion = review["apiVersion"]?.stringValue ?? ""
            let kind = review["kind"]?.stringValue ?? ""
            if apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview" {
                let gv = apiVersion.contains("/") ? apiVersion : "/" + apiVersion
                throw invalid("expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got \(gv), Kind=\(kind)")
            }
            if mutating {
                if !patchText.isEmpty && (patchType == nil || patchType == .null) {
                    throw invalid("webhook returned response.patch but not response.patchType")
                }
                if patchText.isEmpty, let patchType, patchType != .null {
                    throw invalid("webhook returned response.patchType but not response.patch")
                }
                if let type = patchType?.stringValue, type.isEmpty {
                    throw invalid("webhook returned invalid response.patchType of \"\"")
                }
            } else {
                if !patchText.isEmpty { throw invalid("validating webhook may not return response.patch") }
                if let patchType, patchType != .null { throw invalid("validating webhook may not return response.patchType") }
            }
        }
        var verdict = Verdict(
            allowed: response["allowed"]?.boolValue ?? false, status: response["status"],
            patch: nil, warnings: response["warnings"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        guard mutating, !patchText.isEmpty else { return verdict }
        if version == "v1", let type = patchType?.stringValue, type != "JSONPatch" {
            throw CallFailure(reason: "unsupported patch type \(quote(type))")
        }
        guard let bytes = Data(base64Encoded: patchText) else {
            throw CallFailure(reason: "received undecodable patch in webhook response: illegal base64 data")
        }
        do {
            verdict.patch = try JSONWriter.parse(bytes)
        } catch {
            throw CallFailure(reason: "received undecodable patch in webhook response: \(error.status.message ?? "invalid JSON")")
        }
        guard verdict.patch?.arrayValue != nil else {
            throw CallFailure(reason: "received undecodable patch in webhook response: json: cannot unmarshal \(verdict.patch?.jsonTypeName ?? "null") into Go value of type jsonpatch.Patch")
        }
        return verdict
    }

    /// kube's `ToStatusErr`: the denial as the user sees it.
    static func denial(webhook: String, status: JSONValue?) -> APIError {
        let deniedBy = "admission webhook \(quote(webhook)) denied the request"
        let message = status?["message"]?.stringValue ?? ""
        let reason = status?["reason"]?.stringValue ?? ""
        var code = status?["code"]?.intValue.map(Int.init) ?? 0
        if code < 400 { code = 400 }
        let text: String
        if !message.isEmpty {
            text = "\(deniedBy): \(message)"
        } else if !reason.isEmpty {
            text = "\(deniedBy): \(reason)"
        } else {
            text = "\(deniedBy) without explanation"
        }
        var error = APIError(code: code, reason: reason, message: text)
        if reason.isEmpty { error.status.reason = nil }
        if let details = status?["details"], details != .null,
            let decoded = try? JSONDecoder().decode(StatusDetails.self, from: JSONWriter.data(details))
        {
            error.status.details = decoded
        }
        return error
    }

    /// Go's `%q` for the strings that appear in these messages.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
