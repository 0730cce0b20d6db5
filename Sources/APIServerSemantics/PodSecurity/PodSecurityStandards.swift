import KubeCore

/// The Pod Security Standards as kube-apiserver's PodSecurity admission evaluates them
/// (`k8s.io/pod-security-admission/policy`, latest): the checks of a level, run on a pod spec
/// in the order of their ids, each failing one a reason and a detail with kube's wording.
public enum PodSecurityStandards {
    public enum Level: String, Sendable, CaseIterable, Comparable {
        case privileged, baseline, restricted

        public static func < (lhs: Level, rhs: Level) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// A level and the version label beside it (`restricted:latest`).
    public struct Policy: Sendable, Hashable, CustomStringConvertible {
        public var level: Level
        public var version: String

        public init(level: Level, version: String = "latest") {
            self.level = level
            self.version = version
        }

        public var description: String { "\(level.rawValue):\(version)" }
    }

    /// One failed check: `reason (detail)`.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var detail: String
        public var description: String { detail.isEmpty ? reason : "\(reason) (\(detail))" }
    }

    public static let labelPrefix = "pod-security.kubernetes.io/"

    /// The violations of `spec` (with `metadata`, for AppArmor annotations) at `level`, in kube's order.
    public static func evaluate(_ level: Level, spec: JSONValue, metadata: JSONValue = [:]) -> [Violation] {
        guard level != .privileged else { return [] }
        let pod = PodView(spec: spec, metadata: metadata)
        return checks.filter { check in
            switch level {
            case .privileged: false
            case .baseline: check.level == .baseline
            // The restricted checks that replace baseline ones (restrictedVolumes covers hostPath volumes).
            case .restricted: !["capabilities_baseline", "seccompProfile_baseline", "hostPathVolumes"].contains(check.id)
            }
        }.compactMap { $0.run(pod) }
    }

    /// `violates PodSecurity "restricted:latest": a (b), c (d)`.
    public static func message(_ policy: Policy, _ violations: [Violation]) -> String {
        "PodSecurity \"\(policy)\": " + violations.map(\.description).joined(separator: ", ")
    }

    /// Reads a namespace label's level or version; the field error kube's admission gives for a bad one.
    public static func validateLabels(_ labels: [String: String]) -> [FieldError] {
        var errors: [FieldError] = []
        for mode in ["enforce", "audit", "warn"] {
            let levelKey = labelPrefix + mode, versionKey = labelPrefix + mode + "-version"
            if let value = labels[levelKey], Level(rawValue: value) == nil {
                errors.append(FieldError(.invalid, field: "metadata.labels[\(levelKey)]", value: .string(value),
                                         detail: "must be one of privileged, baseline, restricted"))
            }
            if let value = labels[versionKey], !isVersion(value) {
                errors.append(FieldError(.invalid, field: "metadata.labels[\(versionKey)]", value: .string(value),
                                         detail: "must be \"latest\" or \"v1.x\""))
            }
        }
        return errors
    }

    /// The policy a namespace's labels set for `mode` (`enforce`, `warn`, `audit`); `nil` when unset or invalid.
    public static func policy(_ labels: [String: String], mode: String) -> Policy? {
        guard let value = labels[labelPrefix + mode], let level = Level(rawValue: value) else { return nil }
        let version = labels[labelPrefix + mode + "-version"].flatMap { isVersion($0) ? $0 : nil } ?? "latest"
        return Policy(level: level, version: version)
    }

    /// `latest` or `v1.<minor>` (`v1.(0|[1-9][0-9]*)`).
    public static func isVersion(_ text: String) -> Bool {
        if text == "latest" { return true }
        guard text.hasPrefix("v1.") else { return false }
        let minor = text.utf8.dropFirst(3)
        return !minor.isEmpty && minor.allSatisfy { (48...57).contains($0) } && (minor.count == 1 || minor.first != 48)
    }

    // MARK: - The checks

    struct Check: Sendable {
        var id: String
        var level: Level
        var run: @Sendable (PodView) -> Violation?
    }

    /// Every check, sorted by id as kube orders them.
    static let checks: [Check] = [
        Check(id: "allowPrivilegeEscalation", level: .restricted, run: allowPrivilegeEscalation),
        Check(id: "appArmorProfile", level: .baseline, run: appArmorProfile),
        Check(id: "capabilities_baseline", level: .baseline, run: capabilitiesBaseline),
        Check(id: "capabilities_restricted", level: .restricted, run: capabilitiesRestricted),
        Check(id: "hostNamespaces", level: .baseline, run: hostNamespaces),
        Check(id: "hostPathVolumes", level: .baseline, run: hostPathVolumes),
        Check(id: "hostPorts", level: .baseline, run: hostPorts),
        Check(id: "hostProcess", level: .baseline, run: hostProcess),
        Check(id: "privileged", level: .baseline, run: privileged),
        Check(id: "procMount", level: .baseline, run: procMount),
        Check(id: "restrictedVolumes", level: .restricted, run: restrictedVolumes),
        Check(id: "runAsNonRoot", level: .restricted, run: runAsNonRoot),
        Check(id: "runAsUser", level: .restricted, run: runAsUser),
        Check(id: "seLinuxOptions", level: .baseline, run: seLinuxOptions),
        Check(id: "seccompProfile_baseline", level: .baseline, run: seccompBaseline),
        Check(id: "seccompProfile_restricted", level: .restricted, run: seccompRestricted),
        Check(id: "sysctls", level: .baseline, run: sysctls),
    ].sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }

    /// A pod spec as the checks read it: the containers (init, regular, ephemeral), the pod's securityContext.
    struct PodView: Sendable {
        let spec: JSONValue
        let metadata: JSONValue
        var context: JSONValue { spec["securityContext"] ?? .null }
        var containers: [JSONValue] {
            ["initContainers", "containers", "ephemeralContainers"].flatMap { spec[$0]?.arrayValue ?? [] }
        }
        var isWindows: Bool { spec["os"]?["name"]?.stringValue == "windows" }
    }

    static func name(_ container: JSONValue) -> String { container["name"]?.stringValue ?? "" }
    static func pluralize(_ one: String, _ many: String, _ count: Int) -> String { count == 1 ? one : many }
    static func joinQuote(_ items: [String]) -> String { items.map { "\"\($0)\"" }.joined(separator: ", ") }
    static func containers(_ names: [String]) -> String { "\(pluralize("container", "containers", names.count)) \(joinQuote(names))" }
    /// Who set a forbidden value, as the PodSecurity messages say it: `pod`, `containers "a", "b"`, or both joined by `and`.
    static func setters(pod: Bool, containers names: [String]) -> String? {
        let who = (pod ? ["pod"] : []) + (names.isEmpty ? [] : [containers(names)])
        return who.isEmpty ? nil : who.joined(separator: " and ")
    }
    static func set(_ values: some Sequence<String>) -> [String] { Array(Set(values)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }

    static func allowPrivilegeEscalation(_ pod: PodView) -> Violation? {
        guard !pod.isWindows else { return nil }
        let bad = pod.containers.filter { $0["securityContext"]?["allowPrivilegeEscalation"]?.boolValue != false }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "allowPrivilegeEscalation != false", detail: "\(containers(bad)) must set securityContext.allowPrivilegeEscalation=false")
    }

    static func appArmorProfile(_ pod: PodView) -> Violation? {
        func allowed(_ profile: JSONValue?) -> Bool {
            guard let type = profile?["type"]?.stringValue else { return true }
            return type == "RuntimeDefault" || type == "Localhost"
        }
        var setters: [String] = []
        var values: [String] = []
        if let profile = pod.context["appArmorProfile"], profile != .null, !allowed(profile) {
            setters.append("pod")
            values.append(profile["type"]?.stringValue ?? "")
        }
        let bad = pod.containers.filter { container in
            guard let profile = container["securityContext"]?["appArmorProfile"], profile != .null, !allowed(profile) else { return false }
            values.append(profile["type"]?.stringValue ?? "")
            return true
        }.map(name)
        if !bad.isEmpty { setters.append(containers(bad)) }
        var badValues = set(values)
        let prefix = "container.apparmor.security.beta.kubernetes.io/"
        let annotations = (pod.metadata["annotations"]?.objectValue ?? [:]).compactMap { key, value -> String? in
            guard key.hasPrefix(prefix), let text = value.stringValue, !(text == "runtime/default" || text.hasPrefix("localhost/")) else { return nil }
            return "\(key)=\"\(text)\""
        }.sorted()
        if !annotations.isEmpty {
            badValues += annotations
            setters.append(pluralize("annotation", "annotations", annotations.count))
        }
        guard !setters.isEmpty else { return nil }
        return Violation(reason: pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.count),
                         detail: badValues.map { $0.contains("=") ? $0 : "\"\($0)\"" }.joined(separator: ", "))
    }

    static let defaultCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP",
        "SETUID", "SYS_CHROOT",
    ]

    static func added(_ container: JSONValue) -> [String] {
        (container["securityContext"]?["capabilities"]?["add"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    static func capabilitiesBaseline(_ pod: PodView) -> Violation? {
        var forbidden: [String] = []
        let bad = pod.containers.filter { container in
            let extra = added(container).filter { !defaultCapabilities.contains($0) }
            forbidden += extra
            return !extra.isEmpty
        }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "non-default capabilities",
                         detail: "\(containers(bad)) must not include \(joinQuote(set(forbidden))) in securityContext.capabilities.add")
    }

    static func capabilitiesRestricted(_ pod: PodView) -> Violation? {
        guard !pod.isWindows else { return nil }
        var missingDropAll: [String] = []
        var adding: [String] = []
        var forbidden: [String] = []
        for container in pod.containers {
            let dropped = (container["securityContext"]?["capabilities"]?["drop"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !dropped.contains("ALL") { missingDropAll.append(name(container)) }
            let extra = added(container).filter { $0 != "NET_BIND_SERVICE" }
            if !extra.isEmpty {
                adding.append(name(container))
                forbidden += extra
            }
        }
        var details: [String] = []
        if !missingDropAll.isEmpty { details.append("\(containers(missingDropAll)) must set securityContext.capabilities.drop=[\"ALL\"]") }
        if !adding.isEmpty { details.append("\(containers(adding)) must not include \(joinQuote(set(forbidden))) in securityContext.capabilities.add") }
        guard !details.isEmpty else { return nil }
        return Violation(reason: "unrestricted capabilities", detail: details.joined(separator: "; "))
    }

    static func hostNamespaces(_ pod: PodView) -> Violation? {
        let set = [("hostNetwork", "hostNetwork=true"), ("hostPID", "hostPID=true"), ("hostIPC", "hostIPC=true")]
            .filter { pod.spec[$0.0]?.boolValue == true }.map(\.1)
        guard !set.isEmpty else { return nil }
        return Violation(reason: "host namespaces", detail: set.joined(separator: ", "))
    }

    static func volumes(_ pod: PodView) -> [JSONValue] { pod.spec["volumes"]?.arrayValue ?? [] }

    static func hostPathVolumes(_ pod: PodView) -> Violation? {
        let bad = volumes(pod).filter { $0["hostPath"] != nil && $0["hostPath"] != .null }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "hostPath volumes", detail: "\(pluralize("volume", "volumes", bad.count)) \(joinQuote(bad))")
    }

    static func hostPorts(_ pod: PodView) -> Violation? {
        var ports: [String] = []
        let bad = pod.containers.filter { container in
            let used = (container["ports"]?.arrayValue ?? []).compactMap { $0["hostPort"]?.intValue }.filter { $0 != 0 }
            ports += used.map(String.init)
            return !used.isEmpty
        }.map(name)
        guard !bad.isEmpty else { return nil }
        let distinct = set(ports)
        return Violation(
            reason: "hostPort",
            detail: "\(containers(bad)) \(pluralize("uses", "use", bad.count)) \(pluralize("hostPort", "hostPorts", distinct.count)) \(distinct.joined(separator: ", "))")
    }

    static func hostProcess(_ pod: PodView) -> Violation? {
        let bad = pod.containers.filter { $0["securityContext"]?["windowsOptions"]?["hostProcess"]?.boolValue == true }.map(name)
        guard let who = setters(pod: pod.context["windowsOptions"]?["hostProcess"]?.boolValue == true, containers: bad) else { return nil }
        return Violation(reason: "hostProcess", detail: "\(who) must not set securityContext.windowsOptions.hostProcess=true")
    }

    static func privileged(_ pod: PodView) -> Violation? {
        let bad = pod.containers.filter { $0["securityContext"]?["privileged"]?.boolValue == true }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "privileged", detail: "\(containers(bad)) must not set securityContext.privileged=true")
    }

    static func procMount(_ pod: PodView) -> Violation? {
        var types: [String] = []
        let bad = pod.containers.filter { container in
            guard let type = container["securityContext"]?["procMount"]?.stringValue, type != "Default" else { return false }
            types.append(type)
            return true
        }.map(name)
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "procMount", detail: "\(containers(bad)) must not set securityContext.procMount to \(joinQuote(set(types)))")
    }

    static let restrictedVolumeTypes: Set<String> = [
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
    ]

    static func restrictedVolumes(_ pod: PodView) -> Violation? {
        var types: [String] = []
        let bad = volumes(pod).filter { volume in
            let used = (volume.objectValue ?? [:]).filter { $0.key != "name" && $0.value != .null }.keys.filter { !restrictedVolumeTypes.contains($0) }
            types += used
            return !used.isEmpty
        }.map(name)
        guard !bad.isEmpty else { return nil }
        let distinct = set(types)
        return Violation(
            reason: "restricted volume types",
            detail: "\(pluralize("volume", "volumes", bad.count)) \(joinQuote(bad)) \(pluralize("uses", "use", bad.count)) \(pluralize("restricted volume type", "restricted volume types", distinct.count)) \(joinQuote(distinct))")
    }

    static func runAsNonRoot(_ pod: PodView) -> Violation? {
        let podValue = pod.context["runAsNonRoot"]?.boolValue
        let podNonRoot = podValue == true
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            if let value = container["securityContext"]?["runAsNonRoot"]?.boolValue {
                if !value { explicit.append(name(container)) }
            } else if !podNonRoot {
                implicit.append(name(container))
            }
        }
        if let who = setters(pod: podValue == false, containers: explicit) {
            return Violation(reason: "runAsNonRoot != true", detail: "\(who) must not set securityContext.runAsNonRoot=false")
        }
        guard !implicit.isEmpty else { return nil }
        return Violation(reason: "runAsNonRoot != true", detail: "pod or \(containers(implicit)) must set securityContext.runAsNonRoot=true")
    }

    static func runAsUser(_ pod: PodView) -> Violation? {
        let bad = pod.containers.filter { $0["securityContext"]?["runAsUser"]?.intValue == 0 }.map(name)
        guard let who = setters(pod: pod.context["runAsUser"]?.intValue == 0, containers: bad) else { return nil }
        return Violation(reason: "runAsUser=0", detail: "\(who) must not set runAsUser=0")
    }

    static let seLinuxTypes: Set<String> = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]

    static func seLinuxOptions(_ pod: PodView) -> Violation? {
        var badTypes: [String] = []
        var user = false, role = false
        func valid(_ options: JSONValue?) -> Bool {
            guard let options, options != .null else { return true }
            var ok = true
            let type = options["type"]?.stringValue ?? ""
            if !seLinuxTypes.contains(type) { ok = false; badTypes.append(type) }
            if !(options["user"]?.stringValue ?? "").isEmpty { ok = false; user = true }
            if !(options["role"]?.stringValue ?? "").isEmpty { ok = false; role = true }
            return ok
        }
        let podInvalid = !valid(pod.context["seLinuxOptions"])
        let bad = pod.containers.filter { !valid($0["securityContext"]?["seLinuxOptions"]) }.map(name)
        guard let who = setters(pod: podInvalid, containers: bad) else { return nil }
        var data: [String] = []
        let types = set(badTypes)
        if !types.isEmpty { data.append("\(pluralize("type", "types", types.count)) \(joinQuote(types))") }
        if user { data.append("user may not be set") }
        if role { data.append("role may not be set") }
        return Violation(reason: "seLinuxOptions",
                         detail: "\(who) set forbidden securityContext.seLinuxOptions: \(data.joined(separator: "; "))")
    }

    static func seccompType(_ context: JSONValue?) -> String? {
        guard let profile = context?["seccompProfile"], profile != .null else { return nil }
        return profile["type"]?.stringValue ?? ""
    }

    static func seccompBaseline(_ pod: PodView) -> Violation? {
        let bad = pod.containers.filter { seccompType($0["securityContext"]) == "Unconfined" }.map(name)
        guard let who = setters(pod: seccompType(pod.context) == "Unconfined", containers: bad) else { return nil }
        return Violation(reason: "seccompProfile", detail: "\(who) must not set securityContext.seccompProfile.type to \"Unconfined\"")
    }

    static func seccompRestricted(_ pod: PodView) -> Violation? {
        guard !pod.isWindows else { return nil }
        let valid: Set<String> = ["RuntimeDefault", "Localhost"]
        var values: [String] = []
        let podType = seccompType(pod.context)
        let podSet = podType.map(valid.contains) == true
        let podInvalid = podType != nil && !podSet
        if podInvalid, let podType { values.append(podType) }
        var explicit: [String] = []
        var implicit: [String] = []
        for container in pod.containers {
            if let type = seccompType(container["securityContext"]) {
                if !valid.contains(type) { explicit.append(name(container)); values.append(type) }
            } else if !podSet {
                implicit.append(name(container))
            }
        }
        if let who = setters(pod: podInvalid, containers: explicit) {
            return Violation(reason: "seccompProfile",
                             detail: "\(who) must not set securityContext.seccompProfile.type to \(joinQuote(set(values)))")
        }
        guard !implicit.isEmpty else { return nil }
        return Violation(reason: "seccompProfile",
                         detail: "pod or \(containers(implicit)) must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"")
    }

    static let safeSysctls: Set<String> = [
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    ]

    static func sysctls(_ pod: PodView) -> Violation? {
        let bad = (pod.context["sysctls"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.filter { !safeSysctls.contains($0) }
        guard !bad.isEmpty else { return nil }
        return Violation(reason: "forbidden sysctls", detail: bad.joined(separator: ", "))
    }
}
