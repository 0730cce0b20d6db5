import Foundation
import NIOSSL

extension ClientConfig {
    /// Where the kubelet mounts a Pod's service account: `token`, `ca.crt`, `namespace`.
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The configuration of a program running in a Pod, as client-go's `rest.InClusterConfig`.
    ///
    /// - The server is `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, an IPv6 host
    ///   in brackets (`https://[fd00::1]:443`). When either variable is missing the error names
    ///   it; with `allowDNSFallback` the server is `https://kubernetes.default.svc` instead
    ///   (cluster DNS must then resolve it).
    /// - The token is `<directory>/token`, re-read every ``credentialRefreshInterval`` (the kubelet
    ///   rotates it); it must exist and hold a token now.
    /// - `<directory>/ca.crt` is the only trust anchor; it must exist and be PEM.
    /// - The namespace is `$POD_NAMESPACE`, else `<directory>/namespace`, else `default`.
    ///
    /// - Parameters:
    ///   - environment: the process environment (a parameter so tests can fake a Pod).
    ///   - serviceAccountDirectory: the service account mount (a parameter for tests).
    ///   - allowDNSFallback: use `https://kubernetes.default.svc` when the env vars are missing.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = defaultServiceAccountDirectory,
        allowDNSFallback: Bool = false
    ) throws(ConfigError) -> ClientConfig {
        let server = try inClusterServer(environment: environment, allowDNSFallback: allowDNSFallback)
        let directory = URL(fileURLWithPath: serviceAccountDirectory)
        let tokenPath = directory.appendingPathComponent("token").path
        let caPath = directory.appendingPathComponent("ca.crt").path
        _ = try TokenFile.readToken(at: tokenPath)
        _ = try TrustStore.loadCertificates(from: .file(caPath))
        let namespace: String
        if let fromEnvironment = environment["POD_NAMESPACE"]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !fromEnvironment.isEmpty
        {
            namespace = fromEnvironment
        } else if let data = FileManager.default.contents(atPath: directory.appendingPathComponent("namespace").path),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        {
            namespace = text
        } else {
            namespace = "default"
        }
        return ClientConfig(
            server: server, namespace: namespace, tls: TLS(certificateAuthority: .file(caPath)),
            credentials: .tokenFile(tokenPath))
    }

    static func inClusterServer(environment: [String: String], allowDNSFallback: Bool) throws(ConfigError) -> String {
        let host = environment["KUBERNETES_SERVICE_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 }
        guard let host, let port else {
            if allowDNSFallback { return "https://kubernetes.default.svc" }
            let missing = [host == nil ? "KUBERNETES_SERVICE_HOST" : nil, port == nil ? "KUBERNETES_SERVICE_PORT" : nil]
                .compactMap { $0 }
            throw ConfigError(
                .missingEnvironmentVariable,
                "not running in a cluster: \(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set"
                    + " (in a Pod the kubelet sets both; outside one, use a kubeconfig)")
        }
        guard let portNumber = Int(port.trimmingCharacters(in: .whitespaces)), (1...65535).contains(portNumber) else {
            throw ConfigError(.invalidPort, "KUBERNETES_SERVICE_PORT is \"\(port)\", not a port number (1-65535)")
        }
        let trimmedHost = host.trimmingCharacters(in: .whitespaces)
        guard !trimmedHost.contains(where: { $0 == "/" || $0 == " " || $0 == "@" || $0 == "?" || $0 == "#" }) else {
            throw ConfigError(.invalidHost, "KUBERNETES_SERVICE_HOST is \"\(host)\", not a host name or IP address")
        }
        // net.JoinHostPort: a host with a colon is an IPv6 literal and needs brackets.
        let hostPart = trimmedHost.contains(":") && !trimmedHost.hasPrefix("[") ? "[\(trimmedHost)]" : trimmedHost
        return "https://\(hostPart):\(portNumber)"
    }
}
