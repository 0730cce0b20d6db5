import Foundation
import Yams

/// The parts of a kubeconfig file this client reads, decoded from YAML.
struct KubeconfigFile: Decodable {
    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster
    }
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?
        var tlsServerName: String?
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
            case tlsServerName = "tls-server-name"
        }
    }
    struct NamedContext: Decodable {
        var name: String
        var context: Context
    }
    struct Context: Decodable {
        var cluster: String
        var user: String?
        var namespace: String?
    }
    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }
    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var exec: Exec?
        var authProvider: AuthProvider?
        var username: String?
        enum CodingKeys: String, CodingKey {
            case token, tokenFile, exec, username
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }
    struct AuthProvider: Decodable {
        var name: String?
    }
    struct Exec: Decodable {
        struct Env: Decodable {
            var name: String
            var value: String
        }
        var command: String?
        var args: [String]?
        var env: [Env]?
        var apiVersion: String?
        var interactiveMode: String?
        var provideClusterInfo: Bool?
        var installHint: String?
    }

    var clusters: [NamedCluster]?
    var contexts: [NamedContext]?
    var users: [NamedUser]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, contexts, users
        case currentContext = "current-context"
    }
}

/// Several kubeconfig files merged by kubectl's rules: for every named cluster, context
/// and user the first file that defines the name wins; `current-context` comes from
/// the first file that sets it. Each entry remembers its file's directory, against
/// which its relative paths are resolved.
struct MergedKubeconfig {
    struct Entry<T> {
        var value: T
        var directory: String
    }
    var clusters: [String: Entry<KubeconfigFile.Cluster>] = [:]
    var contexts: [String: Entry<KubeconfigFile.Context>] = [:]
    var users: [String: Entry<KubeconfigFile.User>] = [:]
    var currentContext: String?

    mutating func merge(_ file: KubeconfigFile, directory: String) {
        for entry in file.clusters ?? [] where clusters[entry.name] == nil {
            clusters[entry.name] = Entry(value: entry.cluster, directory: directory)
        }
        for entry in file.contexts ?? [] where contexts[entry.name] == nil {
            contexts[entry.name] = Entry(value: entry.context, directory: directory)
        }
        for entry in file.users ?? [] where users[entry.name] == nil {
            users[entry.name] = Entry(value: entry.user ?? KubeconfigFile.User(), directory: directory)
        }
        if currentContext?.isEmpty ?? true, let current = file.currentContext, !current.isEmpty {
            currentContext = current
        }
    }

    static func parse(_ text: String, path: String) throws(ConfigError) -> KubeconfigFile {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ConfigError(.kubeconfigNotYAML, "kubeconfig \(path) is not valid YAML: \(String(describing: error).prefix(300))")
        }
        guard let node else { return KubeconfigFile() }
        guard node.mapping != nil else {
            throw ConfigError(.kubeconfigInvalid, "kubeconfig \(path) is YAML but not a mapping of clusters, contexts and users")
        }
        do {
            return try YAMLDecoder().decode(KubeconfigFile.self, from: node)
        } catch let error as DecodingError {
            throw ConfigError(.kubeconfigInvalid, "kubeconfig \(path) is not a valid kubeconfig: \(DecodingPath.describe(error))")
        } catch {
            throw ConfigError(.kubeconfigInvalid, "kubeconfig \(path) is not a valid kubeconfig: \(error)")
        }
    }
}
