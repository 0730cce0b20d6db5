import AsyncHTTPClient
import Foundation
import KubeClient
import KubeCore
import NIOCore
import NIOSSL

/// What `kubeprobe webhook check NAME` checks.
public struct WebhookCheckOptions: Sendable {
    public var settings: ProbeSettings
    /// A ValidatingWebhookConfiguration, MutatingWebhookConfiguration or CustomResourceDefinition (its conversion webhook).
    public var name: String
    /// Which webhook of a configuration (`webhooks[].name`); the first when `nil`.
    public var webhook: String?
    /// `host:port` to connect to instead of the Service's endpoints (when this machine cannot
    /// reach pod IPs); the certificate is still checked for the Service's name.
    public var address: String?
    /// The limit for each step.
    public var stepTimeout: Duration
    /// How many dry-run reviews to send for the latency figures.
    public var reviews: Int

    public init(
        settings: ProbeSettings, name: String, webhook: String? = nil, address: String? = nil, stepTimeout: Duration = .seconds(5),
        reviews: Int = 5
    ) {
        self.settings = settings
        self.name = name
        self.webhook = webhook
        self.address = address
        self.stepTimeout = stepTimeout
        self.reviews = max(1, reviews)
    }
}

/// `kubeprobe webhook check`: the API server → webhook path, the reverse of `check`, step by
/// step: the configuration, the Service's endpoints, the TLS handshake, the serving
/// certificate (names and validity), the `caBundle` trust, and dry-run reviews with their
/// latency. A failed step skips the ones after it; every failure has a cause and a fix.
public struct WebhookCheckRunner: Sendable {
    public let options: WebhookCheckOptions

    public init(options: WebhookCheckOptions) { self.options = options }

    static let titles = [
        "Webhook configuration", "Service endpoints", "TLS handshake", "Serving certificate", "caBundle trust", "Dry-run review",
    ]
    static let ids = ["configuration", "endpoints", "tls", "certificate", "cabundle", "review"]

    public func run(
        onStart: @Sendable (Int, String) -> Void = { _, _ in }, onFinish: @Sendable (StepResult) -> Void = { _ in }
    ) async -> CheckReport {
        let started = ContinuousClock.now
        var results: [StepResult] = []
        let state = WebhookCheckState(options: options)
        for (index, title) in Self.titles.enumerated() {
            let number = index + 1
            if let failed = results.first(where: { $0.status == .failed }) {
                let result = StepResult(
                    number: number, id: Self.ids[index], title: title, status: .skipped,
                    summary: "skipped: step \(failed.number) (\(failed.title)) did not pass")
                results.append(result)
                onFinish(result)
                continue
            }
            onStart(number, title)
            let stepStarted = ContinuousClock.now
            let outcome = await CheckRunner.withTimeout(options.stepTimeout, title: title) { await state.step(number) }
            let result = outcome.result(number: number, id: Self.ids[index], title: title, duration: ContinuousClock.now - stepStarted)
            results.append(result)
            onFinish(result)
        }
        await state.shutdown()
        return CheckReport(
            mode: options.settings.mode == .inCluster ? "in-cluster" : "kubeconfig", server: await state.server, steps: results,
            durationMilliseconds: (ContinuousClock.now - started).milliseconds)
    }
}

/// The webhook as its configuration names it.
struct WebhookTarget: Sendable {
    enum Review: Sendable {
        /// An AdmissionReview for this resource and operation.
        case admission(group: String, version: String, resource: String, operation: String)
        /// A ConversionReview to this `group/version`.
        case conversion(desiredAPIVersion: String)
    }

    var configurationKind: String
    var webhookName: String
    var url: String?
    var service: (namespace: String, name: String, path: String, port: Int)?
    var caPEM: String?
    var review: Review
    var timeoutSeconds: Int
}

/// The facts the steps pass on.
actor WebhookCheckState {
    let options: WebhookCheckOptions
    private var client: KubeClient?
    private(set) var server: String?
    private var target: WebhookTarget?
    private var connect: (host: String, port: Int)?
    /// The name the certificate must cover (`svc.ns.svc`, or the url's host).
    private var serverName = ""

    init(options: WebhookCheckOptions) { self.options = options }

    func shutdown() async {
        try? await client?.shutdown()
        client = nil
    }

    func step(_ number: Int) async -> StepOutcome {
        do {
            switch number {
            case 1: return try await configuration()
            case 2: return try await endpoints()
            case 3: return await handshake()
            case 4: return await certificate()
            case 5: return await trust()
            default: return await review()
            }
        } catch let error as KubeError {
            return StepOutcome(.failed, Kubeprobe.describe(error), cause: "the API server refused the request",
                               fix: error.isForbidden ? "grant get/list on the object (kubeprobe can-i get \(options.name))" : "check the kubeconfig or the service account")
        } catch let error as ProbeError {
            return StepOutcome(.failed, error.message, cause: "the cluster configuration cannot be used", fix: "pass --kubeconfig or run inside a Pod")
        } catch {
            return StepOutcome(.failed, "\(error)")
        }
    }

    // MARK: - 1. The configuration

    private func apiClient() throws -> KubeClient {
        if let client { return client }
        let config = try options.settings.clientConfig()
        let client = try KubeClient(config: config, logger: options.settings.logger())
        self.client = client
        server = config.server
        return client
    }

    private static let descriptors = [
        ResourceDescriptor(group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration",
                           plural: "validatingwebhookconfigurations", namespaced: false),
        ResourceDescriptor(group: "admissionregistration.k8s.io", version: "v1", kind: "MutatingWebhookConfiguration",
                           plural: "mutatingwebhookconfigurations", namespaced: false),
        ResourceDescriptor(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                           plural: "customresourcedefinitions", namespaced: false),
    ]

    private func configuration() async throws -> StepOutcome {
        let client = try apiClient()
        for descriptor in Self.descriptors {
            guard let found = try await DynamicApi(client, resource: descriptor, namespace: nil).getIfExists(options.name) else { continue }
            let object = try Self.json(found)
            return try await select(object, kind: descriptor.kind, client: client)
        }
        return StepOutcome(
            .failed, "no webhook configuration or CRD named \"\(options.name)\"",
            cause: "neither a ValidatingWebhookConfiguration, a MutatingWebhookConfiguration nor a CustomResourceDefinition has this name",
            fix: "list them: kubeprobe get validatingwebhookconfigurations; kubeprobe get mutatingwebhookconfigurations; kubeprobe get crd")
    }

    private func select(_ object: JSONValue, kind: String, client: KubeClient) async throws -> StepOutcome {
        let hook: JSONValue
        let review: WebhookTarget.Review
        var details: [String] = []
        if kind == "CustomResourceDefinition" {
            guard object["spec"]?["conversion"]?["strategy"]?.stringValue == "Webhook", let webhook = object["spec"]?["conversion"]?["webhook"] else {
                return StepOutcome(
                    .failed, "CustomResourceDefinition \(options.name) has no conversion webhook (strategy \(object["spec"]?["conversion"]?["strategy"]?.stringValue ?? "None"))",
                    cause: "only spec.conversion.strategy: Webhook calls a webhook", fix: "name a webhook configuration, or a CRD with a conversion webhook")
            }
            hook = ["name": .string("conversion_webhook_for_\(options.name)"), "clientConfig": webhook["clientConfig"] ?? .null]
            let group = object["spec"]?["group"]?.stringValue ?? ""
            let storage = object["spec"]?["versions"]?.arrayValue?.first { $0["storage"]?.boolValue == true }?["name"]?.stringValue ?? ""
            review = .conversion(desiredAPIVersion: "\(group)/\(storage)")
            details.append("conversion to \(group)/\(storage) (the storage version), review versions \(webhook["conversionReviewVersions"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "-")")
        } else {
            let hooks = object["webhooks"]?.arrayValue ?? []
            guard let chosen = options.webhook.map({ name in hooks.first { $0["name"]?.stringValue == name } }) ?? hooks.first else {
                let names = hooks.compactMap { $0["name"]?.stringValue }
                return StepOutcome(
                    .failed, options.webhook.map { "\(kind) \(options.name) has no webhook named \"\($0)\"" } ?? "\(kind) \(options.name) has no webhooks",
                    details: names.isEmpty ? [] : ["webhooks: " + names.joined(separator: ", ")],
                    cause: "the configuration calls nothing", fix: "pass --webhook with one of the names above, or add a webhook to the configuration")
            }
            hook = chosen
            let rule = chosen["rules"]?.arrayValue?.first
            func first(_ key: String, _ fallback: String) -> String {
                let value = rule?[key]?.arrayValue?.first?.stringValue ?? fallback
                return value == "*" ? fallback : value
            }
            let resource = first("resources", "pods").split(separator: "/").first.map(String.init) ?? "pods"
            review = .admission(group: first("apiGroups", ""), version: first("apiVersions", "v1"), resource: resource,
                                operation: first("operations", "CREATE"))
            if hooks.count > 1 { details.append("\(hooks.count) webhooks; checking \"\(chosen["name"]?.stringValue ?? "")\" (--webhook picks another)") }
            details.append("failurePolicy \(chosen["failurePolicy"]?.stringValue ?? "Fail"), sideEffects \(chosen["sideEffects"]?.stringValue ?? "-"), timeoutSeconds \(chosen["timeoutSeconds"]?.intValue ?? 10)")
        }
        let clientConfig = hook["clientConfig"] ?? .null
        var target = WebhookTarget(
            configurationKind: kind, webhookName: hook["name"]?.stringValue ?? options.name, url: clientConfig["url"]?.stringValue,
            service: nil, caPEM: nil, review: review, timeoutSeconds: Int(hook["timeoutSeconds"]?.intValue ?? 10))
        if let service = clientConfig["service"], service != .null {
            var path = service["path"]?.stringValue ?? ""
            if !path.isEmpty && !path.hasPrefix("/") { path = "/" + path }
            target.service = (service["namespace"]?.stringValue ?? "", service["name"]?.stringValue ?? "", path, Int(service["port"]?.intValue ?? 443))
        }
        if let bundle = clientConfig["caBundle"]?.stringValue, !bundle.isEmpty {
            guard let data = Data(base64Encoded: bundle, options: .ignoreUnknownCharacters) else {
                return StepOutcome(.failed, "clientConfig.caBundle is not base64", cause: "kube-apiserver cannot use this bundle",
                                   fix: "set caBundle to the base64 of the PEM CA that signed the serving certificate")
            }
            target.caPEM = String(decoding: data, as: UTF8.self)
        }
        self.target = target
        let summary: String
        if let service = target.service {
            serverName = "\(service.name).\(service.namespace).svc"
            summary = "\(kind) \(options.name): \(target.webhookName) → service \(service.namespace)/\(service.name):\(service.port)\(service.path)"
        } else if let url = target.url, let components = URLComponents(string: url), components.scheme == "https", let host = components.host {
            serverName = host
            summary = "\(kind) \(options.name): \(target.webhookName) → \(url)"
        } else {
            return StepOutcome(.failed, "\(target.webhookName) has neither an https url nor a service in clientConfig",
                               cause: "kube-apiserver cannot call it", fix: "set clientConfig.service (in-cluster) or clientConfig.url (https)")
        }
        details.append(target.caPEM == nil ? "no caBundle: kube-apiserver trusts its system roots for this webhook" : "caBundle: \(target.caPEM.map { (try? CertificateInfo.parsePEMBundle($0, source: "caBundle").count) ?? 0 } ?? 0) certificate(s)")
        _ = client
        return StepOutcome(.ok, summary, details: details)
    }

    // MARK: - 2. Endpoints

    private func endpoints() async throws -> StepOutcome {
        guard let target else { return StepOutcome(.failed, "no webhook") }
        let override = options.address.flatMap(Self.splitHostPort)
        if options.address != nil && override == nil {
            return StepOutcome(.failed, "--address \(options.address ?? "") is not host:port", cause: "cannot tell where to connect", fix: "pass --address 10.0.0.7:9443")
        }
        guard let service = target.service else {
            let components = URLComponents(string: target.url ?? "")
            connect = override ?? (host: components?.host ?? "", port: components?.port ?? 443)
            return StepOutcome(.ok, "url: connecting to \(connect.map { "\($0.host):\($0.port)" } ?? "")", details: override == nil ? [] : ["--address overrides the url's host"])
        }
        let client = try apiClient()
        let services = ResourceDescriptor(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true)
        guard let found = try await DynamicApi(client, resource: services, namespace: service.namespace).getIfExists(service.name) else {
            let outcome = StepOutcome(
                .failed, "service \"\(service.name)\" not found in namespace \(service.namespace)",
                cause: "kube-apiserver answers every matching request with: failed calling webhook … service \"\(service.name)\" not found",
                fix: "create the Service (or fix clientConfig.service) in namespace \(service.namespace)")
            guard let override else { return outcome }
            connect = override
            return StepOutcome(.warning, outcome.summary + "; using --address \(override.host):\(override.port)", cause: outcome.cause, fix: outcome.fix)
        }
        let object = try Self.json(found)
        let ports = object["spec"]?["ports"]?.arrayValue ?? []
        guard let port = ports.first(where: { $0["port"]?.intValue.map(Int.init) == service.port }) else {
            return StepOutcome(
                .failed, "service \(service.namespace)/\(service.name) has no port \(service.port)",
                details: ["ports: " + ports.compactMap { $0["port"]?.intValue.map(String.init) }.joined(separator: ", ")],
                cause: "clientConfig.service.port names a port the Service does not expose", fix: "set clientConfig.service.port to one of the ports above")
        }
        let portName = port["name"]?.stringValue ?? ""
        let slices = ResourceDescriptor(group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true)
        let selector = try LabelSelector(parsing: "kubernetes.io/service-name=\(service.name)")
        var ready: [(String, Int)] = []
        var notReady = 0
        for slice in try await DynamicApi(client, resource: slices, namespace: service.namespace).list(ListOptions(labelSelector: selector)).items {
            let json = try Self.json(slice)
            let slicePort = (json["ports"]?.arrayValue ?? []).first { ($0["name"]?.stringValue ?? "") == portName }?["port"]?.intValue
            for endpoint in json["endpoints"]?.arrayValue ?? [] {
                let isReady = endpoint["conditions"]?["ready"]?.boolValue ?? true
                for address in endpoint["addresses"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                    if isReady, let slicePort { ready.append((address, Int(slicePort))) } else { notReady += 1 }
                }
            }
        }
        let listed = ready.map { "\($0.0):\($0.1)" }
        var details = ready.isEmpty ? [] : ["ready: " + listed.joined(separator: ", ")]
        if notReady > 0 { details.append("\(notReady) endpoint address(es) not ready") }
        if let override {
            connect = override
            details.append("connecting to --address \(override.host):\(override.port)")
            return StepOutcome(ready.isEmpty ? .warning : .ok, "\(ready.count) ready endpoint(s) for \(service.namespace)/\(service.name)", details: details,
                               cause: ready.isEmpty ? "kube-apiserver would find no endpoint for the Service" : nil,
                               fix: ready.isEmpty ? "check the Service's selector matches the webhook's ready pods" : nil)
        }
        guard let first = ready.first else {
            return StepOutcome(
                .failed, "no ready endpoints for service \(service.namespace)/\(service.name)", details: details,
                cause: "the webhook's pods are not ready, or the Service's selector matches none of them",
                fix: "kubeprobe get pods -n \(service.namespace); compare the Service's selector with the pods' labels (or pass --address)")
        }
        connect = (host: first.0, port: first.1)
        return StepOutcome(.ok, "\(ready.count) ready endpoint(s); connecting to \(first.0):\(first.1)", details: details)
    }

    /// An object as JSON.
    static func json(_ object: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(object))
    }

    static func splitHostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), port > 0 else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    // MARK: - 3–5. TLS

    private var leaf: CertificateInfo?

    private func handshake() async -> StepOutcome {
        guard let connect else { return StepOutcome(.failed, "no address") }
        switch await ConnectionProbe.tls(host: connect.host, port: connect.port, caPEM: nil, serverName: serverName, timeout: options.stepTimeout, verify: false) {
        case .success(let result):
            leaf = result.leaf
            return StepOutcome(.ok, "\(result.tlsVersion ?? "TLS") with \(connect.host):\(connect.port), ALPN \(result.negotiatedProtocol ?? "none")",
                               details: result.leaf.map { ["certificate: \($0.subject), issued by \($0.issuer)"] } ?? [])
        case .failure(let failure):
            let down = failure.kind == .refused || failure.kind == .timeout || failure.kind == .unreachable
            return StepOutcome(
                .failed, failure.message,
                cause: down ? "the webhook server is down or not listening on this port: kube-apiserver's calls fail the same way"
                    : "the webhook does not speak TLS on this port",
                fix: down ? "check the webhook pod runs and listens on the Service's targetPort" : "serve HTTPS (TLS 1.2+) on the webhook port")
        }
    }

    private func certificate() async -> StepOutcome {
        guard let leaf else {
            return StepOutcome(.failed, "the server sent no certificate", cause: "kube-apiserver needs a serving certificate", fix: "configure the webhook's TLS certificate")
        }
        let now = Date()
        var details = ["names: " + (leaf.dnsNames + leaf.ipAddresses).joined(separator: ", "), "valid until \(leaf.notValidAfter) "]
        if now > leaf.notValidAfter {
            return StepOutcome(
                .failed, "the serving certificate expired at \(leaf.notValidAfter)", details: details,
                cause: "kube-apiserver rejects it: x509: certificate has expired or is not yet valid",
                fix: "renew the certificate (cert-manager: kubectl describe certificate; a Secret volume is updated by the kubelet within about a minute)")
        }
        if now < leaf.notValidBefore {
            return StepOutcome(.failed, "the serving certificate is not valid before \(leaf.notValidBefore)", details: details,
                               cause: "the clock of the issuer or of this machine is off", fix: "check the clocks (NTP) and reissue the certificate")
        }
        guard leaf.covers(serverName) else {
            return StepOutcome(
                .failed, "the certificate does not cover \(serverName)", details: details,
                cause: "kube-apiserver verifies the name it dials: x509: certificate is valid for \(leaf.dnsNames.joined(separator: ", ")), not \(serverName)",
                fix: "issue the certificate with the DNS name \(serverName) (cert-manager: spec.dnsNames)")
        }
        let remaining = leaf.notValidAfter.timeIntervalSince(now)
        details[1] = "valid until \(leaf.notValidAfter) (\(Int(remaining / 86_400)) days left)"
        if remaining < 7 * 86_400 {
            return StepOutcome(.warning, "covers \(serverName), but expires in \(Int(remaining / 3600)) hours", details: details,
                               cause: "the webhook breaks when it expires", fix: "check that its renewal (cert-manager, a rotation job) runs")
        }
        return StepOutcome(.ok, "covers \(serverName), valid for \(Int(remaining / 86_400)) more days", details: details)
    }

    private func trust() async -> StepOutcome {
        guard let connect, let target else { return StepOutcome(.failed, "no address") }
        switch await ConnectionProbe.tls(host: connect.host, port: connect.port, caPEM: target.caPEM, serverName: serverName, timeout: options.stepTimeout) {
        case .success:
            return StepOutcome(.ok, target.caPEM == nil ? "the system roots trust the serving certificate" : "the caBundle verifies the serving certificate")
        case .failure(let failure):
            return StepOutcome(
                .failed, target.caPEM == nil ? "the system roots do not trust the serving certificate" : "the caBundle does not verify the serving certificate",
                details: [failure.message],
                cause: "kube-apiserver fails every call: tls: failed to verify certificate: x509: certificate signed by unknown authority",
                fix: "set clientConfig.caBundle to the CA that signed the serving certificate (cert-manager: the cert-manager.io/inject-ca-from annotation)")
        }
    }

    // MARK: - 6. Reviews

    private func review() async -> StepOutcome {
        guard let connect, let target else { return StepOutcome(.failed, "no address") }
        let port = target.service != nil ? connect.port : (URLComponents(string: target.url ?? "")?.port ?? connect.port)
        var url: String
        if let service = target.service {
            url = "https://\(serverName):\(port)\(service.path)"
        } else {
            var components = URLComponents(string: target.url ?? "") ?? URLComponents()
            components.port = port
            url = components.string ?? ""
        }
        url += (url.contains("?") ? "&" : "?") + "timeout=\(target.timeoutSeconds)s"
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let ca = target.caPEM, let roots = try? NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)) { tls.trustRoots = .certificates(roots) }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.dnsOverride = [serverName: connect.host]
        configuration.timeout = .init(connect: .seconds(5))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let outcome = await send(target, url: url, http: http)
        try? await http.shutdown()
        return outcome
    }

    /// `options.reviews` reviews, one after another; the latencies and the last verdict.
    private func send(_ target: WebhookTarget, url: String, http: HTTPClient) async -> StepOutcome {
        var latencies: [Double] = []
        var verdict = ""
        for _ in 0..<options.reviews {
            let uid = UUID().uuidString.lowercased()
            let body = Self.reviewBody(target.review, uid: uid)
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriterLite.data(body)))
            let started = ContinuousClock.now
            let data: Data
            let status: UInt
            do {
                let response = try await http.execute(request, timeout: .seconds(Int64(max(1, target.timeoutSeconds))))
                data = Data(try await response.body.collect(upTo: 4 << 20).readableBytesView)
                status = response.status.code
            } catch {
                return StepOutcome(.failed, "the review could not be sent: \(error)", cause: "kube-apiserver's calls fail the same way",
                                   fix: "check the webhook's logs; it must answer POST \(url)")
            }
            latencies.append((ContinuousClock.now - started).milliseconds)
            guard (200..<300).contains(status) else {
                return StepOutcome(.failed, "the webhook answered HTTP \(status)", details: [String(decoding: data.prefix(200), as: UTF8.self)],
                                   cause: "a non-2xx answer fails the call (failurePolicy decides what kube-apiserver does then)",
                                   fix: "check the path (\(target.service?.path ?? url)) and the webhook's logs")
            }
            guard let answer = try? JSONDecoder().decode(JSONValue.self, from: data), let response = answer["response"] else {
                return StepOutcome(.failed, "the answer is not a review", details: [String(decoding: data.prefix(200), as: UTF8.self)],
                                   cause: "kube-apiserver needs a review with a response", fix: "answer with the review kind and version that was sent")
            }
            guard response["uid"]?.stringValue == uid else {
                return StepOutcome(.failed, "the answer's response.uid does not echo the request's", cause: "kube-apiserver rejects such answers",
                                   fix: "copy request.uid into response.uid")
            }
            switch target.review {
            case .admission:
                let allowed = response["allowed"]?.boolValue == true
                let message = response["status"]?["message"]?.stringValue
                verdict = allowed ? "allowed" : "denied" + (message.map { ": \($0)" } ?? "")
            case .conversion:
                verdict = "result \(response["result"]?["status"]?.stringValue ?? "?")"
            }
        }
        let sorted = latencies.sorted()
        let p50 = sorted[sorted.count / 2], maximum = sorted.last ?? 0
        return StepOutcome(
            .ok, String(format: "%d dry-run review(s) answered: p50 %.1f ms, max %.1f ms", latencies.count, p50, maximum),
            details: ["POST \(url)", "verdict: \(verdict) (a dry-run review of a placeholder object; the verdict itself is the webhook's business)"])
    }

    /// The review sent: a dry-run AdmissionReview v1 of a placeholder object, or an empty ConversionReview v1.
    static func reviewBody(_ review: WebhookTarget.Review, uid: String) -> JSONValue {
        switch review {
        case .conversion(let desired):
            return ["apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
                    "request": ["uid": .string(uid), "desiredAPIVersion": .string(desired), "objects": []]]
        case .admission(let group, let version, let resource, let operation):
            let kind = Self.kindGuess(resource)
            let apiVersion = group.isEmpty ? version : "\(group)/\(version)"
            let object: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind),
                                     "metadata": ["name": "kubeprobe-webhook-check", "namespace": "default"]]
            return ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": [
                "uid": .string(uid),
                "kind": ["group": .string(group), "version": .string(version), "kind": .string(kind)],
                "resource": ["group": .string(group), "version": .string(version), "resource": .string(resource)],
                "requestKind": ["group": .string(group), "version": .string(version), "kind": .string(kind)],
                "requestResource": ["group": .string(group), "version": .string(version), "resource": .string(resource)],
                "name": "kubeprobe-webhook-check", "namespace": "default", "operation": .string(operation == "*" ? "CREATE" : operation),
                "userInfo": ["username": "kubeprobe"], "object": operation == "DELETE" ? .null : object,
                "oldObject": operation == "CREATE" ? .null : object, "dryRun": true,
                "options": ["apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions", "dryRun": ["All"]],
            ]]
        }
    }

    /// The kind for a plural resource name (`pods` → `Pod`, `ingresses` → `Ingress`, `policies` → `Policy`).
    static func kindGuess(_ plural: String) -> String {
        var singular = plural
        if singular.hasSuffix("ies") { singular = String(singular.dropLast(3)) + "y" }
        else if singular.hasSuffix("sses") || singular.hasSuffix("ches") || singular.hasSuffix("xes") { singular = String(singular.dropLast(2)) }
        else if singular.hasSuffix("s") { singular = String(singular.dropLast()) }
        return singular.prefix(1).uppercased() + singular.dropFirst()
    }
}

/// JSON bytes of a value (Foundation's encoder, sorted keys).
enum JSONWriterLite {
    static func data(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}
