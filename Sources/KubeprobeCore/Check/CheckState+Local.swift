import Foundation
import KubeClient

/// Steps 1-5: what the Pod has (env, mount, DNS) and the raw TCP and TLS path.
extension CheckState {
    // MARK: 1. Environment

    func checkEnvironment() -> StepOutcome {
        guard inCluster else {
            do {
                let config = try loadKubeconfigTarget()
                return StepOutcome(
                    .skipped, "not checked: using a kubeconfig (\(settings.kubeconfig ?? settings.environment["KUBECONFIG"] ?? settings.defaultKubeconfigPath)), not the in-cluster path",
                    details: ["server \(config.server), namespace \(config.namespace)"])
            } catch {
                return StepOutcome(.failed, "the kubeconfig cannot be used", cause: error.message,
                                   fix: "pass a readable kubeconfig with --kubeconfig FILE (and --context NAME), or run inside a Pod")
            }
        }
        let environment = settings.environment
        let host = environment["KUBERNETES_SERVICE_HOST"].flatMap { $0.isEmpty ? nil : $0 }
        let portText = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 }
        let relevant = environment.keys.filter { $0.hasPrefix("KUBERNETES_SERVICE_") || $0.hasPrefix("KUBERNETES_PORT") }.sorted()
        let details = relevant.map { "\($0)=\(environment[$0] ?? "")" }
        guard let host, let portText else {
            let missing = [host == nil ? "KUBERNETES_SERVICE_HOST" : nil, portText == nil ? "KUBERNETES_SERVICE_PORT" : nil].compactMap { $0 }
            return StepOutcome(
                .failed, "\(missing.joined(separator: " and ")) \(missing.count == 1 ? "is" : "are") not set", details: details,
                cause: "not running in a cluster: the kubelet sets both variables in every container of a Pod",
                fix: "run it inside a Pod (kubectl exec -it POD -- kubeprobe check), or from outside pass --kubeconfig FILE")
        }
        guard let port = Int(portText), (1...65535).contains(port) else {
            return StepOutcome(.failed, "KUBERNETES_SERVICE_PORT is \"\(portText)\", not a port number", details: details,
                               cause: "the variable was overridden in the Pod spec or the image", fix: "remove the override; the kubelet sets it to the kubernetes Service's port (usually 443)")
        }
        let isIP = CertificateInfo.normalizeIP(host) != nil
        self.host = host
        self.port = port
        let hostPart = host.contains(":") ? "[\(host)]" : host
        server = "https://\(hostPart):\(port)"
        var warnings: [String] = []
        if !isIP { warnings.append("KUBERNETES_SERVICE_HOST is a name, not the ClusterIP the kubelet sets") }
        if let tcpAddress = environment["KUBERNETES_PORT_443_TCP_ADDR"], !tcpAddress.isEmpty, tcpAddress != host {
            warnings.append("KUBERNETES_PORT_443_TCP_ADDR (\(tcpAddress)) differs from KUBERNETES_SERVICE_HOST (\(host))")
        }
        if environment["KUBERNETES_PORT_443_TCP"] == nil { warnings.append("KUBERNETES_PORT_443_TCP is not set (docker-links style variables; only old tools need them)") }
        let summary = "server \(server ?? "") (KUBERNETES_SERVICE_HOST=\(host), KUBERNETES_SERVICE_PORT=\(port))"
        return StepOutcome(warnings.isEmpty ? .ok : .warning, summary, details: details + warnings.map { "⚠ " + $0 })
    }

    // MARK: 2. Service account mount

    func checkServiceAccount() -> StepOutcome {
        guard inCluster else { return StepOutcome(.skipped, "not checked: a kubeconfig supplies the credentials") }
        let directory = settings.serviceAccountDirectory
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return StepOutcome(
                .failed, "\(directory) does not exist",
                cause: "no service account token is mounted: automountServiceAccountToken is false on the Pod or its ServiceAccount",
                fix: "set automountServiceAccountToken: true (or mount a projected serviceAccountToken volume at \(directory))")
        }
        var details: [String] = []
        var status = StepStatus.ok
        var problems: [String] = []
        func read(_ name: String) -> String? {
            guard let data = manager.contents(atPath: directory + "/" + name) else { return nil }
            return String(data: data, encoding: .utf8)
        }
        // The token.
        guard let token = read("token")?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty else {
            return StepOutcome(.failed, "\(directory)/token is missing, empty or unreadable",
                               cause: "the kubelet has not written the token (or the file permissions deny this user)",
                               fix: "check the Pod's volume mounts and securityContext (runAsUser/fsGroup) for the service account volume")
        }
        do {
            let claims = try TokenClaims(jwt: token)
            self.claims = claims
            details.append("token: subject \(claims.subject ?? "?")")
            details.append("  service account \(claims.namespace ?? "?")/\(claims.serviceAccount ?? "?")"
                           + (claims.podName.map { ", bound to pod \($0)" } ?? ""))
            details.append("  issuer \(claims.issuer ?? "?"), audiences \(claims.audiences.isEmpty ? "(none)" : claims.audiences.joined(separator: ", "))")
            if let issued = claims.issuedAt { details.append("  issued \(issued.iso8601)") }
            if claims.isLegacySecretToken || claims.expiresAt == nil {
                details.append("  ⚠ legacy non-expiring token\(claims.secretName.map { " from Secret \($0)" } ?? ""): not bound to a pod, never rotated")
                problems.append("a legacy Secret-based token that never expires")
                status = .warning
            } else if let expires = claims.expiresAt, let left = claims.timeLeft() {
                details.append("  expires \(expires.iso8601) (\(left > 0 ? formatInterval(left) + " left" : "expired " + formatInterval(-left) + " ago"))")
                if left <= 0 {
                    return StepOutcome(.failed, "the token expired \(formatInterval(-left)) ago", details: details,
                                       cause: "the kubelet stopped refreshing the projected token (kubelet down, or the pod is being deleted)",
                                       fix: "restart the Pod; check the kubelet on its node")
                } else if left < 600 {
                    problems.append("the token expires in \(formatInterval(left))")
                    status = .warning
                }
            }
        } catch {
            return StepOutcome(.failed, "\(directory)/token is not a JWT", details: details, cause: error.message,
                               fix: "the file must hold the service account token written by the kubelet")
        }
        // The CA.
        if let ca = read("ca.crt") {
            do {
                let certificates = try CertificateInfo.parsePEMBundle(ca, source: "\(directory)/ca.crt")
                caPEM = ca
                for certificate in certificates {
                    let left = certificate.notValidAfter.timeIntervalSinceNow
                    details.append("ca.crt: \(certificate.subject), expires \(certificate.notValidAfter.iso8601)"
                                   + (left > 0 ? " (\(formatInterval(left)) left)" : " (EXPIRED)"))
                    if left <= 0 {
                        return StepOutcome(.failed, "ca.crt holds an expired certificate", details: details,
                                           cause: "the cluster CA was rotated or has expired", fix: "restart the Pod to mount the current kube-root-ca.crt; renew the cluster CA")
                    }
                }
            } catch {
                return StepOutcome(.failed, "ca.crt cannot be used", details: details, cause: error.message,
                                   fix: "ca.crt must be the cluster CA in PEM (the kube-root-ca.crt ConfigMap)")
            }
        } else {
            return StepOutcome(.failed, "\(directory)/ca.crt is missing or unreadable", details: details,
                               cause: "the projected volume has no ca.crt (a hand-made token volume without the kube-root-ca.crt source)",
                               fix: "add the kube-root-ca.crt ConfigMap projection with key ca.crt to the volume")
        }
        // The namespace.
        if let text = read("namespace")?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            namespace = settings.namespace ?? settings.environment["POD_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 } ?? text
            details.append("namespace: \(text)")
        } else {
            problems.append("no namespace file")
            status = .warning
            details.append("⚠ namespace file missing: the client falls back to POD_NAMESPACE or \"default\"")
        }
        // The layout.
        if let target = try? manager.destinationOfSymbolicLink(atPath: directory + "/..data") {
            details.append("projected volume: ..data → \(target) (the kubelet rotates the token by swapping this link)")
        } else {
            details.append("plain files, not a projected volume: the token will not be rotated")
        }
        let who = claims.map { "\($0.namespace ?? "?")/\($0.serviceAccount ?? "?")" } ?? "?"
        var summary = "token, ca.crt and namespace readable; service account \(who)"
        if let left = claims?.timeLeft(), left > 0 { summary += ", token valid for \(formatInterval(left))" }
        if !problems.isEmpty { summary += "; ⚠ " + problems.joined(separator: "; ") }
        let fix: String? = status == .warning && claims?.isLegacySecretToken == true
            ? "use the projected token the kubelet mounts by default (remove the Secret-based token mount)" : nil
        return StepOutcome(status, summary, details: details, fix: fix)
    }

    // MARK: 3. DNS

    func checkDNS() async -> StepOutcome {
        guard inCluster else { return StepOutcome(.skipped, "not checked: a kubeconfig names the server directly") }
        let resolvText = try? String(contentsOfFile: settings.resolvConfPath, encoding: .utf8)
        let resolv = resolvText.map(ResolvConf.init(parsing:))
        var details: [String] = []
        if let resolv {
            details.append("\(settings.resolvConfPath): nameservers \(resolv.nameservers.joined(separator: ", ")); search \(resolv.search.isEmpty ? "(none)" : resolv.search.joined(separator: " ")); ndots \(resolv.ndots)")
        } else {
            details.append("\(settings.resolvConfPath) cannot be read")
        }
        let names = ["kubernetes.default.svc", "kubernetes.default.svc.cluster.local"]
        let limit = min(options.stepTimeout, .seconds(2))
        async let first = SystemResolver.resolve(names[0], timeout: limit)
        async let second = SystemResolver.resolve(names[1], timeout: limit)
        let answers = await [first, second]
        var resolved: [String: [String]] = [:]
        for (name, answer) in zip(names, answers) {
            switch answer {
            case .success(let addresses):
                resolved[name] = addresses
                details.append("\(name) → \(addresses.joined(separator: ", "))")
            case .failure(let failure):
                details.append("\(name) does not resolve (\(failure.message))")
            }
        }
        let serviceHost = host ?? ""
        let normalizedHost = CertificateInfo.normalizeIP(serviceHost) ?? serviceHost
        if resolved.isEmpty {
            let clusterSearch = resolv?.search.contains { $0.hasSuffix("svc.cluster.local") || $0.hasPrefix("svc.") } ?? false
            var explanation = "kubernetes.default.svc does not resolve here; the client connects to KUBERNETES_SERVICE_HOST=\(serviceHost) directly, as client-go does, so only tools that use the DNS name are affected"
            if !clusterSearch { explanation += " (this resolver has no cluster search list: not a Pod's DNS, e.g. a dev machine or hostNetwork without ClusterFirstWithHostNet)" }
            return StepOutcome(.warning, explanation, details: details,
                               fix: clusterSearch ? "check CoreDNS (kubectl -n kube-system get pods -l k8s-app=kube-dns) and the Pod's dnsPolicy" : nil)
        }
        let all = Set(resolved.values.flatMap { $0 }.map { CertificateInfo.normalizeIP($0) ?? $0 })
        if all.contains(normalizedHost) {
            return StepOutcome(.ok, "kubernetes.default.svc → \(serviceHost), the same ClusterIP as KUBERNETES_SERVICE_HOST", details: details)
        }
        return StepOutcome(.warning, "kubernetes.default.svc → \(all.sorted().joined(separator: ", ")), but KUBERNETES_SERVICE_HOST is \(serviceHost)", details: details,
                           cause: "DNS and the environment disagree: an overridden variable, or a search domain answering for kubernetes.default.svc",
                           fix: "the client uses KUBERNETES_SERVICE_HOST; make sure it is the kubernetes Service's ClusterIP (kubectl get svc kubernetes)")
    }

    // MARK: 4. TCP

    func checkTCP() async -> StepOutcome {
        guard let host, let port else { return StepOutcome(.failed, "no server address", cause: "the configuration names no server") }
        switch await ConnectionProbe.tcp(host: host, port: port, timeout: options.stepTimeout) {
        case .success:
            return StepOutcome(.ok, "connected to \(host):\(port)")
        case .failure(let failure):
            return StepOutcome(.failed, failure.message, cause: Self.tcpCause(failure, inCluster: inCluster),
                               fix: Self.tcpFix(failure, inCluster: inCluster))
        }
    }

    static func tcpCause(_ failure: ConnectionProbe.Failure, inCluster: Bool) -> String {
        switch failure.kind {
        case .refused:
            return inCluster ? "nothing answers at the ClusterIP: kube-proxy has no rules for the kubernetes Service, or every API server is down"
                : "the API server is not running at this address, or the port is wrong"
        case .timeout:
            return "packets are dropped: an egress NetworkPolicy, a firewall, or no route to the address"
        case .unreachable:
            return "there is no route to the address from this network namespace"
        default:
            return "the connection could not be made"
        }
    }

    static func tcpFix(_ failure: ConnectionProbe.Failure, inCluster: Bool) -> String {
        switch failure.kind {
        case .refused:
            return inCluster ? "check kube-proxy on this node and kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes"
                : "check the server URL in the kubeconfig and that the API server is up"
        case .timeout:
            return "allow egress to the API server (NetworkPolicy: to the kubernetes Service's endpoints on their port, usually 6443)"
        default:
            return "check the address and the node's network"
        }
    }

    // MARK: 5. TLS

    func checkTLS() async -> StepOutcome {
        guard let host, let port else { return StepOutcome(.failed, "no server address") }
        let trust = caPEM == nil ? "the system roots" : (inCluster ? "only ca.crt" : "only the kubeconfig's CA")
        switch await ConnectionProbe.tls(host: host, port: port, caPEM: caPEM, serverName: serverName, timeout: options.stepTimeout) {
        case .failure(let failure):
            switch failure.kind {
            case .certificateUntrusted:
                return StepOutcome(.failed, "the server's certificate is not signed by \(inCluster ? "ca.crt" : "the configured CA")",
                                   cause: "a wrong or stale CA is mounted, or something between the Pod and the API server presents its own certificate (a TLS-intercepting proxy, a mesh sidecar)",
                                   fix: inCluster ? "compare ca.crt with kubectl get configmap kube-root-ca.crt -o jsonpath='{.data.ca\\.crt}'; restart the Pod after a CA rotation; exclude the API server from mesh interception"
                                       : "set certificate-authority(-data) in the kubeconfig to the cluster CA")
            case .refused, .timeout, .unreachable:
                return StepOutcome(.failed, failure.message, cause: Self.tcpCause(failure, inCluster: inCluster), fix: Self.tcpFix(failure, inCluster: inCluster))
            default:
                return StepOutcome(.failed, failure.message, cause: "the server does not speak TLS here, or no common protocol version or cipher",
                                   fix: "check that the address is the API server's HTTPS port")
            }
        case .success(let result):
            var details: [String] = []
            let alpn = result.negotiatedProtocol ?? "none (HTTP/1.1)"
            guard let leaf = result.leaf else {
                return StepOutcome(.warning, "handshake done (ALPN \(alpn)) but the certificate could not be read", details: details)
            }
            details.append("certificate: \(leaf.subject), issued by \(leaf.issuer), expires \(leaf.notValidAfter.iso8601)")
            details.append("SANs: DNS \(leaf.dnsNames.joined(separator: ", ")); IP \(leaf.ipAddresses.joined(separator: ", "))")
            let coversHost = leaf.covers(serverName ?? host)
            let isIP = CertificateInfo.normalizeIP(host) != nil
            details.append("\(coversHost ? "✓" : "✗") covers \(serverName ?? host) (\(serverName != nil ? "tls-server-name" : isIP ? "IP SAN" : "DNS SAN"))")
            var status = StepStatus.ok
            var problems: [String] = []
            if inCluster {
                let coversName = leaf.covers("kubernetes.default.svc")
                details.append("\(coversName ? "✓" : "⚠") covers kubernetes.default.svc")
                if !coversName {
                    status = .warning
                    problems.append("kubernetes.default.svc is not in the certificate (tools that use the DNS name will fail verification)")
                }
            }
            if leaf.notValidAfter.timeIntervalSinceNow < 7 * 86400 {
                status = .warning
                problems.append("the serving certificate expires \(leaf.notValidAfter.iso8601)")
            }
            let summary = "verified against \(trust); \(result.tlsVersion.map { $0 + ", " } ?? "")ALPN \(alpn)"
            guard coversHost else {
                let address = serverName ?? host
                return StepOutcome(
                    .failed, "the certificate is trusted but does not cover \(address)", details: details,
                    cause: isIP ? "the IP-SAN pitfall: the API server's certificate lacks the IP the client connects to (\(address)); Go and Swift clients never match an IP against DNS names"
                        : "the certificate has no DNS SAN matching \(address)",
                    fix: isIP ? "add \(address) to the serving certificate's IP SANs (kubeadm: apiServer.certSANs, then regenerate), or set tls-server-name to a name it covers"
                        : "add \(address) to the certificate's SANs, or set tls-server-name")
            }
            return StepOutcome(status, problems.isEmpty ? summary : summary + "; ⚠ " + problems.joined(separator: "; "), details: details)
        }
    }
}
