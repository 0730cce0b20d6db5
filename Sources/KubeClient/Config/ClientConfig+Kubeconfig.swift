import Foundation

extension ClientConfig {
    /// The configuration of one context of a kubeconfig, as kubectl reads it.
    ///
    /// - Files: `paths` when given (each must exist), else the `KUBECONFIG` list (`:`-separated;
    ///   missing entries are skipped, as kubectl does), else `~/.kube/config`. Several files
    ///   are merged: the first file that names a cluster, context or user wins, and
    ///   `current-context` comes from the first file that sets it.
    /// - `context` picks a context by name; `nil` uses `current-context`.
    /// - Relative paths (`certificate-authority`, `client-certificate`, `client-key`,
    ///   `tokenFile`, an exec `command` with a `/`) are resolved against the directory of the
    ///   file that defined the entry.
    /// - Referenced files must exist and inline `*-data` must be base64 PEM; a `tokenFile` is
    ///   re-read on the refresh schedule and wins over `token`.
    public static func kubeconfig(
        paths: [String]? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigError) -> ClientConfig {
        let files = try kubeconfigPaths(paths, environment: environment)
        var merged = MergedKubeconfig()
        for path in files {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ConfigError(.kubeconfigNotFound, "kubeconfig \(path) cannot be read: \(error.localizedDescription)")
            }
            let file = try MergedKubeconfig.parse(text, path: path)
            merged.merge(file, directory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
        return try merged.config(context: context, sources: files)
    }

    static func kubeconfigPaths(_ paths: [String]?, environment: [String: String]) throws(ConfigError) -> [String] {
        if let paths, !paths.isEmpty {
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw ConfigError(.kubeconfigNotFound, "kubeconfig \(path) does not exist")
            }
            return paths
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let candidates = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            var seen = Set<String>()
            let existing = candidates.filter { seen.insert($0).inserted && FileManager.default.fileExists(atPath: $0) }
            guard !existing.isEmpty else {
                throw ConfigError(.kubeconfigNotFound, "none of the files in KUBECONFIG exist: \(candidates.joined(separator: ", "))")
            }
            return existing
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let path = URL(fileURLWithPath: home).appendingPathComponent(".kube/config").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigError(.kubeconfigNotFound, "no kubeconfig: KUBECONFIG is not set and \(path) does not exist")
        }
        return [path]
    }
}

extension MergedKubeconfig {
    func config(context requested: String?, sources: [String]) throws(ConfigError) -> ClientConfig {
        let where_ = sources.joined(separator: ", ")
        guard let contextName = requested ?? currentContext, !contextName.isEmpty else {
            throw ConfigError(.noCurrentContext, "kubeconfig \(where_) sets no current-context and no context was named")
        }
        guard let context = contexts[contextName] else {
            throw ConfigError(
                .contextNotFound,
                "context \"\(contextName)\" is not in kubeconfig \(where_) (contexts: \(contexts.keys.sorted().joined(separator: ", ")))")
        }
        guard let cluster = clusters[context.value.cluster] else {
            throw ConfigError(
                .clusterNotFound, "context \"\(contextName)\" names cluster \"\(context.value.cluster)\", which is not in kubeconfig \(where_)")
        }
        var user = MergedKubeconfig.Entry(value: KubeconfigFile.User(), directory: cluster.directory)
        if let userName = context.value.user, !userName.isEmpty {
            guard let found = users[userName] else {
                throw ConfigError(.userNotFound, "context \"\(contextName)\" names user \"\(userName)\", which is not in kubeconfig \(where_)")
            }
            user = found
        }

        guard let serverText = cluster.value.server, !serverText.isEmpty else {
            throw ConfigError(.invalidServerURL, "cluster \"\(context.value.cluster)\" has no server")
        }
        guard let url = URL(string: serverText), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host != nil
        else {
            throw ConfigError(.invalidServerURL, "cluster \"\(context.value.cluster)\" has server \"\(serverText)\", not an http(s) URL")
        }

        var tls = ClientConfig.TLS()
        tls.insecureSkipTLSVerify = cluster.value.insecureSkipTLSVerify ?? false
        tls.serverName = cluster.value.tlsServerName.flatMap { $0.isEmpty ? nil : $0 }
        if let data = cluster.value.certificateAuthorityData, !data.isEmpty {
            tls.certificateAuthority = .pem(try Self.decodeBase64(data, field: "certificate-authority-data"))
        } else if let path = cluster.value.certificateAuthority, !path.isEmpty {
            tls.certificateAuthority = .file(try Self.existingFile(path, in: cluster.directory, field: "certificate-authority"))
        }
        if let source = tls.certificateAuthority, !tls.insecureSkipTLSVerify {
            _ = try TrustStore.loadCertificates(from: source)
        }

        let u = user.value
        if let data = u.clientCertificateData, !data.isEmpty {
            tls.clientCertificate = .pem(try Self.decodeBase64(data, field: "client-certificate-data"))
        } else if let path = u.clientCertificate, !path.isEmpty {
            tls.clientCertificate = .file(try Self.existingFile(path, in: user.directory, field: "client-certificate"))
        }
        if let data = u.clientKeyData, !data.isEmpty {
            tls.clientKey = .pem(try Self.decodeBase64(data, field: "client-key-data"))
        } else if let path = u.clientKey, !path.isEmpty {
            tls.clientKey = .file(try Self.existingFile(path, in: user.directory, field: "client-key"))
        }
        if (tls.clientCertificate == nil) != (tls.clientKey == nil) {
            throw ConfigError(.invalidData, "user \"\(context.value.user ?? "")\" has a client certificate or key but not both")
        }

        let credentials: ClientConfig.Credentials
        if let path = u.tokenFile, !path.isEmpty {
            let resolved = try Self.existingFile(path, in: user.directory, field: "tokenFile")
            _ = try TokenFile.readToken(at: resolved)
            credentials = .tokenFile(resolved)
        } else if let token = u.token, !token.isEmpty {
            credentials = .token(try TokenFile.validate(token, source: "the token of user \"\(context.value.user ?? "")\""))
        } else if let exec = u.exec {
            credentials = .exec(try Self.execConfig(exec, directory: user.directory))
        } else if let provider = u.authProvider {
            throw ConfigError(
                .unsupportedAuthentication,
                "auth-provider \"\(provider.name ?? "")\" is not supported (it was removed from client-go in 1.26); use an exec plugin")
        } else if u.username != nil {
            throw ConfigError(.unsupportedAuthentication, "basic authentication (username/password) is not supported; use a token")
        } else {
            credentials = .none
        }

        let namespace = context.value.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let server = serverText.hasSuffix("/") ? String(serverText.dropLast()) : serverText
        return ClientConfig(server: server, namespace: namespace, tls: tls, credentials: credentials)
    }

    static func execConfig(_ exec: KubeconfigFile.Exec, directory: String) throws(ConfigError) -> ExecConfig {
        guard let command = exec.command, !command.isEmpty else {
            throw ConfigError(.kubeconfigInvalid, "exec plugin has no command")
        }
        guard let apiVersion = exec.apiVersion, ExecConfig.supportedAPIVersions.contains(apiVersion) else {
            throw ConfigError(
                .kubeconfigInvalid,
                "exec plugin \(command) has apiVersion \"\(exec.apiVersion ?? "")\"; supported: client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1"
            )
        }
        let mode: ExecConfig.InteractiveMode
        switch exec.interactiveMode {
        case nil, "":
            // client-go requires interactiveMode in v1 and defaults it to IfAvailable in v1beta1.
            guard apiVersion.hasSuffix("v1beta1") else {
                throw ConfigError(.kubeconfigInvalid, "exec plugin \(command): interactiveMode must be set for \(apiVersion)")
            }
            mode = .ifAvailable
        case let text?:
            guard let parsed = ExecConfig.InteractiveMode(rawValue: text) else {
                throw ConfigError(.kubeconfigInvalid, "exec plugin \(command) has interactiveMode \"\(text)\"; expected Never, IfAvailable or Always")
            }
            mode = parsed
        }
        // kubectl resolves a relative command path (one with a separator) against the kubeconfig's directory.
        let resolved = command.contains("/") && !command.hasPrefix("/")
            ? URL(fileURLWithPath: directory).appendingPathComponent(command).standardized.path : command
        return ExecConfig(
            command: resolved, args: exec.args ?? [], env: (exec.env ?? []).map { .init(name: $0.name, value: $0.value) },
            apiVersion: apiVersion, interactiveMode: mode, provideClusterInfo: exec.provideClusterInfo ?? false,
            installHint: exec.installHint)
    }

    static func existingFile(_ path: String, in directory: String, field: String) throws(ConfigError) -> String {
        let expanded = path.hasPrefix("~/") ? NSHomeDirectory() + String(path.dropFirst()) : path
        let resolved = expanded.hasPrefix("/") ? expanded : URL(fileURLWithPath: directory).appendingPathComponent(expanded).standardized.path
        guard FileManager.default.isReadableFile(atPath: resolved) else {
            throw ConfigError(.fileNotFound, "\(field) \(resolved) does not exist or cannot be read")
        }
        return resolved
    }

    static func decodeBase64(_ text: String, field: String) throws(ConfigError) -> String {
        let compact = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: compact), let decoded = String(data: data, encoding: .utf8) else {
            throw ConfigError(.invalidData, "\(field) is not valid base64 of PEM text")
        }
        return decoded
    }
}
