/// A client-go credential plugin (`users[].user.exec` in a kubeconfig).
///
/// The command prints an `ExecCredential` (`client.authentication.k8s.io/v1` or `v1beta1`)
/// on stdout; its `status.token` is used until `status.expirationTimestamp`, and the
/// command runs again after a 401.
public struct ExecConfig: Sendable, Hashable {
    public struct EnvVar: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// `Never`, `IfAvailable` or `Always` (client-go's `interactiveMode`). This client never
    /// has a terminal for the plugin, so `Always` fails with a clear error.
    public enum InteractiveMode: String, Sendable, Hashable {
        case never = "Never"
        case ifAvailable = "IfAvailable"
        case always = "Always"
    }

    /// The executable: a bare name is looked up in `PATH`; a relative path with a `/` is
    /// resolved against the kubeconfig's directory (as kubectl does).
    public var command: String
    public var args: [String]
    /// Added to this process's environment for the plugin.
    public var env: [EnvVar]
    /// `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`.
    public var apiVersion: String
    public var interactiveMode: InteractiveMode
    /// Pass the cluster (server, CA, tls-server-name) in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool
    /// Shown when the command cannot be run.
    public var installHint: String?

    public init(
        command: String, args: [String] = [], env: [EnvVar] = [], apiVersion: String = "client.authentication.k8s.io/v1",
        interactiveMode: InteractiveMode = .ifAvailable, provideClusterInfo: Bool = false, installHint: String? = nil
    ) {
        self.command = command
        self.args = args
        self.env = env
        self.apiVersion = apiVersion
        self.interactiveMode = interactiveMode
        self.provideClusterInfo = provideClusterInfo
        self.installHint = installHint
    }

    static let supportedAPIVersions: Set<String> = [
        "client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1",
    ]
}
