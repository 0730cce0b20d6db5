import Foundation
import KubeCore

/// How the versions of one CustomResourceDefinition convert (`spec.conversion`), read when
/// the CRD is served.
struct CustomResourceConversion: Sendable {
    enum Strategy: String, Sendable { case none = "None", webhook = "Webhook" }

    var crdName: String
    var group: String
    var plural: String
    var kind: String
    /// The version objects are stored in (`storage: true`).
    var storageVersion: String
    var strategy: Strategy
    /// `strategy: Webhook`: the webhook's `clientConfig` (url or service, caBundle), parsed as
    /// an admission webhook's, since kube-apiserver resolves and trusts both the same way.
    var webhook: AdmissionWebhook?
    /// `spec.conversion.webhook.conversionReviewVersions`, in the CRD's order.
    var reviewVersions: [String]

    var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    var storageAPIVersion: String { "\(group)/\(storageVersion)" }

    /// `nil` when the CRD names no storage version (it is then not served anyway).
    init?(crd: JSONValue) {
        guard let name = crd["metadata"]?["name"]?.stringValue, let group = crd["spec"]?["group"]?.stringValue,
            let plural = crd["spec"]?["names"]?["plural"]?.stringValue, let kind = crd["spec"]?["names"]?["kind"]?.stringValue,
            let storage = crd["spec"]?["versions"]?.arrayValue?.first(where: { $0["storage"]?.boolValue == true })?["name"]?.stringValue
        else { return nil }
        crdName = name
        self.group = group
        self.plural = plural
        self.kind = kind
        storageVersion = storage
        let conversion = crd["spec"]?["conversion"]
        strategy = conversion?["strategy"]?.stringValue == "Webhook" ? .webhook : .none
        reviewVersions = conversion?["webhook"]?["conversionReviewVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if strategy == .webhook, let client = conversion?["webhook"]?["clientConfig"] {
            webhook = AdmissionWebhook(
                kind: .validating, configurationName: name, json: ["name": .string("conversion_webhook_for_\(name)"), "clientConfig": client])
        }
    }
}

/// Converts custom objects between the versions of their CRD, as kube-apiserver's
/// `crConverter` does: objects already in the desired version are left alone,
/// `strategy: None` rewrites only `apiVersion`, and `strategy: Webhook` posts one
/// `ConversionReview` (`apiextensions.k8s.io/v1`, or `v1beta1` when the CRD lists only that)
/// for all the objects of a read, with the same TLS, `caBundle` and Service resolution as
/// admission webhooks and a 30 s timeout. The answer is checked like kube-apiserver checks
/// it (review kind, `uid`, `result`, object count, each object's group version, kind, name,
/// namespace and uid); only `labels` and `annotations` of the returned metadata are kept.
///
/// Failures use kube-apiserver's words (`conversion webhook for G/V, Kind=K failed: …`): a
/// read (get, list, watch, the answer to a write) fails with a 500 `Status` without a
/// reason, a write that cannot be converted to the storage version with a 500
/// `InternalError` (`Internal error occurred: …`).
struct CustomResourceConverter: Sendable {
    enum Direction: Sendable { case read, write }

    static let timeoutSeconds = 30

    let registry: ResourceRegistry
    let clients: WebhookClients
    let serviceAddresses: [String: String]

    /// Whether objects of `resource` need a webhook call to change version (kept cheap: checked
    /// by the store before it suspends, so other resources' writes stay atomic).
    func needsWebhook(_ resource: GroupResource) -> Bool {
        registry.conversion(resource)?.strategy == .webhook
    }

    /// `objects` (any mix of versions) in `apiVersion`. `list`: they are the items of one list
    /// (or one batch of watch events), named as the list kind in messages.
    func convert(
        _ objects: [JSONValue], to apiVersion: String, resource: GroupResource, direction: Direction, list: Bool = false,
        store: ObjectStore
    ) async throws(APIError) -> [JSONValue] {
        guard let conversion = registry.conversion(resource) else { return objects }
        let pending = objects.indices.filter { objects[$0]["apiVersion"]?.stringValue != apiVersion }
        guard !pending.isEmpty else { return objects }
        var result = objects
        guard conversion.strategy == .webhook else {
            for index in pending { result[index]["apiVersion"] = .string(apiVersion) }
            return result
        }
        let source = objects[pending[0]]["apiVersion"]?.stringValue ?? ""
        let gvk = "\(source), Kind=\(conversion.kind)\(list ? "List" : "")"
        func failure(_ message: String) -> APIError {
            if direction == .write { return APIError.internalError(message) }
            var error = APIError(code: 500, reason: "", message: message)
            error.status.reason = nil
            return error
        }
        let converted: [JSONValue]
        do {
            converted = try await call(conversion, objects: pending.map { objects[$0] }, to: apiVersion, store: store)
        } catch {
            throw failure("conversion webhook for \(gvk) failed: \(error.reason)")
        }
        guard converted.count == pending.count else {
            throw failure("conversion webhook for \(gvk) returned \(converted.count) objects, expected \(pending.count)")
        }
        for (position, index) in pending.enumerated() {
            let label = list ? "invalid converted object at index \(position + 1)" : "invalid object at index 0"
            let original = objects[index]
            var object = converted[position]
            let version = object["apiVersion"]?.stringValue ?? ""
            if version != apiVersion {
                throw failure("conversion webhook for \(gvk) returned \(label): invalid groupVersion (expected \(apiVersion), received \(version))")
            }
            let kind = object["kind"]?.stringValue ?? ""
            if kind != conversion.kind {
                throw failure("conversion webhook for \(gvk) returned \(label): invalid kind (expected \(conversion.kind), received \(kind))")
            }
            for field in ["name", "namespace", "uid"] {
                let expected = original["metadata"]?[field]?.stringValue ?? "", got = object["metadata"]?[field]?.stringValue ?? ""
                if expected != got {
                    let what = list ? label : "invalid object"
                    throw failure("conversion webhook for \(gvk) returned \(what): must have the same \(field == "uid" ? "UID" : field): \(expected) != \(got)")
                }
            }
            guard let returned = object["metadata"]?.objectValue else {
                let what = list ? "invalid metadata in object at index \(position + 1)" : "invalid metadata"
                throw failure("conversion webhook for \(gvk) returned \(what): missing metadata in converted object")
            }
            // restoreObjectMeta: the original metadata, with the webhook's labels and annotations.
            var metadata = original["metadata"]?.objectValue ?? [:]
            for field in ["labels", "annotations"] {
                if let value = returned[field], value != .null { metadata[field] = value } else { metadata[field] = nil }
            }
            object["metadata"] = .object(metadata)
            result[index] = object
        }
        return result
    }

    /// One ConversionReview round trip; the converted objects, or why not (kube's words, without the prefix).
    private func call(
        _ conversion: CustomResourceConversion, objects: [JSONValue], to apiVersion: String, store: ObjectStore
    ) async throws(AdmissionReviewWire.CallFailure) -> [JSONValue] {
        guard let reviewVersion = conversion.reviewVersions.first(where: { $0 == "v1" || $0 == "v1beta1" }) else {
            throw .init(reason: "no supported conversion review versions")
        }
        guard let hook = conversion.webhook else { throw .init(reason: "could not get REST client: the CRD has no conversion webhook clientConfig") }
        var serviceExists = false
        if let service = hook.service {
            serviceExists = await store.exists(GroupResource(group: "", resource: "services"), namespace: service.namespace, name: service.name)
        }
        let destination = try WebhookClients.destination(
            url: hook.url, service: hook.service, timeoutSeconds: Self.timeoutSeconds, serviceAddresses: serviceAddresses,
            serviceExists: serviceExists)
        let uid = UUID().uuidString.lowercased()
        let reviewAPIVersion = "apiextensions.k8s.io/\(reviewVersion)"
        let review: JSONValue = [
            "apiVersion": .string(reviewAPIVersion), "kind": "ConversionReview",
            "request": ["uid": .string(uid), "desiredAPIVersion": .string(apiVersion), "objects": .array(objects)],
        ]
        let data: Data
        do {
            data = try await clients.post(JSONWriter.data(review), to: destination, caBundle: hook.caBundle, timeout: .seconds(Self.timeoutSeconds))
        } catch {
            // The REST client's words: no "failed to call webhook" prefix in conversion messages.
            let prefix = "failed to call webhook: "
            throw .init(reason: error.reason.hasPrefix(prefix) ? String(error.reason.dropFirst(prefix.count)) : error.reason)
        }
        guard let answer = try? JSONWriter.parse(data), answer.objectValue != nil else {
            throw .init(reason: "couldn't get version/kind; json parse error: the webhook response is not a JSON object")
        }
        if reviewVersion == "v1" {
            let gotVersion = answer["apiVersion"]?.stringValue ?? "", gotKind = answer["kind"]?.stringValue ?? ""
            if gotVersion != reviewAPIVersion || gotKind != "ConversionReview" {
                throw .init(reason: "expected webhook response of \(reviewAPIVersion), Kind=ConversionReview, got \(gotVersion), Kind=\(gotKind)")
            }
        }
        guard let response = answer["response"], response != .null else { throw .init(reason: "no response provided") }
        if reviewVersion == "v1" {
            let got = response["uid"]?.stringValue ?? ""
            if got != uid { throw .init(reason: "expected response.uid=\"\(uid)\", got \"\(got)\"") }
        }
        let status = response["result"]?["status"]?.stringValue ?? ""
        guard status == "Success" else {
            if let message = response["result"]?["message"]?.stringValue, !message.isEmpty { throw .init(reason: message) }
            throw .init(reason: "response.result.status was '\(status)', not 'Success'")
        }
        return response["convertedObjects"]?.arrayValue ?? []
    }
}
