import Foundation
import Testing

@testable import KubeClient

@Suite("In-cluster configuration", .timeLimit(.minutes(3)))
struct InClusterConfigTests {
    let env = ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]

    func pod(token: String? = "eyJhbGciOi.token.sig", ca: String?? = .none, namespace: String? = "team-a") throws -> Fixtures.PodFilesystem {
        let caPEM: String? = try ca ?? Fixtures.caPEM()
        return try Fixtures.PodFilesystem(token: token, caPEM: caPEM, namespace: namespace)
    }

    @Test func readsTheServiceAccountMount() throws {
        let fs = try pod()
        let config = try ClientConfig.inCluster(environment: env, serviceAccountDirectory: fs.directory.path)
        #expect(config.server == "https://10.96.0.1:443")
        #expect(config.namespace == "team-a")
        #expect(config.credentials == .tokenFile(fs.directory.appendingPathComponent("token").path))
        #expect(config.tls.certificateAuthority == .file(fs.directory.appendingPathComponent("ca.crt").path))
        #expect(!config.tls.insecureSkipTLSVerify)
        #expect(!config.description.contains("eyJ"))
    }

    @Test func bracketsIPv6Hosts() throws {
        let fs = try pod()
        let config = try ClientConfig.inCluster(
            environment: ["KUBERNETES_SERVICE_HOST": "fd00:10:96::1", "KUBERNETES_SERVICE_PORT": "6443"], serviceAccountDirectory: fs.directory.path)
        #expect(config.server == "https://[fd00:10:96::1]:6443")
    }

    @Test func podNamespaceOverridesTheFile() throws {
        let fs = try pod()
        var environment = env
        environment["POD_NAMESPACE"] = "override"
        #expect(try ClientConfig.inCluster(environment: environment, serviceAccountDirectory: fs.directory.path).namespace == "override")
    }

    @Test func missingNamespaceFileMeansDefault() throws {
        let fs = try pod(namespace: nil)
        #expect(try ClientConfig.inCluster(environment: env, serviceAccountDirectory: fs.directory.path).namespace == "default")
    }

    @Test func missingEnvironmentVariablesAreNamed() throws {
        let fs = try pod()
        let both = #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: [:], serviceAccountDirectory: fs.directory.path) }
        #expect(both?.code == .missingEnvironmentVariable)
        #expect(both?.message.contains("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT") == true)
        let one = #expect(throws: ConfigError.self) {
            try ClientConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1"], serviceAccountDirectory: fs.directory.path)
        }
        #expect(one?.message.contains("KUBERNETES_SERVICE_PORT is not set") == true)
        #expect(one?.message.contains("KUBERNETES_SERVICE_HOST") == false)
    }

    @Test func dnsFallbackOnlyWhenAllowed() throws {
        let fs = try pod()
        let config = try ClientConfig.inCluster(environment: [:], serviceAccountDirectory: fs.directory.path, allowDNSFallback: true)
        #expect(config.server == "https://kubernetes.default.svc")
        // With the variables present, the fallback is not used.
        #expect(try ClientConfig.inCluster(environment: env, serviceAccountDirectory: fs.directory.path, allowDNSFallback: true).server
            == "https://10.96.0.1:443")
    }

    @Test(arguments: ["https", "44x", "", "0", "70000", "-1"])
    func nonNumericPort(port: String) throws {
        let fs = try pod()
        let error = #expect(throws: ConfigError.self) {
            try ClientConfig.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": port], serviceAccountDirectory: fs.directory.path)
        }
        // An empty value counts as missing.
        #expect(error?.code == (port.isEmpty ? .missingEnvironmentVariable : .invalidPort))
    }

    @Test func tokenProblems() throws {
        let missing = try pod(token: nil)
        #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: env, serviceAccountDirectory: missing.directory.path) }
        let codes: [(String?, ConfigError.Code)] = [(nil, .tokenFileMissing), ("  \n", .tokenFileEmpty), ("abc def", .tokenInvalid), ("\u{0}\u{1}binary", .tokenInvalid)]
        for (token, code) in codes {
            let fs = try pod(token: token)
            let error = #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: env, serviceAccountDirectory: fs.directory.path) }
            #expect(error?.code == code, "token \(String(describing: token))")
            #expect(error?.message.contains(fs.directory.path) == true)
        }
    }

    @Test func tokenWhitespaceIsTrimmed() throws {
        let fs = try pod(token: "  abc.def.ghi\n")
        let config = try ClientConfig.inCluster(environment: env, serviceAccountDirectory: fs.directory.path)
        guard case .tokenFile(let path) = config.credentials else { Issue.record("no token file"); return }
        #expect(try TokenFile.readToken(at: path) == "abc.def.ghi")
    }

    @Test func caProblems() throws {
        let missing = try pod(ca: .some(nil))
        let error = #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: env, serviceAccountDirectory: missing.directory.path) }
        #expect(error?.code == .certificateAuthorityMissing)
        let garbage = try pod(ca: "not a certificate")
        let notPEM = #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: env, serviceAccountDirectory: garbage.directory.path) }
        #expect(notPEM?.code == .certificateAuthorityNotPEM)
        let brokenPEM = try pod(ca: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        let broken = #expect(throws: ConfigError.self) { try ClientConfig.inCluster(environment: env, serviceAccountDirectory: brokenPEM.directory.path) }
        #expect(broken?.code == .certificateAuthorityNotPEM)
    }
}

@Suite("Rotating credentials", .timeLimit(.minutes(3)))
struct TokenRotationTests {
    @Test func dataSymlinkSwapIsSeen() throws {
        var fs = try Fixtures.PodFilesystem(token: "first-token", caPEM: try Fixtures.caPEM(), namespace: "ns")
        let file = try TokenFile(path: fs.directory.appendingPathComponent("token").path, refreshInterval: .zero)
        #expect(file.token(logger: .init(label: "test")) == "first-token")
        try fs.publish(token: "second-token\n", caPEM: nil, namespace: "ns")
        #expect(file.token(logger: .init(label: "test")) == "second-token")
    }

    @Test func cachedUntilDueOrInvalidated() throws {
        var fs = try Fixtures.PodFilesystem(token: "first-token", caPEM: nil, namespace: nil)
        let file = try TokenFile(path: fs.directory.appendingPathComponent("token").path, refreshInterval: .seconds(3600))
        try fs.publish(token: "second-token", caPEM: nil, namespace: nil)
        #expect(file.token(logger: .init(label: "test")) == "first-token")
        file.invalidate()  // what a 401 does
        #expect(file.token(logger: .init(label: "test")) == "second-token")
    }

    @Test func badFileKeepsTheLastGoodToken() throws {
        var fs = try Fixtures.PodFilesystem(token: "good-token", caPEM: nil, namespace: nil)
        let file = try TokenFile(path: fs.directory.appendingPathComponent("token").path, refreshInterval: .zero)
        try fs.publish(token: "", caPEM: nil, namespace: nil)
        #expect(file.token(logger: .init(label: "test")) == "good-token")
        try fs.publish(token: nil, caPEM: nil, namespace: nil)  // token missing from the new payload
        #expect(file.token(logger: .init(label: "test")) == "good-token")
        try fs.publish(token: "new-token", caPEM: nil, namespace: nil)
        #expect(file.token(logger: .init(label: "test")) == "new-token")
    }

    @Test func caFileRotationKeepsOldRootsOnBadFile() throws {
        var fs = try Fixtures.PodFilesystem(token: "t", caPEM: try Fixtures.caPEM(name: "one"), namespace: nil)
        let store = try #require(TrustStore(source: .file(fs.directory.appendingPathComponent("ca.crt").path), refreshInterval: .zero))
        #expect(store.changedRoots(logger: .init(label: "test")) == nil)  // unchanged
        try fs.publish(token: "t", caPEM: "garbage", namespace: nil)
        #expect(store.changedRoots(logger: .init(label: "test")) == nil)  // bad: keep old
        try fs.publish(token: "t", caPEM: try Fixtures.caPEM(name: "two"), namespace: nil)
        #expect(store.changedRoots(logger: .init(label: "test"))?.certificates.count == 1)
    }
}
