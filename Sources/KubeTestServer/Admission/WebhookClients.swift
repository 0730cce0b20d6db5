import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The HTTPS side of webhook calls: where a webhook is (its `url`, or its Service resolved
/// through ``KubeTestServer/Configuration/webhookServiceAddresses``), the TLS trust
/// (`caBundle`, checked against `<service>.<namespace>.svc` as kube-apiserver checks it) and
/// one pooled client per trust and address (HTTP/2 when the webhook offers it, like Go's client).
actor WebhookClients {
    /// A resolved destination.
    struct Destination: Sendable {
        /// The URL kube-apiserver would post to (in messages): `https://svc.ns.svc:443/path?timeout=10s`.
        var displayURL: String
        /// The URL actually requested (same host name, the mapped port).
        var requestURL: String
        /// The name the certificate must cover.
        var serverName: String
        /// host name → address to connect to (the Service's endpoint), for AsyncHTTPClient's `dnsOverride`.
        var dnsOverride: [String: String]
        var connectHost: String
        var connectPort: Int
        var connectAddress: String { KubeTestServer.hostPort(connectHost, connectPort) }
    }

    private var clients: [String: HTTPClient] = [:]
    private var closed = false
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Where `webhook` is. `serviceAddresses` maps `namespace/name` or `namespace/name:port`
    /// to `host:port`; `serviceExists` says whether the Service is in the store.
    static func destination(
        _ webhook: AdmissionWebhook, timeoutSeconds: Int, serviceAddresses: [String: String], serviceExists: Bool
    ) throws(AdmissionReviewWire.CallFailure) -> Destination {
        try destination(
            url: webhook.url, service: webhook.service, timeoutSeconds: timeoutSeconds, serviceAddresses: serviceAddresses,
            serviceExists: serviceExists)
    }

    /// Where a webhook `clientConfig` (admission or CRD conversion) points.
    static func destination(
        url: String?, service: AdmissionWebhook.ServiceReference?, timeoutSeconds: Int, serviceAddresses: [String: String], serviceExists: Bool
    ) throws(AdmissionReviewWire.CallFailure) -> Destination {
        let timeout = "timeout=\(timeoutSeconds)s"
        if let service {
            let host = "\(service.name).\(service.namespace).svc"
            let display = "https://\(host):\(service.port)\(service.path)?\(timeout)"
            guard serviceExists else {
                throw .init(reason: "failed to call webhook: Post \(AdmissionReviewWire.quote(display)): service \(AdmissionReviewWire.quote(service.name)) not found")
            }
            let key = "\(service.namespace)/\(service.name)"
            guard let address = serviceAddresses["\(key):\(service.port)"] ?? serviceAddresses[key],
                let (targetHost, targetPort) = splitHostPort(address)
            else {
                throw .init(reason: "failed to call webhook: Post \(AdmissionReviewWire.quote(display)): no endpoints available for service \(AdmissionReviewWire.quote(key)) (KubeTestServer.Configuration.webhookServiceAddresses has no address for it)")
            }
            return Destination(
                displayURL: display, requestURL: "https://\(host):\(targetPort)\(service.path)?\(timeout)", serverName: host,
                dnsOverride: [host: targetHost], connectHost: targetHost, connectPort: targetPort)
        }
        guard let url, let components = URLComponents(string: url), components.scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            throw .init(reason: "could not get REST client: webhook clientConfig has no usable https url or service")
        }
        var request = components
        let query = [request.percentEncodedQuery, timeout].compactMap { $0 }.joined(separator: "&")
        request.percentEncodedQuery = query
        let text = request.string ?? url
        let port = components.port ?? 443
        return Destination(displayURL: text, requestURL: text, serverName: host, dnsOverride: [:], connectHost: host, connectPort: port)
    }

    private static func splitHostPort(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// POSTs `body` and returns the response body, or the failure in kube's words
    /// (`failed to call webhook: Post "URL": …`).
    func post(_ body: Data, to destination: Destination, caBundle: String?, timeout: Duration) async throws(AdmissionReviewWire.CallFailure) -> Data {
        let client: HTTPClient
        do {
            client = try self.client(caBundle: caBundle, dnsOverride: destination.dnsOverride)
        } catch {
            throw .init(reason: "could not get REST client: \(error)")
        }
        var request = HTTPClientRequest(url: destination.requestURL)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, */*")
        request.body = .bytes(ByteBuffer(bytes: body))
        let prefix = "failed to call webhook: Post \(AdmissionReviewWire.quote(destination.displayURL)): "
        let isIPAddress = destination.serverName.contains(":") || destination.serverName.allSatisfy { $0.isNumber || $0 == "." }
        if !isIPAddress {
            do {
                try await ServingCertificateCheck.verify(
                    host: destination.connectHost, port: destination.connectPort, serverName: destination.serverName,
                    caBundle: caBundle, timeout: timeout)
            } catch {
                throw .init(reason: prefix + error.reason)
            }
        }
        let seconds = Int64(timeout.components.seconds)
        do {
            let response = try await client.execute(request, timeout: .seconds(max(1, seconds)), logger: logger)
            let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
            let data = Data(bytes.readableBytesView)
            guard (200..<300).contains(Int(response.status.code)) else {
                if let status = try? JSONWriter.parse(data), status["kind"]?.stringValue == "Status",
                    let message = status["message"]?.stringValue, !message.isEmpty
                {
                    throw AdmissionReviewWire.CallFailure(reason: "failed to call webhook: \(message)")
                }
                throw AdmissionReviewWire.CallFailure(
                    reason: "failed to call webhook: the server responded with the status code \(response.status.code) but did not return more information")
            }
            return data
        } catch let failure as AdmissionReviewWire.CallFailure {
            throw failure
        } catch {
            throw .init(reason: prefix + Self.describe(error, destination: destination))
        }
    }

    /// A transport error in the words of Go's HTTP client, which is what users of
    /// kube-apiserver see in these messages.
    static func describe(_ error: any Error, destination: Destination) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                return "context deadline exceeded"
            default:
                break
            }
        }
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return "tls: failed to verify certificate: x509: certificate is not valid for \(destination.serverName)"
        }
        if let error = error as? NIOSSLError, case .handshakeFailed = error {
            return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED {
            return "dial tcp \(destination.connectAddress): connect: connection refused"
        }
        if let error = error as? NIOConnectionError, error.connectionErrors.contains(where: { ($0.error as? IOError)?.errnoCode == ECONNREFUSED }) {
            return "dial tcp \(destination.connectAddress): connect: connection refused"
        }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") {
            return "dial tcp \(destination.connectAddress): connect: connection refused"
        }
        return text
    }

    private func client(caBundle: String?, dnsOverride: [String: String]) throws -> HTTPClient {
        let key = (caBundle ?? "-") + "|" + dnsOverride.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        if let client = clients[key] { return client }
        guard !closed else { throw HTTPClientError.alreadyShutdown }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let caBundle {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caBundle.utf8)))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.dnsOverride = dnsOverride
        configuration.timeout = .init(connect: .seconds(5))
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        return client
    }

    /// Closes every pooled client (the server is shutting down).
    func shutdown() async {
        closed = true
        let all = clients.values
        clients = [:]
        for client in all { try? await client.shutdown() }
    }
}
