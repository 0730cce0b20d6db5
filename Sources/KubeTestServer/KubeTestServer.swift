import Foundation
import KubeCore
import KubeModels
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// An embedded, in-memory Kubernetes API server for tests and demos.
///
/// It serves HTTPS (HTTP/1.1 and HTTP/2) on loopback with a CA generated at start,
/// authenticates the admin token, client certificates and service account JWTs, and
/// implements the API semantics clients depend on: resourceVersions, conflicts,
/// selectors, pagination, watch with bookmarks and 410s, finalizers, CRDs.
/// Several listeners over one store model several API server instances over one etcd.
///
/// ```swift
/// let server = try await KubeTestServer.start()
/// defer { Task { await server.shutdown() } }
/// try server.writeAdminKubeconfig(to: "/tmp/kubeconfig")
/// ```
///
/// Call ``shutdown()`` when done: it ends open watches, closes the listeners and
/// stops the event loops. It is also a swift-service-lifecycle `Service`.
public final class KubeTestServer: Sendable {
    /// How to run the server.
    public struct Configuration: Sendable {
        /// One TLS listening socket.
        public struct Listener: Sendable, Hashable {
            /// The address to bind (loopback by default).
            public var host: String
            /// The port; 0 picks an ephemeral one, kept across ``KubeTestServer/stopListener(_:)`` / ``KubeTestServer/startListener(_:)``.
            public var port: Int

            public init(host: String = "127.0.0.1", port: Int = 0) {
                self.host = host
                self.port = port
            }
        }

        /// The listeners (API server instances); one on 127.0.0.1 by default.
        public var listeners: [Listener] = [Listener()]
        /// Addresses published in the `kubernetes` Endpoints and EndpointSlice. Loopback
        /// addresses are refused there (like kube-apiserver); they still get a SAN.
        /// Address `i` belongs to listener `i`: while that listener is stopped it is
        /// withdrawn from the endpoints, as a kube-apiserver removes itself on shutdown.
        public var advertiseAddresses: [String] = []
        /// Extra SANs for the serving certificate (IP literals become IP SANs).
        public var extraSANs: [String] = []
        /// Where to write (and reuse) `ca.crt`/`ca.key` and the serving cert; `nil` keeps them in memory.
        public var certificateDirectory: String?
        /// The default lifetime of minted service account tokens.
        public var tokenTTL: Duration = .seconds(3600)
        /// How many events the history keeps for watch resume and exact-version lists;
        /// older versions get 410.
        public var historyWindow: Int = 10_000
        /// A directory of OpenAPI v3 documents to serve under `/openapi/v3`
        /// (for example `../shared/kubernetes-openapi/v3`).
        public var openAPIDirectory: String?
        /// Request bodies larger than this get 413 (kube-apiserver's limit is 3 MiB).
        public var maxRequestBodyBytes: Int = 3 * 1024 * 1024
        /// The server-side watch timeout when the client gives no `timeoutSeconds`.
        public var watchTimeout: Duration = .seconds(1800)
        /// How often a watch with `allowWatchBookmarks=true` gets a BOOKMARK.
        public var bookmarkInterval: Duration = .seconds(5)
        /// The built-in resources to serve; `nil` serves every stable built-in resource (`BuiltinResources.all`).
        public var builtinResources: [APIResourceInfo]?
        /// The `kubernetes` Service's ClusterIP (data only: nothing listens there).
        public var serviceClusterIP: String = "10.96.0.1"
        /// Whether the server also does the namespace work of kube-controller-manager: every
        /// new namespace gets a `default` ServiceAccount and the `kube-root-ca.crt`
        /// ConfigMap. `false` answers like a kube-apiserver with no controllers running
        /// (the recordings `KubeReplay` compares with were made that way).
        public var emulatesControllers: Bool = true
        /// Whether containers may set `securityContext.privileged: true`, as kube-apiserver's
        /// `--allow-privileged` (kubeadm, kind and managed clusters turn it on; kube-apiserver's
        /// own default, and the recorded server, have it off: `disallowed by cluster policy`).
        public var allowsPrivileged: Bool = true
        /// Where admission webhooks configured with `clientConfig.service` are reached:
        /// `"namespace/name"` (any port) or `"namespace/name:port"` → `"host:port"`, standing in
        /// for the Service's endpoints. The Service must exist in the store, and the webhook's
        /// certificate must still cover `<name>.<namespace>.svc`, as with kube-apiserver.
        public var webhookServiceAddresses: [String: String] = [:]
        public var logger: Logger = Logger(label: "kube-test-server")

        public init() {}
    }

    let api: APIServer
    let listeners: [HTTPListener]
    private let group: MultiThreadedEventLoopGroup
    let pki: CertificateAuthority
    private let stopped = Mutex(false)

    /// The CA that signed the serving certificate (PEM): the only trust root clients need.
    public let caCertificatePEM: String
    /// The admin bearer token: user `admin`, groups `system:masters` and `system:authenticated`.
    public let adminToken: String
    /// In-process fault control.
    public let faults: FaultInjector
    /// The emulated kubelet: exec, attach and port-forward handlers and container logs for the pods.
    public var kubelet: Kubelet { api.kubelet }
    public let configuration: Configuration

    private init(api: APIServer, listeners: [HTTPListener], group: MultiThreadedEventLoopGroup, pki: CertificateAuthority, configuration: Configuration) {
        self.api = api
        self.listeners = listeners
        self.group = group
        self.pki = pki
        self.caCertificatePEM = pki.caCertificatePEM
        self.adminToken = api.adminToken
        self.faults = api.faultInjector
        self.configuration = configuration
    }

    /// Generates the PKI, binds every listener and bootstraps the cluster objects.
    public static func start(_ configuration: Configuration = .init()) async throws -> KubeTestServer {
        guard !configuration.listeners.isEmpty else { throw KubeTestServerError(.noListeners) }
        let sans = configuration.extraSANs + configuration.advertiseAddresses + configuration.listeners.map(\.host)
        let pki = try CertificateAuthority(extraSANs: sans, directory: configuration.certificateDirectory)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(pki.servingCertificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(pki.servingKeyPEM.utf8), format: .pem)))
        tls.applicationProtocols = ["h2", "http/1.1"]
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(pki.caCertificatePEM.utf8), format: .pem)])
        let sslContext = try NIOSSLContext(configuration: tls)

        let registry = ResourceRegistry(builtin: configuration.builtinResources ?? BuiltinResources.all)
        let store = ObjectStore(registry: registry, historyWindow: configuration.historyWindow, caCertificatePEM: pki.caCertificatePEM,
                                emulatesControllers: configuration.emulatesControllers, allowsPrivileged: configuration.allowsPrivileged)
        let tokens = await TokenAuthority()
        let listenerBox = Mutex<[HTTPListener]>([])
        let api = APIServer(
            store: store, registry: registry, tokens: tokens, faults: FaultState(), configuration: configuration,
            adminToken: Self.randomToken(), caCertificatePEM: pki.caCertificatePEM,
            listenerAddress: { index in
                listenerBox.withLock { listeners in
                    guard listeners.indices.contains(index) else { return "" }
                    return Self.hostPort(listeners[index].host, listeners[index].port)
                }
            })
        await store.useConverter(api.converter)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let listeners = configuration.listeners.enumerated().map { index, listener in
            HTTPListener(index: index, host: listener.host, port: listener.port, group: group, sslContext: sslContext, responder: api,
                         logger: configuration.logger, connectionFaults: api.faults.connections)
        }
        listenerBox.withLock { $0 = listeners }
        let server = KubeTestServer(api: api, listeners: listeners, group: group, pki: pki, configuration: configuration)
        api.listenerControl.withLock {
            $0 = { [weak server] index, start in
                guard let server else { return }
                if start { try await server.startListener(index) } else { try await server.stopListener(index) }
            }
        }
        do {
            for listener in listeners { try await listener.start() }
            try await Bootstrap.run(server)
        } catch {
            await server.shutdown()
            throw error
        }
        configuration.logger.info("kube-test-server listening", metadata: ["urls": "\(server.urls.joined(separator: ","))"])
        return server
    }

    static func hostPort(_ host: String, _ port: Int) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `https://HOST:PORT`, one per listener, in configuration order.
    public var urls: [String] { listeners.map { "https://" + Self.hostPort($0.host, $0.port) } }

    /// The first listener's URL.
    public var url: String { urls[0] }

    /// The bound port of each listener.
    public var ports: [Int] { listeners.map(\.port) }

    /// The object store's current resourceVersion.
    public var currentResourceVersion: String {
        get async { String(await api.store.revision) }
    }

    /// Creates or replaces objects as the admin (test seeding): a JSON object or a
    /// `List`/`*List` of objects. `status` is kept as given (seeding bypasses the
    /// status subresource split). Throws ``KubeTestServerError`` with the API `Status`
    /// on a rejected object.
    public func apply(json: Data) async throws {
        let value: JSONValue
        do {
            value = try JSONWriter.parse(json)
        } catch {
            throw KubeTestServerError(.rejected(error.status))
        }
        try await apply(value)
    }

    func apply(_ value: JSONValue) async throws {
        if let kind = value["kind"]?.stringValue, kind.hasSuffix("List"), let items = value["items"]?.arrayValue {
            for item in items { try await apply(item) }
            return
        }
        guard let apiVersion = value["apiVersion"]?.stringValue, let kind = value["kind"]?.stringValue,
            let resource = api.registry.resource(apiVersion: apiVersion, kind: kind)
        else {
            let apiVersion = value["apiVersion"]?.stringValue ?? ""
            let kind = value["kind"]?.stringValue ?? ""
            throw KubeTestServerError(.unknownKind(apiVersion: apiVersion, kind: kind))
        }
        let name = value["metadata"]?["name"]?.stringValue ?? ""
        var namespace: String? = nil
        if resource.namespaced {
            namespace = value["metadata"]?["namespace"]?.stringValue ?? "default"
        }
        var body = value
        body["metadata"]?["resourceVersion"] = nil
        if !resource.namespaced { body["metadata"]?["namespace"] = nil }
        let context = WriteContext(dryRun: false, keepStatus: true, fieldManager: Self.seedFieldManager)
        do {
            if !name.isEmpty, await api.store.exists(resource.storageResource, namespace: namespace, name: name) {
                _ = try await api.store.update(resource, namespace: namespace, name: name, body: body, context: context)
            } else {
                _ = try await api.store.create(resource, namespace: namespace, body: body, context: context)
            }
        } catch {
            throw KubeTestServerError(.rejected(error.status))
        }
    }

    /// The `metadata.managedFields` manager of objects written with ``apply(json:)`` and at bootstrap.
    public static let seedFieldManager = "kube-test-server"

    /// Mints a service account token (any lifetime, for tests; the HTTP TokenRequest
    /// API enforces kube's 10 minute minimum). `audiences` default to the API server's.
    public func mintServiceAccountToken(namespace: String, serviceAccount: String, expirationSeconds: Int = 3600, audiences: [String]? = nil) async throws -> String {
        let account: JSONValue
        do {
            account = try await api.store.get(api.serviceAccountResource, namespace: namespace, name: serviceAccount)
        } catch {
            throw KubeTestServerError(.rejected(error.status))
        }
        return try await api.tokens.mint(
            namespace: namespace, serviceAccount: serviceAccount, serviceAccountUID: account["metadata"]?["uid"]?.stringValue ?? "",
            audiences: audiences ?? [TokenAuthority.issuer], expirationSeconds: expirationSeconds
        ).token
    }

    /// Closes one listener and every connection it accepted (a master going away).
    /// Like a kube-apiserver shutting down, it first withdraws its advertise address
    /// (the one with the same index) from the `kubernetes` Endpoints and EndpointSlice.
    public func stopListener(_ index: Int) async throws {
        guard listeners.indices.contains(index) else { throw KubeTestServerError(.noSuchListener(index)) }
        try await Bootstrap.publishEndpoints(self, down: [index])
        await listeners[index].stop()
    }

    /// Starts a stopped listener again on the same port and publishes its advertise address again.
    public func startListener(_ index: Int) async throws {
        guard listeners.indices.contains(index) else { throw KubeTestServerError(.noSuchListener(index)) }
        guard !listeners[index].isRunning else { return }
        try await listeners[index].start()
        try await Bootstrap.publishEndpoints(self)
    }

    /// Ends open watches cleanly, closes every listener and stops the event loops. Idempotent.
    public func shutdown() async {
        let already = stopped.withLock { value -> Bool in
            defer { value = true }
            return value
        }
        if already { return }
        await api.store.endAllWatches(cut: false)
        for listener in listeners { await listener.stop() }
        await api.webhookClients.shutdown()
        try? await group.shutdownGracefully()
    }
}

extension KubeTestServer: ServiceLifecycle.Service {
    /// Runs until graceful shutdown or cancellation, then shuts the server down.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}

/// A failure of the in-process API (`apply`, `writePodFilesystem`, listener control).
public struct KubeTestServerError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable {
        case noListeners
        case noSuchListener(Int)
        case unknownKind(apiVersion: String, kind: String)
        case rejected(Status)
        case fileSystem(String)
    }

    let code: Code

    init(_ code: Code) { self.code = code }

    /// The API `Status` when the server rejected an object.
    public var status: Status? {
        if case .rejected(let status) = code { return status }
        return nil
    }

    public var description: String {
        switch code {
        case .noListeners: "the configuration has no listeners"
        case .noSuchListener(let index): "there is no listener \(index)"
        case .unknownKind(let apiVersion, let kind): "no resource serves kind \"\(kind)\" in version \"\(apiVersion)\""
        case .rejected(let status): "the server rejected the object: \(status.message ?? "") (\(status.code ?? 0) \(status.reason ?? ""))"
        case .fileSystem(let message): "file system: \(message)"
        }
    }
}
