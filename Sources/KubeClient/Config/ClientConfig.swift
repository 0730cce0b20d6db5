import Foundation
import Logging

/// Everything a ``KubeClient`` needs to reach one API server: where it is, whom to
/// trust, how to authenticate, and how to behave (timeouts, retries, rate limit).
///
/// A plain `Sendable` value. Build one with ``inCluster(environment:serviceAccountDirectory:allowDNSFallback:)``,
/// ``kubeconfig(paths:context:environment:)`` or ``infer(environment:)``, or by hand.
/// Files (token, CA) are referenced by path, not copied: the client re-reads them so
/// rotated credentials are picked up.
public struct ClientConfig: Sendable, CustomStringConvertible {
    /// The API server base URL, for example `https://10.96.0.1:443` or `https://[fd00::1]:443`.
    public var server: String
    /// The namespace used by ``Api/default(_:)``: the pod's namespace in-cluster, the context's namespace from a kubeconfig.
    public var namespace: String
    public var tls: TLS
    public var credentials: Credentials
    public var timeouts: Timeouts
    public var retry: RetryPolicy
    /// A client-side token bucket limit; `nil` (the default) sends as fast as asked.
    public var rateLimit: RateLimit?
    /// How often token and CA files are re-read. client-go uses one minute: the kubelet
    /// refreshes a projected token when 80% of its lifetime (at least an hour by default)
    /// has passed, so a minute picks up a new token long before the old one expires while
    /// costing one small file read per minute. A 401 forces a re-read regardless.
    public var credentialRefreshInterval: Duration
    /// Sent as `User-Agent`; defaults to `swift-kubernetes/<version> (<os>; <arch>)`.
    public var userAgent: String
    /// The wire format of built-in objects on get, list, watch, create and replace (client-go's
    /// `ContentType`). `.json` by default; see ``ContentType-swift.enum/protobuf``.
    public var contentType: ContentType = .json

    /// How typed requests encode built-in objects.
    public enum ContentType: Sendable, Hashable {
        case json
        /// `application/vnd.kubernetes.protobuf` for built-in kinds on get, list, watch, create
        /// and replace, asked for with `Accept: application/vnd.kubernetes.protobuf, application/json`
        /// so a server that answers only JSON still works. Answers are read straight into the
        /// models (no JSON text in between); a watch reads length-prefixed `WatchEvent` frames.
        /// Patches, deletes, custom resources and dynamic objects stay JSON, as in client-go.
        case protobuf
    }

    /// The `fieldManager` of server-side apply when a call names none (``Api/apply(_:force:fieldManager:logger:)``):
    /// the program's name by default, as kubectl uses `kubectl` — one stable owner per program, so a
    /// later apply that leaves a field out removes it.
    public var fieldManager: String = ClientConfig.defaultFieldManager

    /// Asks for gzip (`Accept-Encoding: gzip`) and inflates compressed answers as they stream in,
    /// as client-go does unless `DisableCompression` is set. kube-apiserver compresses responses
    /// above 128 KiB (a list page of 500 pods: 7.4 MB of JSON, about 0.5 MB gzipped), never watch
    /// streams. Turn it off where the link is fast and CPU is scarce.
    public var compression: Bool = true

    /// The largest response body read into memory, counted after decompression: a larger answer
    /// (or a gzip bomb) fails with ``KubeError/Code/responseTooLarge`` once this many bytes have
    /// arrived. 1 GiB by default: far above any object (etcd caps those at 1.5 MiB) and a
    /// 10,000-pod list page. Also bounds each decompressed streaming response (watch, logs).
    public var maxResponseBodyBytes: Int = 1 << 30

    public init(
        server: String, namespace: String = "default", tls: TLS = TLS(), credentials: Credentials = .none,
        timeouts: Timeouts = Timeouts(), retry: RetryPolicy = RetryPolicy(), rateLimit: RateLimit? = nil,
        credentialRefreshInterval: Duration = .seconds(60), userAgent: String = UserAgent.default
    ) {
        self.server = server
        self.namespace = namespace
        self.tls = tls
        self.credentials = credentials
        self.timeouts = timeouts
        self.retry = retry
        self.rateLimit = rateLimit
        self.credentialRefreshInterval = credentialRefreshInterval
        self.userAgent = userAgent
    }

    /// The program's name (at most 128 characters, the API server's limit for a field manager).
    public static var defaultFieldManager: String {
        let name = ProcessInfo.processInfo.processName
        return String((name.isEmpty ? "swift-kubernetes" : name).prefix(128))
    }

    /// PEM data, inline or in a file that is re-read on the refresh schedule.
    public enum PEMSource: Sendable, Hashable, CustomStringConvertible {
        case file(String)
        case pem(String)

        public var description: String {
            switch self {
            case .file(let path): "file \(path)"
            case .pem: "inline PEM"
            }
        }
    }

    /// Whom to trust and who we are at the TLS layer.
    public struct TLS: Sendable, Hashable {
        /// The CA bundle that signs the server's certificate. When set, it is the *only* trust
        /// anchor (the system store is never consulted). When `nil`, the system roots are used,
        /// as kubectl does for a kubeconfig cluster without `certificate-authority`.
        public var certificateAuthority: PEMSource?
        /// A client certificate (and its key) for mutual TLS.
        public var clientCertificate: PEMSource?
        public var clientKey: PEMSource?
        /// Verify the server certificate against this name instead of the URL's host (`tls-server-name`).
        public var serverName: String?
        /// Do not verify the server at all. Only ever set from an explicit
        /// `insecure-skip-tls-verify: true`; the client logs a warning when it is on.
        public var insecureSkipTLSVerify: Bool

        public init(
            certificateAuthority: PEMSource? = nil, clientCertificate: PEMSource? = nil, clientKey: PEMSource? = nil,
            serverName: String? = nil, insecureSkipTLSVerify: Bool = false
        ) {
            self.certificateAuthority = certificateAuthority
            self.clientCertificate = clientCertificate
            self.clientKey = clientKey
            self.serverName = serverName
            self.insecureSkipTLSVerify = insecureSkipTLSVerify
        }
    }

    /// How requests authenticate.
    public enum Credentials: Sendable, Hashable, CustomStringConvertible {
        case none
        /// A fixed bearer token.
        case token(String)
        /// A bearer token read from a file and re-read on the refresh schedule (service account tokens).
        case tokenFile(String)
        /// A credential plugin (`users[].user.exec`).
        case exec(ExecConfig)

        /// Never prints a token.
        public var description: String {
            switch self {
            case .none: "none"
            case .token: "token (redacted)"
            case .tokenFile(let path): "token file \(path)"
            case .exec(let exec): "exec \(exec.command)"
            }
        }
    }

    public struct Timeouts: Sendable, Hashable {
        /// TCP connect plus TLS handshake.
        public var connect: Duration
        /// One attempt of a non-streaming request, from send to the last byte of the body; a
        /// response whose head or body is still incomplete then fails with
        /// ``KubeError/Code/timeout`` (a `Retry-After` retry is a new attempt with a new bound).
        /// For a watch or a followed log it bounds the wait for the response head: the body
        /// then streams for as long as it lasts (see ``watchIdle`` and ``connectionReadIdle``).
        public var request: Duration
        /// A watch that receives nothing (not even a bookmark) for this long is treated as a
        /// dead connection and closed. kube-apiserver sends bookmarks about once a minute to
        /// watchers that ask for them, so the default of five minutes never fires on a healthy
        /// stream and catches a half-open TCP connection that would otherwise hang forever.
        public var watchIdle: Duration
        /// The HTTP/2 connection health check (client-go's `ReadIdleTimeout`, also 30 s): when no
        /// frame has arrived on a connection for this long, the client sends it a PING. `nil`
        /// turns the check off. HTTP/1.1 connections carry one request at a time and are bounded
        /// by ``request`` and ``watchIdle`` instead.
        public var connectionReadIdle: Duration?
        /// How long a health-check PING may go unanswered (client-go's `PingTimeout`, also 15 s)
        /// before the connection is closed as dead. Every request and watch on it then fails with
        /// ``KubeError/Code/transport`` (reads are retried, watchers resume) and the next request
        /// opens a new connection. A dead connection is so found within
        /// `connectionReadIdle + pingTimeout`, instead of when TCP gives up (about 15 minutes).
        public var pingTimeout: Duration

        public init(
            connect: Duration = .seconds(10), request: Duration = .seconds(60), watchIdle: Duration = .seconds(300),
            connectionReadIdle: Duration? = .seconds(30), pingTimeout: Duration = .seconds(15)
        ) {
            self.connect = connect
            self.request = request
            self.watchIdle = watchIdle
            self.connectionReadIdle = connectionReadIdle
            self.pingTimeout = pingTimeout
        }
    }

    /// Never prints a token or key.
    public var description: String {
        "ClientConfig(server: \(server), namespace: \(namespace), credentials: \(credentials), ca: \(tls.certificateAuthority?.description ?? "system roots"))"
    }
}

/// When a request is sent again: after a `429` or a `5xx` that carries `Retry-After`, and
/// after a connection failure (see ``retryConnectionErrors``).
///
/// Only requests whose body can be replayed are retried, never a watch or a followed
/// log. client-go's default is 10 attempts.
public struct RetryPolicy: Sendable, Hashable {
    /// The most times one request is sent (first try included); `1` disables retries.
    public var maxAttempts: Int
    /// Upper bound for one wait, whatever `Retry-After` says.
    public var maxDelay: Duration
    /// Retry, after a second, a `GET` whose connection was refused, timed out connecting or was
    /// lost before an answer (an API server restarting). Writes fail at once (as in client-go);
    /// TLS failures and request timeouts are never retried.
    public var retryConnectionErrors: Bool

    public init(maxAttempts: Int = 10, maxDelay: Duration = .seconds(30), retryConnectionErrors: Bool = true) {
        self.maxAttempts = max(1, maxAttempts)
        self.maxDelay = maxDelay
        self.retryConnectionErrors = retryConnectionErrors
    }
}

/// A token bucket: at most `burst` requests at once, refilled at `qps` per second.
public struct RateLimit: Sendable, Hashable {
    public var qps: Double
    public var burst: Int

    public init(qps: Double, burst: Int) {
        self.qps = qps
        self.burst = max(1, burst)
    }
}

/// The `User-Agent` this package sends.
public enum UserAgent {
    /// The package version reported in the user agent.
    public static let version = "0.1.0"

    /// `swift-kubernetes/<version> (<os>; <arch>)`, as client-go's `kubectl/v1.30 (linux/amd64)`.
    public static let `default`: String = {
        #if os(Linux)
        let os = "linux"
        #elseif os(macOS)
        let os = "darwin"
        #else
        let os = "unknown"
        #endif
        #if arch(x86_64)
        let arch = "amd64"
        #elseif arch(arm64)
        let arch = "arm64"
        #else
        let arch = "unknown"
        #endif
        return "swift-kubernetes/\(version) (\(os); \(arch))"
    }()
}
