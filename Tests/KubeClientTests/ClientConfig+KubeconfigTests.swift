import Foundation
import Testing

@testable import KubeClient

@Suite("Kubeconfig", .timeLimit(.minutes(3)))
struct KubeconfigTests {
    func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }

    @Test func mergesByKubectlRules() throws {
        let dir = try Fixtures.temporaryDirectory()
        let ca = try Fixtures.caPEM()
        try Fixtures.write(ca, to: dir.appendingPathComponent("ca.pem"))
        try Fixtures.write("file-token\n", to: dir.appendingPathComponent("token"))
        let first = dir.appendingPathComponent("first.yaml")
        let second = dir.appendingPathComponent("second.yaml")
        try Fixtures.write(
            """
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster:
                server: https://prod.example:6443
                certificate-authority: ca.pem
                tls-server-name: kubernetes
            users:
            - name: alice
              user:
                tokenFile: token
            contexts:
            - name: prod
              context: {cluster: prod, user: alice, namespace: shop}
            """, to: first)
        try Fixtures.write(
            """
            current-context: dev
            clusters:
            - name: prod
              cluster: {server: https://shadowed.example}
            - name: dev
              cluster:
                server: https://dev.example/
                certificate-authority-data: \(base64(ca))
                insecure-skip-tls-verify: false
            users:
            - name: bob
              user: {token: static-token}
            contexts:
            - name: dev
              context: {cluster: dev, user: bob}
            - name: prod
              context: {cluster: dev, user: bob}
            """, to: second)
        let environment = ["KUBECONFIG": "\(first.path):/does/not/exist:\(second.path)", "HOME": dir.path]
        // current-context comes from the only file that sets it.
        let dev = try ClientConfig.kubeconfig(environment: environment)
        #expect(dev.server == "https://dev.example")
        #expect(dev.namespace == "default")
        #expect(dev.credentials == .token("static-token"))
        #expect(dev.tls.certificateAuthority == .pem(ca))
        // The first file wins for "prod" (context and cluster); relative paths resolve against its directory.
        let prod = try ClientConfig.kubeconfig(context: "prod", environment: environment)
        #expect(prod.server == "https://prod.example:6443")
        #expect(prod.namespace == "shop")
        #expect(prod.tls.serverName == "kubernetes")
        #expect(prod.tls.certificateAuthority == .file(dir.appendingPathComponent("ca.pem").path))
        #expect(prod.credentials == .tokenFile(dir.appendingPathComponent("token").path))
        #expect(!prod.description.contains("static-token") && !dev.description.contains("static-token"))
    }

    @Test func defaultsToHomeKubeConfig() throws {
        let home = try Fixtures.temporaryDirectory()
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".kube"), withIntermediateDirectories: true)
        try Fixtures.write(
            """
            current-context: c
            clusters: [{name: k, cluster: {server: "http://127.0.0.1:8080"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """, to: home.appendingPathComponent(".kube/config"))
        let config = try ClientConfig.kubeconfig(environment: ["HOME": home.path])
        #expect(config.server == "http://127.0.0.1:8080")
        #expect(config.credentials == .none)
        let missing = #expect(throws: ConfigError.self) { try ClientConfig.kubeconfig(environment: ["HOME": "/nonexistent-home"]) }
        #expect(missing?.code == .kubeconfigNotFound)
    }

    func load(_ yaml: String, context: String? = nil, extra: [String: String] = [:]) throws -> ClientConfig {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir.appendingPathComponent("config")
        try Fixtures.write(yaml, to: path)
        for (name, content) in extra { try Fixtures.write(content, to: dir.appendingPathComponent(name)) }
        return try ClientConfig.kubeconfig(paths: [path.path], context: context, environment: [:])
    }

    func code(_ yaml: String, context: String? = nil) -> ConfigError.Code? {
        #expect(throws: ConfigError.self) { try load(yaml, context: context) }?.code
    }

    @Test func badInputGetsTypedErrors() throws {
        let good = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://a.example"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """
        #expect(code("clusters: [unclosed\n  - : :") == .kubeconfigNotYAML)
        #expect(code("just a string") == .kubeconfigInvalid)
        #expect(code("clusters: {name: 3}") == .kubeconfigInvalid)
        #expect(code(good, context: "nope") == .contextNotFound)
        #expect(code(good.replacingOccurrences(of: "cluster: k,", with: "cluster: missing,")) == .clusterNotFound)
        #expect(code(good.replacingOccurrences(of: "user: u}", with: "user: ghost}")) == .userNotFound)
        #expect(code(good.replacingOccurrences(of: "current-context: c", with: "")) == .noCurrentContext)
        #expect(code(good.replacingOccurrences(of: "{token: t}", with: "{tokenFile: /no/such/token}")) == .fileNotFound)
        #expect(code(good.replacingOccurrences(of: "{token: t}", with: "{client-certificate: missing.crt, client-key: missing.key}")) == .fileNotFound)
        #expect(code(good.replacingOccurrences(of: "server: \"https://a.example\"", with: "server: \"https://a.example\", certificate-authority: nope.pem")) == .fileNotFound)
        #expect(code(good.replacingOccurrences(of: "server: \"https://a.example\"", with: "server: \"https://a.example\", certificate-authority-data: '!!!'")) == .invalidData)
        #expect(code(good.replacingOccurrences(of: "server: \"https://a.example\"", with: "server: \"https://a.example\", certificate-authority-data: \(base64("hello"))")) == .certificateAuthorityNotPEM)
        #expect(code(good.replacingOccurrences(of: "https://a.example", with: "ftp://a.example")) == .invalidServerURL)
        #expect(code(good.replacingOccurrences(of: "{token: t}", with: "{auth-provider: {name: gcp}}")) == .unsupportedAuthentication)
        let notFound = #expect(throws: ConfigError.self) { try ClientConfig.kubeconfig(paths: ["/no/such/kubeconfig"], environment: [:]) }
        #expect(notFound?.code == .kubeconfigNotFound)
        // Insecure skip is honoured only when written, and never needs a CA.
        let insecure = try load(good.replacingOccurrences(of: "server: \"https://a.example\"", with: "server: \"https://a.example\", insecure-skip-tls-verify: true"))
        #expect(insecure.tls.insecureSkipTLSVerify)
        #expect(try load(good).tls.insecureSkipTLSVerify == false)
    }

    @Test func execPlugins() throws {
        let yaml = """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://a.example"}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            users:
            - name: u
              user:
                exec:
                  apiVersion: client.authentication.k8s.io/v1
                  command: ./bin/get-token
                  args: [--cluster, k]
                  env: [{name: REGION, value: eu}]
                  interactiveMode: Never
                  provideClusterInfo: true
            """
        let config = try load(yaml)
        guard case .exec(let exec) = config.credentials else { Issue.record("not exec"); return }
        #expect(exec.command.hasSuffix("/bin/get-token") && exec.command.hasPrefix("/"))
        #expect(exec.args == ["--cluster", "k"])
        #expect(exec.env == [.init(name: "REGION", value: "eu")])
        #expect(exec.interactiveMode == .never)
        #expect(exec.provideClusterInfo)
        #expect(code(yaml.replacingOccurrences(of: "      interactiveMode: Never\n", with: "")) == .kubeconfigInvalid)
        let beta = try load(yaml.replacingOccurrences(of: "/v1\n", with: "/v1beta1\n").replacingOccurrences(of: "      interactiveMode: Never\n", with: ""))
        guard case .exec(let betaExec) = beta.credentials else { Issue.record("not exec"); return }
        #expect(betaExec.interactiveMode == .ifAvailable)
        #expect(code(yaml.replacingOccurrences(of: "/v1\n", with: "/v1alpha1\n")) == .kubeconfigInvalid)
    }

    @Test func inferKeepsEveryCause() throws {
        let error = #expect(throws: ConfigError.self) {
            try ClientConfig.infer(environment: ["HOME": "/nonexistent-home"], serviceAccountDirectory: "/nonexistent-sa")
        }
        #expect(error?.code == .noConfiguration)
        #expect(error?.causes.map(\.code) == [.kubeconfigNotFound, .missingEnvironmentVariable])
        #expect(error?.description.contains("KUBERNETES_SERVICE_HOST") == true)
    }

    @Test func inferFallsBackToInCluster() throws {
        let fs = try Fixtures.PodFilesystem(token: "tok", caPEM: try Fixtures.caPEM(), namespace: "ns")
        let config = try ClientConfig.infer(
            environment: ["HOME": "/nonexistent-home", "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: fs.directory.path)
        #expect(config.server == "https://10.0.0.1:443")
        #expect(config.namespace == "ns")
    }
}

@Suite("Exec credential plugins", .timeLimit(.minutes(3)))
struct ExecCredentialTests {
    @Test func runsCachesAndRefreshes() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let counter = dir.appendingPathComponent("count")
        let script = dir.appendingPathComponent("plugin.sh")
        try Fixtures.write(
            """
            #!/bin/sh
            echo run >> "\(counter.path)"
            n=$(wc -l < "\(counter.path)" | tr -d ' ')
            case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "no exec info" >&2; exit 3;; esac
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s-%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$n" "$REGION"
            """, to: script)
        chmod(script.path, 0o755)
        let provider = ExecCredentialProvider(
            config: ExecConfig(command: script.path, env: [.init(name: "REGION", value: "eu")], interactiveMode: .never), server: "https://x")
        #expect(try await provider.token(logger: .init(label: "t")) == "tok-1-eu")
        #expect(try await provider.token(logger: .init(label: "t")) == "tok-1-eu")  // cached until expiry
        await provider.invalidate()  // a 401
        #expect(try await provider.token(logger: .init(label: "t")) == "tok-2-eu")
    }

    @Test func failuresAreCredentialErrors() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let script = dir.appendingPathComponent("bad.sh")
        try Fixtures.write("#!/bin/sh\necho 'login required' >&2\nexit 1\n", to: script)
        chmod(script.path, 0o755)
        let failing = ExecCredentialProvider(config: ExecConfig(command: script.path, installHint: "install it"), server: "s")
        let error = await #expect(throws: KubeError.self) { try await failing.token(logger: .init(label: "t")) }
        #expect(error?.code == .credentials)
        #expect(error?.message.contains("login required") == true && error?.message.contains("install it") == true)
        let missing = ExecCredentialProvider(config: ExecConfig(command: "/no/such/plugin"), server: "s")
        #expect(await #expect(throws: KubeError.self) { try await missing.token(logger: .init(label: "t")) }?.code == .credentials)
        let always = ExecCredentialProvider(config: ExecConfig(command: script.path, interactiveMode: .always), server: "s")
        #expect(await #expect(throws: KubeError.self) { try await always.token(logger: .init(label: "t")) }?.message.contains("interactive") == true)
    }
}
