import Foundation
import KubeCore
import KubeModels
import Logging
import Metrics
import Synchronization

/// The request path of the test API server: faults, authentication, routing,
/// authorization, then the handler. Shared by every listener (one "etcd", several masters).
final class APIServer: RequestResponder {
    let store: ObjectStore
    let registry: ResourceRegistry
    let tokens: TokenAuthority
    let faults: FaultState
    let configuration: KubeTestServer.Configuration
    let adminToken: String
    let caCertificatePEM: String
    let logger: Logger
    let openAPI: OpenAPIDocuments?
    /// The ports of the listeners, by index (for `serverAddressByClientCIDRs`).
    let listenerAddress: @Sendable (Int) -> String
    /// Stops (`false`) or starts (`true`) a listener for the `stopListener`/`startListener`
    /// control actions; set by ``KubeTestServer`` once its listeners exist.
    let listenerControl = Mutex<(@Sendable (Int, Bool) async throws -> Void)?>(nil)
    /// The emulated kubelet behind exec, attach, port-forward and logs.
    let kubelet = KubeTestServer.Kubelet()
    /// Pooled HTTPS clients for admission webhook calls.
    let webhookClients: WebhookClients
    /// Converts custom objects between CRD versions (conversion webhooks use ``webhookClients``).
    let converter: CustomResourceConverter

    var maxRequestBodyBytes: Int { configuration.maxRequestBodyBytes }

    init(
        store: ObjectStore, registry: ResourceRegistry, tokens: TokenAuthority, faults: FaultState,
        configuration: KubeTestServer.Configuration, adminToken: String, caCertificatePEM: String,
        listenerAddress: @escaping @Sendable (Int) -> String
    ) {
        self.store = store
        self.registry = registry
        self.tokens = tokens
        self.faults = faults
        self.configuration = configuration
        self.adminToken = adminToken
        self.caCertificatePEM = caCertificatePEM
        self.logger = configuration.logger
        self.webhookClients = WebhookClients(logger: configuration.logger)
        self.converter = CustomResourceConverter(
            registry: registry, clients: webhookClients, serviceAddresses: configuration.webhookServiceAddresses)
        self.listenerAddress = listenerAddress
        self.openAPI = configuration.openAPIDirectory.map {
            OpenAPIDocuments(directory: $0, resources: configuration.builtinResources ?? BuiltinResources.all)
        }
    }

    func respond(to request: ServerRequest) async -> ServerResponse {
        let started = ContinuousClock.now
        let info = RequestInfo(method: request.method, path: request.path, query: request.query)
        // Stall faults (see `StallFaults`): a head that never comes, or a body cut part-way.
        let stall = request.path.hasPrefix("/_control/") ? nil : faults.stalls.take(path: request.path, isWatch: info.verb == "watch")
        if stall == .head {
            await StallFaults.waitUntilCancelled()
            return .text(503, "stalled")
        }
        var response: ServerResponse
        do {
            response = try await handle(request, info: info)
        } catch {
            response = error.response
        }
        // `Accept: application/yaml`: objects, lists, discovery and error Statuses in YAML.
        if ResponseForm.prefersYAML(request) { response = response.asYAML() }
        // `Accept: application/vnd.kubernetes.protobuf`: built-in kinds in protobuf (APIServer+Protobuf).
        if ResponseForm.prefersProtobuf(request) {
            let watched = info.verb == "watch" ? registry.resource(group: info.group, version: info.version, plural: info.resource) : nil
            response = response.asProtobuf(streamHasMessage: watched.map {
                BuiltinProtobufSchema.schema.hasMessage(apiVersion: $0.apiVersion, kind: $0.kind) } ?? false)
        }
        if case .body(let afterBytes)? = stall { response = StallFaults.stalled(response, afterBytes: afterBytes) }
        let elapsed = ContinuousClock.now - started
        let verb = info.verb
        Counter(label: "kube_test_server_requests_total", dimensions: [("verb", verb), ("code", "\(response.status)")]).increment()
        Timer(label: "kube_test_server_request_duration", dimensions: [("verb", verb)]).recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        logger.debug("request", metadata: [
            "verb": "\(verb)", "resource": "\(info.resource)", "namespace": "\(info.namespace)", "code": "\(response.status)",
        ])
        return response
    }

    private func handle(_ request: ServerRequest, info: RequestInfo) async throws(APIError) -> ServerResponse {
        let isControl = request.path.hasPrefix("/_control/")
        if !isControl, let clientDelay = faults.clientDelay(userAgent: request.headers["user-agent"]) {
            // One slow client (FaultInjector.delayResponses): hold its answer, or its request.
            if clientDelay.applyFirst {
                let response: ServerResponse
                do { response = try await handleUndelayed(request, info: info) } catch { response = error.response }
                try? await Task.sleep(for: clientDelay.delay)
                return response
            }
            do {
                try await Task.sleep(for: clientDelay.delay)
            } catch {
                // The client went away while its request was held: it never arrived.
                throw APIError(code: 503, reason: StatusReason.serviceUnavailable, message: "the request was abandoned while delayed")
            }
        }
        return try await handleUndelayed(request, info: info)
    }

    private func handleUndelayed(_ request: ServerRequest, info: RequestInfo) async throws(APIError) -> ServerResponse {
        let isControl = request.path.hasPrefix("/_control/")
        if !isControl {
            let delay = faults.responseDelay
            if delay > .zero { try? await Task.sleep(for: delay) }
            if let failure = faults.takeFailure(path: request.path) {
                throw APIError.injected(code: failure.status, retryAfterSeconds: failure.retryAfterSeconds)
            }
        }
        let user = try await authenticate(request)
        if isControl {
            guard user.groups.contains("system:masters") else {
                throw APIError.forbiddenPath(user: user.username, verb: info.verb, path: request.path)
            }
            return try await handleControl(request)
        }
        try await authorize(user: user, request: request)
        if !info.isResourceRequest {
            return try await handleNonResource(request, info: info)
        }
        return try await handleResource(request, info: info, user: user)
    }

    // MARK: - Authentication

    /// Bearer token (the admin token or a service account JWT), else the client
    /// certificate, else `system:anonymous`. A token that is present but bad is 401.
    func authenticate(_ request: ServerRequest) async throws(APIError) -> UserInfo {
        if let header = request.headers["authorization"] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
            let token = parts[1].trimmingCharacters(in: .whitespaces)
            if !token.isEmpty, constantTimeEquals(token, adminToken) { return .admin }
            do {
                return try await userForServiceAccountToken(token, audiences: [TokenAuthority.issuer])
            } catch {
                throw APIError.unauthorized
            }
        }
        if let identity = request.certificateIdentity {
            return UserInfo(username: identity.user, groups: identity.groups + ["system:authenticated"],
                            extra: ["authentication.kubernetes.io/credential-id": [identity.credentialID]])
        }
        return UserInfo(username: "system:anonymous", groups: ["system:unauthenticated"])
    }

    private func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    var serviceAccountResource: ServedResource {
        registry.resource(group: "", version: "v1", plural: "serviceaccounts")!
    }

    // MARK: - Non-resource paths

    private func handleNonResource(_ request: ServerRequest, info: RequestInfo) async throws(APIError) -> ServerResponse {
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        switch path {
        case "/healthz", "/livez", "/readyz":
            if request.queryFlag("verbose") {
                return .text(200, "[+]ping ok\n[+]etcd ok\n\(path.dropFirst()) check passed\n")
            }
            return .text(200, "ok")
        case _ where path.hasPrefix("/healthz/") || path.hasPrefix("/livez/") || path.hasPrefix("/readyz/"):
            // One named check: the test server has `ping` and `etcd` (and kube's `log`); others are unknown.
            let check = path.split(separator: "/").dropFirst().joined(separator: "/")
            guard Self.healthChecks.contains(check) else { throw APIError.pageNotFound }
            return .text(200, "ok")
        case "/version":
            return .json(200, JSONWriter.data(Self.versionInfo))
        case "/.well-known/openid-configuration":
            return .json(200, JSONWriter.data(openIDConfiguration(listener: request.listenerIndex)))
        case "/openid/v1/jwks":
            // Only the JWK Set type: Accept application/json is 406, as kube-apiserver answers it.
            let ranges = MediaRange.parse(request.headers["accept"])
            guard ranges.isEmpty || ranges.contains(where: { ["application/jwk-set+json", "application/*", "*/*"].contains($0.type) }) else {
                throw APIError.notAcceptableRepresentations([Self.jwkSetType])
            }
            return ServerResponse(status: 200, headers: [("Content-Type", Self.jwkSetType)], body: .data(JSONWriter.data(await tokens.jwks())))
        case "/api", "/apis":
            if try DiscoveryForm.negotiate(request) == .aggregated {
                return ServerResponse(
                    status: 200, headers: [("Content-Type", DiscoveryForm.aggregatedContentType)],
                    body: .data(JSONWriter.data(aggregatedDiscovery(core: path == "/api"))))
            }
            if path == "/api" { return .json(200, JSONWriter.data(discoveryAPIVersions(listener: request.listenerIndex))) }
            return .json(200, JSONWriter.data(discoveryGroupList(listener: request.listenerIndex)))
        default:
            break
        }
        if path == "/openapi/v3" || path.hasPrefix("/openapi/v3/") {
            guard let openAPI else { throw APIError.pageNotFound }
            return try openAPI.response(for: path)
        }
        if info.apiPrefix == "api", info.parts.count == 1 {
            guard let list = discoveryResourceList(group: "", version: info.parts[0]) else { throw APIError.pageNotFound }
            return .json(200, JSONWriter.data(list))
        }
        if info.apiPrefix == "apis", info.parts.count == 1 {
            guard let group = discoveryGroup(info.parts[0]) else { throw APIError.pageNotFound }
            return .json(200, JSONWriter.data(group))
        }
        if info.apiPrefix == "apis", info.parts.count == 2 {
            guard let list = discoveryResourceList(group: info.parts[0], version: info.parts[1]) else { throw APIError.pageNotFound }
            return .json(200, JSONWriter.data(list))
        }
        throw APIError.pageNotFound
    }

    static let jwkSetType = "application/jwk-set+json"

    /// Service-account issuer discovery (`/.well-known/openid-configuration`): the issuer of the
    /// tokens and where its keys are, so an OIDC relying party can verify them. kube-apiserver's
    /// RBAC grants it to every service account (`system:service-account-issuer-discovery`).
    func openIDConfiguration(listener: Int) -> JSONValue {
        [
            "issuer": .string(TokenAuthority.issuer), "jwks_uri": .string("https://\(listenerAddress(listener))/openid/v1/jwks"),
            "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        ]
    }

    /// The named health checks `/healthz/NAME`, `/livez/NAME` and `/readyz/NAME` answer.
    static let healthChecks: Set<String> = ["ping", "log", "etcd"]

    static let versionInfo: JSONValue = [
        "major": "1", "minor": "36", "gitVersion": "v1.36.2-swift-kube-test-server", "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z", "goVersion": "swift6", "compiler": "swift",
        "platform": "linux/amd64", "emulationMajor": "1", "emulationMinor": "36", "minCompatibilityMajor": "1", "minCompatibilityMinor": "35",
    ]
}

extension Error {
    /// Any error as an HTTP response (APIError keeps its Status; others are 500).
    var response: ServerResponse {
        if let error = self as? APIError { return error.response }
        return APIError.internalError("\(self)").response
    }
}
