import Foundation
import KubeClient
import Logging

/// Where kubeprobe finds its cluster, from the global flags and the environment.
///
/// The in-cluster path is the real one (`/var/run/secrets/kubernetes.io/serviceaccount`,
/// `/etc/resolv.conf`); `KUBEPROBE_SERVICEACCOUNT_DIR` and `KUBEPROBE_RESOLV_CONF` point it
/// elsewhere for tests and the demo.
public struct ProbeSettings: Sendable {
    public var environment: [String: String]
    public var serviceAccountDirectory: String
    public var resolvConfPath: String
    public var kubeconfig: String?
    public var context: String?
    /// `--namespace`; `nil` uses the configuration's (the pod's own in-cluster).
    public var namespace: String?
    /// `--in-cluster`: use the service account even when a kubeconfig exists.
    public var forceInCluster: Bool
    /// `-v`: log every request to standard error (tokens never appear).
    public var verbose: Bool

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, kubeconfig: String? = nil, context: String? = nil,
        namespace: String? = nil, forceInCluster: Bool = false, verbose: Bool = false
    ) {
        self.environment = environment
        self.serviceAccountDirectory = environment["KUBEPROBE_SERVICEACCOUNT_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ClientConfig.defaultServiceAccountDirectory
        self.resolvConfPath = environment["KUBEPROBE_RESOLV_CONF"].flatMap { $0.isEmpty ? nil : $0 } ?? "/etc/resolv.conf"
        self.kubeconfig = kubeconfig
        self.context = context
        self.namespace = namespace
        self.forceInCluster = forceInCluster
        self.verbose = verbose
    }

    public enum Mode: Sendable, Equatable {
        case inCluster
        case kubeconfig
    }

    /// `--in-cluster` or `--kubeconfig` when given; else in-cluster when the kubelet's
    /// variables are set; else a kubeconfig when one exists; else in-cluster (whose error
    /// then names what is missing).
    public var mode: Mode {
        if forceInCluster { return .inCluster }
        if kubeconfig != nil || context != nil { return .kubeconfig }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty { return .inCluster }
        if let list = environment["KUBECONFIG"], !list.isEmpty { return .kubeconfig }
        if FileManager.default.fileExists(atPath: defaultKubeconfigPath) { return .kubeconfig }
        return .inCluster
    }

    var defaultKubeconfigPath: String {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.kube/config"
    }

    /// The client configuration, with bounded timeouts and few retries so no command hangs.
    public func clientConfig(connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(20)) throws(ProbeError) -> ClientConfig {
        var config: ClientConfig
        do {
            switch mode {
            case .inCluster:
                config = try ClientConfig.inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
            case .kubeconfig:
                config = try ClientConfig.kubeconfig(paths: kubeconfig.map { [$0] }, context: context, environment: environment)
            }
        } catch {
            throw ProbeError(.configuration, explain(error))
        }
        if let namespace { config.namespace = namespace }
        config.timeouts.connect = connectTimeout
        config.timeouts.request = requestTimeout
        config.retry = RetryPolicy(maxAttempts: 2, maxDelay: .seconds(2), retryConnectionErrors: false)
        return config
    }

    /// A configuration error in words, with what to do next.
    func explain(_ error: ConfigError) -> String {
        if error.code == .missingEnvironmentVariable {
            var text = error.message
            if kubeconfig == nil {
                text += ". No kubeconfig was found either (KUBECONFIG is not set and \(defaultKubeconfigPath) does not exist)."
            }
            return text + " Outside a Pod, pass --kubeconfig FILE."
        }
        if error.code == .tokenFileMissing || error.code == .certificateAuthorityMissing {
            return error.message + " (is automountServiceAccountToken false? Outside a Pod, pass --kubeconfig FILE.)"
        }
        return error.description
    }

    /// The logger for the client: request lines on standard error with `-v`, nothing otherwise.
    public func logger() -> Logger {
        var logger = Logger(label: "kubeprobe") { label in RequestLogHandler(label: label) }
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }
}

/// Prints log records as `kubeprobe: message key=value` on standard error, with anything
/// that looks like a bearer token redacted.
struct RequestLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "\(label) \(event.level): \(event.message)\(fields.isEmpty ? "" : " " + fields)"
        FileHandle.standardError.write(Data((Self.redact(line) + "\n").utf8))
    }

    static func redact(_ text: String) -> String {
        var result = text
        for marker in ["Bearer ", "token="] {
            var searchStart = result.startIndex
            while let range = result.range(of: marker, range: searchStart..<result.endIndex) {
                let end = result[range.upperBound...].firstIndex { $0 == " " || $0 == "," || $0 == "\"" || $0 == "&" } ?? result.endIndex
                result.replaceSubrange(range.upperBound..<end, with: "<redacted>")
                searchStart = result.index(range.upperBound, offsetBy: "<redacted>".count)
            }
        }
        return result
    }
}
