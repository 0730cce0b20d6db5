import Foundation
import KubeCore

/// A service account's view of the cluster, written like the kubelet's projected
/// volume: `directory/..<timestamp>/{token,ca.crt,namespace}`, `..data` pointing at
/// it, and `token`, `ca.crt`, `namespace` pointing through `..data`.
public struct PodFilesystem: Sendable, Hashable {
    /// The directory to use as the service account directory.
    public var directory: String
    /// What a Pod's environment would hold: `KUBERNETES_SERVICE_HOST`/`_PORT`,
    /// `KUBERNETES_PORT_443_TCP*`, and `POD_NAMESPACE` (set by the downward API in most
    /// manifests). The host and port are the first listener's (loopback), since a test
    /// has no ClusterIP routing.
    public var environment: [String: String]
    public var namespace: String
    public var serviceAccount: String

    /// `directory/token`.
    public var tokenPath: String { directory + "/token" }
    /// `directory/ca.crt`.
    public var caPath: String { directory + "/ca.crt" }
    /// `directory/namespace`.
    public var namespacePath: String { directory + "/namespace" }
}

extension KubeTestServer {
    /// Writes a kubeconfig for the admin: the CA as `certificate-authority-data`, and
    /// the admin token, or (with `clientCertificate`) a client certificate with
    /// CN=admin, O=system:masters. The file is created with mode 0600.
    public func writeAdminKubeconfig(to path: String, clientCertificate: Bool = false) throws {
        let ca = Data(caCertificatePEM.utf8).base64EncodedString()
        var user: String
        if clientCertificate {
            let issued = try pki.issueClientCertificate(user: "admin", groups: ["system:masters"])
            user = "    client-certificate-data: \(Data(issued.certificatePEM.utf8).base64EncodedString())\n"
            user += "    client-key-data: \(Data(issued.keyPEM.utf8).base64EncodedString())\n"
        } else {
            user = "    token: \(adminToken)\n"
        }
        let text = """
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-test-server
              cluster:
                server: \(url)
                certificate-authority-data: \(ca)
            contexts:
            - name: admin@kube-test-server
              context:
                cluster: kube-test-server
                user: admin
                namespace: default
            current-context: admin@kube-test-server
            preferences: {}
            users:
            - name: admin
              user:

            """ + user
        try Self.writeFile(text, to: path, mode: 0o600)
    }

    /// Writes the projected service account volume for `serviceAccount` (which must
    /// exist) into `directory`, with a fresh token that lives `tokenExpirationSeconds`.
    public func writePodFilesystem(namespace: String, serviceAccount: String, directory: String, tokenExpirationSeconds: Int = 3600) async throws -> PodFilesystem {
        let token = try await mintServiceAccountToken(namespace: namespace, serviceAccount: serviceAccount, expirationSeconds: tokenExpirationSeconds)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw KubeTestServerError(.fileSystem("cannot create \(directory): \(error.localizedDescription)"))
        }
        try Self.swapProjection(in: directory, files: ["token": token, "ca.crt": caCertificatePEM, "namespace": namespace])
        for name in ["token", "ca.crt", "namespace"] {
            let link = directory + "/" + name
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
                try? FileManager.default.removeItem(atPath: link)
                do {
                    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "..data/" + name)
                } catch {
                    throw KubeTestServerError(.fileSystem("cannot link \(link): \(error.localizedDescription)"))
                }
            }
        }
        let host = listeners[0].host
        let port = String(listeners[0].port)
        let hostURL = host.contains(":") ? "[\(host)]" : host
        let environment = [
            "KUBERNETES_SERVICE_HOST": host,
            "KUBERNETES_SERVICE_PORT": port,
            "KUBERNETES_SERVICE_PORT_HTTPS": port,
            "KUBERNETES_PORT": "tcp://\(hostURL):\(port)",
            "KUBERNETES_PORT_443_TCP": "tcp://\(hostURL):\(port)",
            "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
            "KUBERNETES_PORT_443_TCP_PORT": port,
            "KUBERNETES_PORT_443_TCP_ADDR": host,
            "POD_NAMESPACE": namespace,
        ]
        return PodFilesystem(directory: directory, environment: environment, namespace: namespace, serviceAccount: serviceAccount)
    }

    /// Replaces the pod's token the way the kubelet's AtomicWriter does: a new
    /// timestamped directory, a `..data_tmp` symlink renamed over `..data`, then the
    /// old directory removed. Readers never see a partial file.
    public func rotateToken(_ pod: PodFilesystem, expirationSeconds: Int = 3600) async throws {
        let token = try await mintServiceAccountToken(namespace: pod.namespace, serviceAccount: pod.serviceAccount, expirationSeconds: expirationSeconds)
        try Self.swapProjection(in: pod.directory, files: ["token": token, "ca.crt": caCertificatePEM, "namespace": pod.namespace])
    }

    private static func swapProjection(in directory: String, files: [String: String]) throws {
        let manager = FileManager.default
        let stamp = RFC3339.format(Date(), fractionalDigits: 6).replacingOccurrences(of: "-", with: "_")
            .replacingOccurrences(of: ":", with: "_").replacingOccurrences(of: "T", with: "_").replacingOccurrences(of: "Z", with: "")
        let name = "..\(stamp).\(UInt32.random(in: 0...UInt32.max))"
        let target = directory + "/" + name
        do {
            try manager.createDirectory(atPath: target, withIntermediateDirectories: false)
            for (file, content) in files { try writeFile(content, to: target + "/" + file, mode: 0o644) }
            let previous = try? manager.destinationOfSymbolicLink(atPath: directory + "/..data")
            let temporary = directory + "/..data_tmp"
            try? manager.removeItem(atPath: temporary)
            try manager.createSymbolicLink(atPath: temporary, withDestinationPath: name)
            guard rename(temporary, directory + "/..data") == 0 else {
                throw KubeTestServerError(.fileSystem("rename ..data_tmp failed: errno \(errno)"))
            }
            if let previous, previous != name { try? manager.removeItem(atPath: directory + "/" + previous) }
        } catch let error as KubeTestServerError {
            throw error
        } catch {
            throw KubeTestServerError(.fileSystem("cannot write the projected volume in \(directory): \(error.localizedDescription)"))
        }
    }

    static func writeFile(_ text: String, to path: String, mode: Int) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        } catch {
            throw KubeTestServerError(.fileSystem("cannot write \(path): \(error.localizedDescription)"))
        }
    }
}
