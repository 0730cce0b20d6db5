import Foundation

extension ClientConfig {
    /// The configuration kubectl or a Pod would use, tried in order: a kubeconfig
    /// (`KUBECONFIG` or `~/.kube/config`), then the in-cluster service account.
    ///
    /// When both fail the error has code ``ConfigError/Code/noConfiguration`` and keeps
    /// both causes in ``ConfigError/causes``, so a Pod without a mounted service account
    /// and a laptop without a kubeconfig both see what was looked for.
    public static func infer(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws(ConfigError) -> ClientConfig {
        let kubeconfigError: ConfigError
        do {
            return try kubeconfig(environment: environment)
        } catch {
            kubeconfigError = error
        }
        do {
            return try inCluster(environment: environment, serviceAccountDirectory: serviceAccountDirectory)
        } catch {
            throw ConfigError(
                .noConfiguration, "no usable Kubernetes configuration (tried kubeconfig, then in-cluster)",
                causes: [kubeconfigError, error])
        }
    }
}
