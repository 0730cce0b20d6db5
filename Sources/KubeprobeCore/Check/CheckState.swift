import Foundation
import KubeClient
import Logging

/// What the steps learn and share: the target address, the CA, the token's claims, the
/// identity, and one client for the API steps.
actor CheckState {
    let options: CheckOptions
    var settings: ProbeSettings { options.settings }
    var inCluster: Bool { options.settings.mode == .inCluster }

    /// The API server URL the client uses.
    var server: String?
    var host: String?
    var port: Int?
    /// `ca.crt` (or the kubeconfig's CA); `nil` means the system roots.
    var caPEM: String?
    var serverName: String?
    var claims: TokenClaims?
    var namespace: String = "default"
    /// The authenticated user (from SelfSubjectReview, else the token).
    var username: String?
    var groups: [String] = []
    private var client: KubeClient?
    private var clientError: ProbeError?

    init(options: CheckOptions) {
        self.options = options
    }

    func shutdown() async {
        try? await client?.shutdown()
        client = nil
    }

    /// The client the API steps share, with every timeout bounded by the step timeout.
    func apiClient() throws(ProbeError) -> KubeClient {
        if let client { return client }
        if let clientError { throw clientError }
        do {
            let config = try settings.clientConfig(connectTimeout: options.stepTimeout, requestTimeout: options.stepTimeout)
            let made = try KubeClient(config: config, logger: settings.logger())
            client = made
            namespace = config.namespace
            return made
        } catch let error as ProbeError {
            clientError = error
            throw error
        } catch {
            let wrapped = ProbeError(.configuration, "\(error)")
            clientError = wrapped
            throw wrapped
        }
    }

    /// Sets the target from a server URL (kubeconfig mode).
    func setTarget(url: String) {
        server = url
        guard let components = URLComponents(string: url), let parsedHost = components.host else { return }
        host = parsedHost.hasPrefix("[") ? String(parsedHost.dropFirst().dropLast()) : parsedHost
        port = components.port ?? (components.scheme == "http" ? 80 : 443)
    }

    /// In kubeconfig mode the target, CA and server name come from the kubeconfig.
    func loadKubeconfigTarget() throws(ProbeError) -> ClientConfig {
        let config = try settings.clientConfig()
        setTarget(url: config.server)
        namespace = config.namespace
        serverName = config.tls.serverName
        switch config.tls.certificateAuthority {
        case .pem(let text): caPEM = text
        case .file(let path): caPEM = try? String(contentsOfFile: path, encoding: .utf8)
        case nil: caPEM = nil
        }
        return config
    }
}
