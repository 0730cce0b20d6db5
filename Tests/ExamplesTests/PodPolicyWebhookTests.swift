import Crypto
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeTestServer
import KubeYAML
import Logging
import SwiftASN1
import Testing
import X509

/// Examples/PodPolicyWebhook as a process behind KubeTestServer, with its own webhooks.yaml:
/// both effects (defaults added, `:latest` refused) asserted through the API.
@Suite("PodPolicyWebhook example against KubeTestServer", .timeLimit(.minutes(5)))
struct PodPolicyWebhookTests {
    @Test func addsDefaultsAndRefusesLatest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pod-policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let caPEM = try Self.writeServingCertificate(into: directory.path, dnsName: "pod-policy.pod-policy.svc")

        let process = Process()
        process.executableURL = try builtExecutable("pod-policy-webhook")
        process.environment = ["CERT_DIR": directory.path, "PORT": "0", "HOST": "127.0.0.1", "HOME": directory.path]
        let logURL = directory.appendingPathComponent("webhook.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: logURL)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var port: Int?
        _ = await poll {
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            if let range = log.range(of: "listening on port ") {
                port = Int(log[range.upperBound...].prefix { $0.isNumber })
            }
            return port != nil
        }
        let webhookPort = try #require(port, "the example did not start: \((try? String(contentsOf: logURL, encoding: .utf8)) ?? "")")

        var configuration = KubeTestServer.Configuration()
        configuration.logger = Logger(label: "server", factory: { _ in SwiftLogNoOpLogHandler() })
        configuration.webhookServiceAddresses = ["pod-policy/pod-policy": "127.0.0.1:\(webhookPort)"]
        let server = try await KubeTestServer.start(configuration)
        defer { Task { await server.shutdown() } }
        let kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try server.writeAdminKubeconfig(to: kubeconfig)
        let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [kubeconfig], environment: [:]))
        _ = try await Api<Namespace>.cluster(client).create(Namespace(metadata: ObjectMeta(name: "pod-policy")))
        _ = try await Api<Service>.namespaced(client, "pod-policy").create(
            Service(metadata: ObjectMeta(name: "pod-policy"), spec: Core.V1.ServiceSpec(ports: [Core.V1.ServicePort(port: 443)])))
        // The example's own YAML, with the CA filled in.
        let yamlURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Examples/PodPolicyWebhook/webhooks.yaml").standardized
        let yaml = try String(contentsOf: yamlURL, encoding: .utf8)
            .replacingOccurrences(of: "CA_BUNDLE", with: Data(caPEM.utf8).base64EncodedString())
        for document in try YAMLToJSON.documents(yaml) {
            try await server.apply(json: try JSONEncoder().encode(document))
        }

        let pods = Api<Pod>.namespaced(client, "default")
        let created = try await pods.create(Pod(
            metadata: ObjectMeta(name: "web"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:1.27", name: "app")])))
        #expect(created.metadata.labels?["policy.example.com/checked"] == "true")
        let stored = try await pods.get("web")
        #expect(stored.metadata.labels?["policy.example.com/checked"] == "true")
        #expect(stored.spec?.containers.first?.resources?.requests?["cpu"]?.description == "100m")
        #expect(stored.spec?.containers.first?.resources?.requests?["memory"]?.description == "64Mi")

        do {
            _ = try await pods.create(Pod(
                metadata: ObjectMeta(name: "bad"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "nginx:latest", name: "app")])))
            Issue.record("a :latest image was admitted")
        } catch let error as KubeError {
            #expect(error.statusCode == 403)
            #expect(error.status?.message == "admission webhook \"deny-latest.policy.example.com\" denied the request: images must be pinned to a tag or digest, not latest: nginx:latest")
        }
        #expect(try await pods.getIfExists("bad") == nil)
        // kube-system is excluded by the namespaceSelector.
        let system = try await Api<Pod>.namespaced(client, "kube-system").create(Pod(
            metadata: ObjectMeta(name: "sys"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(image: "pause:latest", name: "app")])))
        #expect(system.metadata.labels?["policy.example.com/checked"] == nil)
        try await client.shutdown()
        process.terminate()
        process.waitUntilExit()
    }

    /// A CA and a serving certificate for `dnsName` in `directory/tls.{crt,key}`; returns the CA PEM.
    static func writeServingCertificate(into directory: String, dnsName: String) throws -> String {
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName { CommonName("pod-policy-ca") }
        let now = Date()
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(caKey.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86_400,
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        let key = P256.Signing.PrivateKey()
        let serving = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86_400,
            issuer: caName, subject: try DistinguishedName { CommonName(dnsName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames([.dnsName(dnsName)])
            },
            issuerPrivateKey: .init(caKey))
        try serving.serializeAsPEM().pemString.write(toFile: directory + "/tls.crt", atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: directory + "/tls.key", atomically: true, encoding: .utf8)
        return try ca.serializeAsPEM().pemString
    }
}
