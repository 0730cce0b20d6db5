import ArgumentParser
import Foundation
import KubeCore
import KubeTestServer
import KubeYAML
import Logging
import ServiceLifecycle

/// `kube-test-server`: runs the embedded API server as a process, for kubectl, other
/// clients and pod simulations (`serve`, the default), or replays recorded
/// kube-apiserver exchanges against it (`replay`).
@main
struct KubeTestServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-test-server",
        abstract: "An in-memory Kubernetes API server for tests and demos (HTTPS on loopback).",
        subcommands: [ServeCommand.self, ReplayCommand.self],
        defaultSubcommand: ServeCommand.self)
}

/// `kube-test-server [serve]`: serves until SIGINT or SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the API (the default command).",
        discussion: """
            Prints the URLs it listens on and the files it wrote, then serves until SIGINT or SIGTERM.
            Faults can be injected by the admin with POST /_control/faults (see the KubeTestServer docs);
            {"action":"stopListener","index":0} stops the first master (send it through another listener).
            """)

    @Option(name: .customLong("listen"), help: "A listen address HOST:PORT (repeatable; port 0 picks one). Default 127.0.0.1:0.")
    var listen: [String] = []

    @Option(name: .customLong("advertise-address"), help: "An address published in the kubernetes Endpoints/EndpointSlice (repeatable; loopback addresses are refused there).")
    var advertiseAddresses: [String] = []

    @Option(name: .customLong("service-cluster-ip"), help: "The ClusterIP of the default/kubernetes Service (data only; also add it with --tls-san).")
    var serviceClusterIP = "10.96.0.1"

    @Option(name: .customLong("tls-san"), help: "An extra SAN for the serving certificate (repeatable).")
    var extraSANs: [String] = []

    @Option(name: .customLong("cert-dir"), help: "Write ca.crt, ca.key, apiserver.crt, apiserver.key here (an existing CA is reused).")
    var certificateDirectory: String?

    @Option(name: .customLong("kubeconfig"), help: "Write an admin kubeconfig to this path.")
    var kubeconfig: String?

    @Flag(name: .customLong("kubeconfig-client-cert"), help: "Authenticate the admin kubeconfig with a client certificate instead of the token.")
    var kubeconfigClientCertificate = false

    @Option(name: .customLong("pod-dir"), help: "Write a service account pod filesystem (token, ca.crt, namespace) here.")
    var podDirectory: String?

    @Option(name: .customLong("pod-namespace"), help: "The namespace of the pod filesystem's service account.")
    var podNamespace = "default"

    @Option(name: .customLong("pod-service-account"), help: "The service account of the pod filesystem.")
    var podServiceAccount = "default"

    @Option(name: .customLong("token-ttl"), help: "Lifetime of minted service account tokens, in seconds.")
    var tokenTTL = 3600

    @Option(name: .customLong("token-rotation-period"), help: "Rotate the pod filesystem's token every N seconds like the kubelet (0 = never).")
    var tokenRotationPeriod = 0

    @Option(name: .customLong("seed"), help: "A JSON or YAML manifest (multi-document allowed) applied as admin at start (repeatable).")
    var seeds: [String] = []

    @Option(name: .customLong("history-window"), help: "Events kept for watch resume; older resourceVersions get 410.")
    var historyWindow = 10_000

    @Option(name: .customLong("openapi-dir"), help: "Serve /openapi/v3 from this directory of *_openapi.json files.")
    var openAPIDirectory: String?

    @Option(name: .customLong("bookmark-interval"), help: "Seconds between watch BOOKMARK events.")
    var bookmarkInterval = 5

    @Option(name: .customLong("max-request-bytes"), help: "Largest accepted request body (413 beyond).")
    var maxRequestBytes = 3 * 1024 * 1024

    @Flag(name: .customLong("verbose"), help: "Log every request.")
    var verbose = false

    mutating func run() async throws {
        var logger = Logger(label: "kube-test-server")
        logger.logLevel = verbose ? .debug : .info
        var configuration = KubeTestServer.Configuration()
        configuration.listeners = try listen.map(Self.parseListener)
        if configuration.listeners.isEmpty { configuration.listeners = [.init()] }
        configuration.advertiseAddresses = advertiseAddresses
        configuration.extraSANs = extraSANs
        configuration.serviceClusterIP = serviceClusterIP
        configuration.certificateDirectory = certificateDirectory
        configuration.tokenTTL = .seconds(tokenTTL)
        configuration.historyWindow = historyWindow
        configuration.openAPIDirectory = openAPIDirectory
        configuration.bookmarkInterval = .seconds(max(1, bookmarkInterval))
        configuration.maxRequestBodyBytes = maxRequestBytes
        configuration.logger = logger

        let server = try await KubeTestServer.start(configuration)
        do {
            for path in seeds {
                for document in try Self.loadManifests(path) {
                    try await server.apply(json: document)
                }
            }
            for url in server.urls { Self.say("listening on \(url)") }
            if let kubeconfig {
                try server.writeAdminKubeconfig(to: kubeconfig, clientCertificate: kubeconfigClientCertificate)
                Self.say("admin kubeconfig: \(kubeconfig)")
            }
            var services: [any Service] = [server]
            if let podDirectory {
                let pod = try await server.writePodFilesystem(
                    namespace: podNamespace, serviceAccount: podServiceAccount, directory: podDirectory, tokenExpirationSeconds: tokenTTL)
                Self.say("pod filesystem: \(podDirectory)")
                for key in pod.environment.keys.sorted() { Self.say("  \(key)=\(pod.environment[key]!)") }
                if tokenRotationPeriod > 0 {
                    services.append(TokenRotation(server: server, pod: pod, period: .seconds(tokenRotationPeriod), ttl: tokenTTL, logger: logger))
                }
            }
            if let certificateDirectory { Self.say("certificates: \(certificateDirectory)") }
            let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// Unbuffered stdout lines, so scripts can wait for "listening on".
    static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func parseListener(_ text: String) throws -> KubeTestServer.Configuration.Listener {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen \(text): expected HOST:PORT")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return .init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    /// Every object in a JSON file or a (multi-document) YAML file, as JSON.
    static func loadManifests(_ path: String) throws -> [Data] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("--seed \(path): cannot read the file")
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return [Data(trimmed.utf8)] }
        let values: [JSONValue]
        do { values = try YAMLToJSON.documents(text) } catch {
            throw ValidationError("--seed \(path): not valid YAML: \(error)")
        }
        var documents: [Data] = []
        for value in values { documents.append(try JSONEncoder().encode(value)) }
        return documents
    }
}

/// Rotates the pod filesystem's token on a period, as the kubelet does.
struct TokenRotation: ServiceLifecycle.Service {
    let server: KubeTestServer
    let pod: PodFilesystem
    let period: Duration
    let ttl: Int
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: period)
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                try await server.rotateToken(pod, expirationSeconds: ttl)
                logger.info("rotated the pod token", metadata: ["directory": "\(pod.directory)"])
            } catch {
                logger.warning("token rotation failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
