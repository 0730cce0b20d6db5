import Foundation
import KubeClient
import KubeCore
import KubeModels

/// Steps 6-10: the API itself, through the same client an app would use.
extension CheckState {
    // MARK: 6. /version and /readyz

    func checkHealth() async -> StepOutcome {
        let client: KubeClient
        do { client = try apiClient() } catch { return StepOutcome(.failed, "no client", cause: error.message) }
        var details: [String] = []
        let version: ServerVersion
        do { version = try await client.version() } catch { return explain(error, doing: "GET /version") }
        details.append("version \(version.gitVersion) (\(version.platform ?? "?"))")
        do {
            let response = try await client.send(KubeRequest(method: .get, path: "/readyz", headers: ["Accept": "text/plain"], verb: "get"))
            let body = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            details.append("/readyz: \(body.isEmpty ? "\(response.statusCode)" : body)")
            return StepOutcome(.ok, "Kubernetes \(version.gitVersion), ready", details: details)
        } catch let error as KubeError where error.isForbidden {
            return StepOutcome(.warning, "Kubernetes \(version.gitVersion); /readyz is not readable by this identity", details: details,
                               cause: error.message, fix: "allow get on /readyz (the system:public-info-viewer ClusterRole) if you want readiness checks")
        } catch let error as KubeError where error.code == .api {
            return StepOutcome(.failed, "Kubernetes \(version.gitVersion) answers, but /readyz says it is not ready (\(error.statusCode.map(String.init) ?? "?"))",
                               details: details + [error.message], cause: "a readiness check of the API server fails (etcd, informers sync, a post-start hook)",
                               fix: "look at the API server's logs; kubectl get --raw '/readyz?verbose' lists the failing check")
        } catch {
            return explain(error, doing: "GET /readyz")
        }
    }

    // MARK: 7. Who am I

    func checkWhoAmI() async -> StepOutcome {
        let client: KubeClient
        do { client = try apiClient() } catch { return StepOutcome(.failed, "no client", cause: error.message) }
        do {
            let review = try await Api<Authentication.V1.SelfSubjectReview>.cluster(client).create(Authentication.V1.SelfSubjectReview())
            let info = review.status?.userInfo
            username = info?.username
            groups = info?.groups ?? []
            var details = ["groups: \(groups.joined(separator: ", "))"]
            if let uid = info?.uid, !uid.isEmpty { details.append("uid: \(uid)") }
            for (key, values) in (info?.extra ?? [:]).sorted(by: { $0.key < $1.key }) { details.append("\(key): \(values.joined(separator: ", "))") }
            if let subject = claims?.subject, let name = username, subject != name {
                details.append("⚠ the token's subject is \(subject), the server says \(name)")
            }
            return StepOutcome(.ok, "authenticated as \(username ?? "?") (SelfSubjectReview)", details: details)
        } catch let error as KubeError where error.isUnauthorized {
            return StepOutcome(
                .failed, "the API server rejected the token (401 Unauthorized)",
                details: claims.map { ["the token claims to be \($0.subject ?? "?"), issued by \($0.issuer ?? "?")"] } ?? [],
                cause: "the token is expired, revoked, for a deleted ServiceAccount or Pod, or issued by another cluster (issuer/audience mismatch)",
                fix: "restart the Pod so the kubelet mints a fresh token; check that the ServiceAccount exists")
        } catch let error as KubeError where error.isNotFound || error.isForbidden {
            // Servers before 1.28 (or with the API disabled): the token's own claims are the best answer.
            guard let claims, let subject = claims.subject else {
                return StepOutcome(.warning, "SelfSubjectReview is not available (\(error.message)) and no token claims to fall back on")
            }
            username = subject
            groups = ["system:serviceaccounts", "system:serviceaccounts:\(claims.namespace ?? "")", "system:authenticated"]
            return StepOutcome(.warning, "\(subject) (from the token's claims: SelfSubjectReview is not available)", details: [error.message])
        } catch {
            return explain(error, doing: "create SelfSubjectReview")
        }
    }

    // MARK: 8. Permissions

    func checkPermissions() async -> StepOutcome {
        let client: KubeClient
        do { client = try apiClient() } catch { return StepOutcome(.failed, "no client", cause: error.message) }
        var details: [String] = []
        var table: [[String]]?
        var status = StepStatus.ok
        var summary: [String] = []
        do {
            let review = try await Api<Authorization.V1.SelfSubjectRulesReview>.cluster(client).create(
                Authorization.V1.SelfSubjectRulesReview(spec: Authorization.V1.SelfSubjectRulesReviewSpec(namespace: namespace)))
            let rules = review.status ?? Authorization.V1.SubjectRulesReviewStatus(incomplete: true, nonResourceRules: [], resourceRules: [])
            table = Self.rulesTable(rules)
            summary.append("\(rules.resourceRules.count) resource rules in namespace \(namespace)")
            if rules.incomplete { details.append("⚠ the list is incomplete (an authorizer other than RBAC, or \(rules.evaluationError ?? "an evaluation error"))") }
        } catch let error as KubeError where error.isForbidden || error.isNotFound {
            status = .warning
            summary.append("SelfSubjectRulesReview is not allowed")
            details.append(error.message)
        } catch {
            return explain(error, doing: "create SelfSubjectRulesReview")
        }
        var answers: [PermissionAnswer] = []
        for text in options.needs {
            do {
                let need = try PermissionNeed(parsing: text)
                let answer = try await Permissions.check(need, client: client, defaultNamespace: namespace)
                answers.append(answer)
                let scope = answer.namespace.map { " in \($0)" } ?? " (cluster)"
                details.append("\(answer.allowed ? "✓" : "✗") \(need.verb) \(answer.qualifiedResource)\(need.name.map { " " + $0 } ?? "")\(scope)"
                               + (answer.allowed ? "" : ": forbidden"))
            } catch let error as ProbeError {
                return StepOutcome(.failed, "--need \"\(text)\": \(error.message)", details: details, table: table)
            } catch let error as KubeError where error.isNotFound {
                return StepOutcome(.failed, "--need \"\(text)\": \(error.message)", details: details, table: table,
                                   fix: "use a resource name the server knows (kubeprobe get api-resources lists them... or kubectl api-resources)")
            } catch {
                return explain(error, doing: "create SelfSubjectAccessReview")
            }
        }
        let missing = answers.filter { !$0.allowed }
        if !answers.isEmpty { summary.append("\(answers.count - missing.count) of \(answers.count) needed permissions granted") }
        guard !missing.isEmpty else { return StepOutcome(status, summary.joined(separator: "; "), details: details, table: table) }
        let subject = fixSubject()
        let yaml = Permissions.fixYAML(for: missing, subject: subject, roleName: "\(subject.name)-kubeprobe-needs")
        return StepOutcome(
            .failed, summary.joined(separator: "; ") + "; missing: " + missing.map(\.need.description).joined(separator: ", "),
            details: details, table: table,
            cause: "no Role or ClusterRole bound to \(subject.kind) \(subject.namespace.map { $0 + "/" } ?? "")\(subject.name) grants \(missing.count == 1 ? "it" : "them")",
            fix: "apply this Role and RoleBinding (kubectl apply -f -):", fixYAML: yaml)
    }

    /// The subject to bind in a fix: the token's service account, else the authenticated user.
    func fixSubject() -> RBACSubject {
        if let claims, let account = claims.serviceAccount, let accountNamespace = claims.namespace {
            return RBACSubject(username: "system:serviceaccount:\(accountNamespace):\(account)")
        }
        return RBACSubject(username: username ?? "unknown")
    }

    static func rulesTable(_ rules: Authorization.V1.SubjectRulesReviewStatus) -> [[String]] {
        // One row per resource, as `kubectl auth can-i --list`; non-resource URLs share a row per rule.
        var rows = [["RESOURCES", "RESOURCE NAMES", "VERBS"]]
        for rule in rules.resourceRules {
            let groups = rule.apiGroups ?? [""]
            for resource in rule.resources ?? [] {
                for group in groups {
                    rows.append([group.isEmpty ? resource : "\(resource).\(group)", "[\((rule.resourceNames ?? []).joined(separator: " "))]",
                                 "[\(rule.verbs.joined(separator: " "))]"])
                }
            }
        }
        for rule in rules.nonResourceRules {
            rows.append(["URLs " + (rule.nonResourceURLs ?? []).joined(separator: " "), "[]", "[\(rule.verbs.joined(separator: " "))]"])
        }
        return rows
    }

    // MARK: 9. API server endpoints

    func checkEndpoints() async -> StepOutcome {
        let client: KubeClient
        do { client = try apiClient() } catch { return StepOutcome(.failed, "no client", cause: error.message) }
        var details: [String] = []
        var status = StepStatus.ok
        do {
            let service = try await Api<Core.V1.Service>.namespaced(client, "default").get("kubernetes")
            let clusterIP = service.spec?.clusterIP ?? "?"
            let ports = (service.spec?.ports ?? []).map { "\($0.port)→\($0.targetPort.map { "\($0)" } ?? "?")" }.joined(separator: ", ")
            details.append("Service default/kubernetes: ClusterIP \(clusterIP), ports \(ports)")
            if inCluster, let host, CertificateInfo.normalizeIP(host) != CertificateInfo.normalizeIP(clusterIP) {
                status = .warning
                details.append("⚠ KUBERNETES_SERVICE_HOST (\(host)) is not the Service's ClusterIP (\(clusterIP))")
            }
        } catch let error as KubeError where error.isForbidden {
            return forbiddenEndpoints(error)
        } catch {
            return explain(error, doing: "get service default/kubernetes")
        }
        var addresses: [(ip: String, port: Int, ready: Bool)] = []
        do {
            let selector = try LabelSelector(matchLabels: ["kubernetes.io/service-name": "kubernetes"])
            let slices = try await Api<Discovery.V1.EndpointSlice>.namespaced(client, "default").list(ListOptions(labelSelector: selector))
            for slice in slices.items {
                let port = slice.ports?.first { $0.name == "https" }?.port ?? slice.ports?.first?.port ?? 443
                for endpoint in slice.endpoints ?? [] {
                    for address in endpoint.addresses { addresses.append((address, Int(port), endpoint.conditions?.ready ?? true)) }
                }
            }
            details.append("EndpointSlice: \(addresses.isEmpty ? "no addresses" : addresses.map { "\($0.ip):\($0.port)" }.joined(separator: ", "))")
        } catch let error as KubeError where error.isForbidden {
            do {
                let endpoints = try await Api<Core.V1.Endpoints>.namespaced(client, "default").get("kubernetes")
                for subset in endpoints.subsets ?? [] {
                    let port = subset.ports?.first?.port ?? 443
                    for address in subset.addresses ?? [] { addresses.append((address.ip, Int(port), true)) }
                }
                details.append("Endpoints: \(addresses.map { "\($0.ip):\($0.port)" }.joined(separator: ", "))")
            } catch let error as KubeError where error.isForbidden {
                return forbiddenEndpoints(error)
            } catch {
                return explain(error, doing: "get endpoints default/kubernetes")
            }
        } catch {
            return explain(error, doing: "list endpointslices")
        }
        guard !addresses.isEmpty else {
            return StepOutcome(.warning, "the kubernetes Service has no published API server addresses", details: details,
                               cause: "the API servers advertise no routable address (a single-node dev cluster on loopback, or --advertise-address unset)")
        }
        // Probe every master concurrently, each under the step's limit.
        let caPEM = self.caPEM
        let limit = options.stepTimeout
        let probes = await withTaskGroup(of: (Int, String).self) { group in
            for (index, address) in addresses.enumerated() {
                group.addTask {
                    let started = ContinuousClock.now
                    let result = await ConnectionProbe.tls(host: address.ip, port: address.port, caPEM: caPEM, serverName: nil, timeout: limit)
                    let elapsed = String(format: "%.0f ms", (ContinuousClock.now - started).milliseconds)
                    switch result {
                    case .success(let tls):
                        let covers = tls.leaf?.covers(address.ip) ?? false
                        return (index, "\(covers ? "✓" : "⚠") \(address.ip):\(address.port) up (\(elapsed), ALPN \(tls.negotiatedProtocol ?? "none"))\(covers ? "" : ", certificate lacks this IP")")
                    case .failure(let failure):
                        return (index, "✗ \(address.ip):\(address.port) down: \(failure.message)")
                    }
                }
            }
            var lines: [(Int, String)] = []
            for await line in group { lines.append(line) }
            return lines.sorted { $0.0 < $1.0 }.map(\.1)
        }
        details += probes
        let up = probes.filter { $0.hasPrefix("✓") || $0.hasPrefix("⚠") }.count
        if up < probes.count { status = .warning }
        return StepOutcome(status, "\(up) of \(probes.count) API server endpoints answer TLS directly", details: details,
                           cause: up < probes.count ? "some masters do not answer from this Pod (down, or a NetworkPolicy allows only the ClusterIP path)" : nil)
    }

    func forbiddenEndpoints(_ error: KubeError) -> StepOutcome {
        let subject = fixSubject()
        let needs: [PermissionAnswer] = [
            PermissionAnswer(need: PermissionNeed(known: "get", resource: "services", name: "kubernetes", namespace: "default"),
                             group: "", resource: "services", subresource: nil, namespace: "default", allowed: false, reason: nil),
            PermissionAnswer(need: PermissionNeed(known: "list", resource: "endpointslices", namespace: "default"),
                             group: "discovery.k8s.io", resource: "endpointslices", subresource: nil, namespace: "default", allowed: false, reason: nil),
        ]
        return StepOutcome(
            .warning, "the default/kubernetes Service and its endpoints are not readable by this identity (optional)", details: [error.message],
            cause: "reading them needs get services and list endpointslices in the default namespace",
            fix: "to see the masters behind the ClusterIP, apply:",
            fixYAML: Permissions.fixYAML(for: needs, subject: subject, roleName: "\(subject.name)-kubeprobe-endpoints"))
    }

    // MARK: 10. List and watch

    func checkStreaming() async -> StepOutcome {
        let client: KubeClient
        do { client = try apiClient() } catch { return StepOutcome(.failed, "no client", cause: error.message) }
        let candidates = ["configmaps", "pods", "services", "leases", "serviceaccounts", "events", "secrets"]
        var chosen: APIResourceInfo?
        do {
            for candidate in candidates {
                let list = try await Permissions.check(PermissionNeed(known: "list", resource: candidate), client: client, defaultNamespace: namespace)
                guard list.allowed else { continue }
                let watch = try await Permissions.check(PermissionNeed(known: "watch", resource: candidate), client: client, defaultNamespace: namespace)
                guard watch.allowed else { continue }
                chosen = try await client.resolve(candidate)
                break
            }
        } catch {
            return explain(error, doing: "create SelfSubjectAccessReview")
        }
        guard let chosen else {
            let subject = fixSubject()
            let needs = ["list", "watch"].map { verb in
                PermissionAnswer(need: PermissionNeed(known: verb, resource: "configmaps"), group: "", resource: "configmaps",
                                 subresource: nil, namespace: namespace, allowed: false, reason: nil)
            }
            return StepOutcome(.warning, "nothing in namespace \(namespace) may be both listed and watched; streaming not tested (tried \(candidates.joined(separator: ", ")))",
                               fix: "to test streaming, allow list and watch on something, for example:",
                               fixYAML: Permissions.fixYAML(for: needs, subject: subject, roleName: "\(subject.name)-kubeprobe-watch"))
        }
        let api = DynamicApi(client, resource: chosen.descriptor, namespace: namespace)
        let listStarted = ContinuousClock.now
        let list: ObjectList<DynamicObject>
        do { list = try await api.list(ListOptions(limit: 100)) } catch { return explain(error, doing: "list \(chosen.name)") }
        let listTime = (ContinuousClock.now - listStarted).milliseconds
        let seconds = max(1, Int(options.watchDuration.components.seconds))
        let watchStarted = ContinuousClock.now
        var events = 0
        do {
            let stream = try api.watch(WatchOptions(resourceVersion: list.metadata.resourceVersion, timeoutSeconds: seconds))
            for try await event in stream {
                if case .error(let status) = event {
                    return StepOutcome(.failed, "the watch ended with an error: \(status.message ?? "")", cause: "the server closed the watch (\(status.code ?? 0) \(status.reason ?? ""))")
                }
                if event.type != .bookmark { events += 1 }
            }
        } catch {
            return explain(error, doing: "watch \(chosen.name)")
        }
        let watchTime = (ContinuousClock.now - watchStarted).milliseconds
        let rv = list.metadata.resourceVersion ?? "?"
        return StepOutcome(
            .ok, "listed \(list.items.count) \(chosen.name) in \(namespace) (\(String(format: "%.0f", listTime)) ms, resourceVersion \(rv)); watched for \(String(format: "%.1f", watchTime / 1000)) s, \(events) events, ended by the server's timeout as expected")
    }

    // MARK: Errors

    /// A step failure from a client error, with cause and fix.
    func explain(_ error: any Error, doing what: String) -> StepOutcome {
        guard let error = error as? KubeError else {
            if let error = error as? ProbeError { return StepOutcome(.failed, "\(what): \(error.message)") }
            return StepOutcome(.failed, "\(what): \(error)")
        }
        if error.isUnauthorized {
            return StepOutcome(.failed, "\(what): 401 Unauthorized", cause: "the token is expired, revoked, or for a deleted ServiceAccount",
                               fix: "restart the Pod to get a fresh token; check the ServiceAccount exists")
        }
        if error.isForbidden {
            return StepOutcome(.failed, "\(what): forbidden", details: [error.message], cause: "RBAC does not allow it", fix: "grant it with a Role and RoleBinding")
        }
        switch error.code {
        case .timeout:
            return StepOutcome(.failed, "\(what): \(error.message)", cause: "the API server is slow or unreachable", fix: "check the API server's health and the network path")
        case .transport:
            return StepOutcome(.failed, "\(what): \(error.message)", cause: "the connection broke", fix: "check that the API server is up and reachable")
        case .tlsVerification:
            return StepOutcome(.failed, "\(what): \(error.message)", cause: "the certificate does not verify", fix: "see step 5")
        default:
            return StepOutcome(.failed, "\(what): \(error)")
        }
    }
}
