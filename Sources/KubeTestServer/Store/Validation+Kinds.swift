import APIServerSemantics
import Foundation
import KubeCore

/// Per-kind checks of kube-apiserver's `validation` packages for the most used kinds, with
/// kube's field paths and messages (the recordings in `apiserver-v1.36` show them).
enum KindValidation {
    typealias Cause = APIServerSemantics.FieldError

    static func validate(_ object: JSONValue, resource: ServedResource, allowsPrivileged: Bool = true) -> [Cause] {
        switch (resource.group, resource.plural) {
        case ("", "services"): return service(object)
        case ("", "secrets"): return secret(object)
        case ("", "pods"): return podSpecChecks(object["spec"], path: "spec", allowsPrivileged: allowsPrivileged)
        case ("", "persistentvolumes"):
            guard let driver = object["spec"]?["csi"]?["driver"] else { return [] }
            return csiDriverName(driver.stringValue ?? "", field: "spec.csi.driver")
        case ("storage.k8s.io", "csidrivers"):
            return csiDriverName(object["metadata"]?["name"]?.stringValue ?? "", field: "name")
        case ("networking.k8s.io", "ingresses"): return ingress(object)
        case ("batch", "cronjobs"): return cronSchedule(object)
        case ("policy", "poddisruptionbudgets"): return podDisruptionBudget(object)
        case ("apps", "deployments"), ("apps", "replicasets"), ("apps", "statefulsets"), ("apps", "daemonsets"):
            return podSpecChecks(object["spec"]?["template"]?["spec"], path: "spec.template.spec", allowsPrivileged: allowsPrivileged)
        case ("batch", "jobs"):
            return podSpecChecks(object["spec"]?["template"]?["spec"], path: "spec.template.spec", allowsPrivileged: allowsPrivileged)
        default: return []
        }
    }

    /// `data` keys: kube's `IsConfigMapKey`.
    static func configMapKeys(_ object: JSONValue) -> [StatusCause] {
        var causes: [StatusCause] = []
        for field in ["data", "binaryData"] {
            for key in (object[field]?.objectValue ?? [:]).keys.sorted() {
                for message in configMapKeyErrors(key) {
                    causes.append(Cause(.invalid, field: "\(field)[\(key)]", value: .string(key), detail: message).cause)
                }
            }
        }
        return causes
    }

    static func configMapKeyErrors(_ key: String) -> [String] {
        var errors: [String] = []
        if key.utf8.count > 253 { errors.append("must be no more than 253 characters") }
        let allowed = key.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "-._".unicodeScalars.contains($0) }
        if key.isEmpty || !allowed {
            errors.append(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
        }
        if key == "." { errors.append("must not be '.'") } else if key == ".." { errors.append("must not be '..'") } else if key.hasPrefix("..") {
            errors.append("must not start with '..'")
        }
        return errors
    }

    // MARK: - Service

    private static func service(_ object: JSONValue) -> [Cause] {
        var errors: [Cause] = []
        let spec = object["spec"] ?? [:]
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        let ports = spec["ports"]?.arrayValue ?? []
        let headless = spec["clusterIP"]?.stringValue == "None"
        if ports.isEmpty && type != "ExternalName" && !headless { errors.append(Cause(.required, field: "spec.ports")) }
        var seen: Set<String> = []
        for (index, port) in ports.enumerated() {
            let path = "spec.ports[\(index)]"
            let number = port["port"]?.intValue ?? 0
            if !(1...65535).contains(number) {
                errors.append(Cause(.invalid, field: "\(path).port", value: .int(number), detail: "must be between 1 and 65535, inclusive"))
            }
            let proto = port["protocol"]?.stringValue ?? "TCP"
            if !["TCP", "UDP", "SCTP"].contains(proto) {
                errors.append(Cause(.notSupported, field: "\(path).protocol", value: .string(proto), detail: "supported values: \"SCTP\", \"TCP\", \"UDP\""))
            }
            if case .int(let target)? = port["targetPort"], !(1...65535).contains(target) {
                errors.append(Cause(.invalid, field: "\(path).targetPort", value: .int(target), detail: "must be between 1 and 65535, inclusive"))
            }
            if let nodePort = port["nodePort"]?.intValue, nodePort != 0, !(30000...32767).contains(nodePort) {
                errors.append(Cause(.invalid, field: "\(path).nodePort", value: .int(nodePort),
                                    detail: "provided port is not in the valid range. The range of valid ports is 30000-32767"))
            }
            let key = "\(number)/\(proto)"
            if seen.contains(key) {
                // kube reports the (port, protocol) key it deduplicates on, as a Go struct.
                errors.append(Cause(.duplicate, field: path, renderedValue:
                    #"{"Name":"","Protocol":"\#(proto)","AppProtocol":null,"Port":\#(number),"TargetPort":0,"NodePort":0}"#))
            }
            seen.insert(key)
        }
        return errors
    }

    // MARK: - Secret

    private static func secret(_ object: JSONValue) -> [Cause] {
        let data = object["data"]?.objectValue ?? [:]
        switch object["type"]?.stringValue ?? "Opaque" {
        case "kubernetes.io/tls":
            return ["tls.crt", "tls.key"].filter { data[$0] == nil }.map { Cause(.required, field: "data[\($0)]") }
        case "kubernetes.io/dockerconfigjson":
            return data[".dockerconfigjson"] == nil ? [Cause(.required, field: "data[.dockerconfigjson]")] : []
        case "kubernetes.io/basic-auth":
            return data["username"] == nil && data["password"] == nil
                ? [Cause(.required, field: "data[username]"), Cause(.required, field: "data[password]")] : []
        case "kubernetes.io/ssh-auth":
            return data["ssh-privatekey"] == nil ? [Cause(.required, field: "data[ssh-privatekey]")] : []
        default:
            return []
        }
    }

    /// A Secret's `data` values must be base64; kube's decoder refuses the body (400), with Go's
    /// `illegal base64 data at input byte N`.
    static func secretDataError(_ object: JSONValue) -> String? {
        for key in (object["data"]?.objectValue ?? [:]).keys.sorted() {
            guard let text = object["data"]?[key]?.stringValue else { continue }
            if let offset = illegalBase64Offset(text) { return "illegal base64 data at input byte \(offset)" }
        }
        return nil
    }

    /// Where Go's `base64.StdEncoding.DecodeString` stops (`nil` when the text decodes).
    static func illegalBase64Offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8).filter { $0 != 10 && $0 != 13 }
        func isAlphabet(_ byte: UInt8) -> Bool {
            (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte) || byte == 43 || byte == 47
        }
        var index = 0
        while index < bytes.count {
            let quantum = Array(bytes[index..<min(index + 4, bytes.count)])
            for (offset, byte) in quantum.enumerated() where !isAlphabet(byte) {
                guard byte == 61, offset >= 2 else { return index + offset }
                // Padding: the rest of the quantum must be '=' and the text must end there.
                let rest = quantum[offset...]
                if !rest.allSatisfy({ $0 == 61 }) || quantum.count != 4 || index + 4 != bytes.count {
                    return index + offset + rest.prefix { $0 == 61 }.count
                }
                return nil
            }
            if quantum.count < 4 { return quantum.count == 1 ? index : bytes.count }
            index += 4
        }
        return nil
    }

    // MARK: - Volumes (CSI driver names)

    /// The sources of a volume in the order kube's `validateVolumeSource` counts them: the
    /// second and later of one volume are each `Forbidden` (069: `emptyDir` kept by a strategic
    /// merge beside a new `hostPath`).
    static let volumeSources = [
        "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi", "glusterfs",
        "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc", "flexVolume", "configMap",
        "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO",
        "csi", "ephemeral", "image",
    ]

    /// The checks of a pod spec (a Pod's, or a workload's template): its volumes, then each
    /// container's `privileged`, which kube-apiserver refuses unless started with
    /// `--allow-privileged` (`Configuration.allowsPrivileged`; off in kube's default and the
    /// recorded server, on in kubeadm, kind and managed clusters).
    private static func podSpecChecks(_ spec: JSONValue?, path: String, allowsPrivileged: Bool) -> [Cause] {
        var errors = podVolumes(spec, path: path)
        if allowsPrivileged { return errors }
        for key in ["initContainers", "containers", "ephemeralContainers"] {
            for (index, container) in (spec?[key]?.arrayValue ?? []).enumerated()
            where container["securityContext"]?["privileged"]?.boolValue == true {
                errors.append(Cause(.forbidden, field: "\(path).\(key)[\(index)].securityContext.privileged", detail: "disallowed by cluster policy"))
            }
        }
        return errors
    }

    /// A pod spec's volumes (exactly one source each, CSI driver names), then the containers'
    /// `volumeMounts`, which must name a valid volume (`Not found`), as kube's `ValidatePodSpec` orders them.
    private static func podVolumes(_ spec: JSONValue?, path: String) -> [Cause] {
        var errors: [Cause] = []
        var valid: Set<String> = []
        for (index, volume) in (spec?["volumes"]?.arrayValue ?? []).enumerated() {
            let volumePath = "\(path).volumes[\(index)]"
            let sources = volumeSources.filter { volume[$0] != nil && volume[$0] != .null }
            var volumeErrors: [Cause] = []
            if sources.isEmpty {
                volumeErrors.append(Cause(.required, field: volumePath, detail: "must specify a volume type"))
            }
            for extra in sources.dropFirst() {
                volumeErrors.append(Cause(.forbidden, field: "\(volumePath).\(extra)", detail: "may not specify more than 1 volume type"))
            }
            if let driver = volume["csi"]?["driver"] {
                volumeErrors += csiDriverName(driver.stringValue ?? "", field: "\(volumePath).csi.driver")
            }
            if volumeErrors.isEmpty, let name = volume["name"]?.stringValue { valid.insert(name) }
            errors += volumeErrors
        }
        for list in ["containers", "initContainers"] {
            for (index, container) in (spec?[list]?.arrayValue ?? []).enumerated() {
                for (mountIndex, mount) in (container["volumeMounts"]?.arrayValue ?? []).enumerated() {
                    guard let name = mount["name"]?.stringValue, !name.isEmpty, !valid.contains(name) else { continue }
                    errors.append(Cause(.notFound, field: "\(path).\(list)[\(index)].volumeMounts[\(mountIndex)].name", value: .string(name)))
                }
            }
        }
        return errors
    }

    /// kube's `ValidateCSIDriverName`: required, at most 63 characters, a DNS subdomain (case-insensitive).
    static func csiDriverName(_ name: String, field: String) -> [Cause] {
        var errors: [Cause] = []
        if name.isEmpty { errors.append(Cause(.required, field: field)) }
        if name.count > 63 { errors.append(Cause(.tooLong, field: field, detail: "may not be more than 63 bytes")) }
        for message in ObjectValidation.isDNS1123Subdomain(name.lowercased()) {
            errors.append(Cause(.invalid, field: field, value: .string(name), detail: message))
        }
        return errors
    }

    // MARK: - Ingress, CronJob

    private static func ingress(_ object: JSONValue) -> [Cause] {
        var errors: [Cause] = []
        for (ruleIndex, rule) in (object["spec"]?["rules"]?.arrayValue ?? []).enumerated() {
            for (pathIndex, path) in (rule["http"]?["paths"]?.arrayValue ?? []).enumerated() {
                let field = "spec.rules[\(ruleIndex)].http.paths[\(pathIndex)].pathType"
                guard let pathType = path["pathType"]?.stringValue else {
                    errors.append(Cause(.required, field: field, detail: "pathType must be specified"))
                    continue
                }
                if !["Exact", "Prefix", "ImplementationSpecific"].contains(pathType) {
                    errors.append(Cause(.notSupported, field: field, value: .string(pathType),
                                        detail: "supported values: \"Exact\", \"ImplementationSpecific\", \"Prefix\""))
                }
            }
        }
        return errors
    }

    private static func cronSchedule(_ object: JSONValue) -> [Cause] {
        guard let schedule = object["spec"]?["schedule"]?.stringValue else {
            return [Cause(.required, field: "spec.schedule")]
        }
        if schedule.hasPrefix("@") { return [] }
        let fields = schedule.split(whereSeparator: { $0 == " " || $0 == "\t" })
        var text = schedule
        if text.hasPrefix("TZ=") || text.hasPrefix("CRON_TZ=") { text = fields.dropFirst().joined(separator: " ") }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 5 else {
            return [Cause(.invalid, field: "spec.schedule", value: .string(schedule),
                          detail: "expected exactly 5 fields, found \(parts.count): [\(parts.joined(separator: " "))]")]
        }
        return []
    }

    /// `ValidatePodDisruptionBudgetSpec`: `minAvailable` and `maxUnavailable` exclude each
    /// other; kube prints the whole internal spec (Go field names, `null` for unset pointers).
    private static func podDisruptionBudget(_ object: JSONValue) -> [Cause] {
        let spec = object["spec"] ?? .null
        guard let minAvailable = spec["minAvailable"], minAvailable != .null,
            let maxUnavailable = spec["maxUnavailable"], maxUnavailable != .null
        else { return [] }
        let fields: [(String, String)] = [
            ("MinAvailable", JSONWriter.string(minAvailable)), ("Selector", goLabelSelector(spec["selector"])),
            ("MaxUnavailable", JSONWriter.string(maxUnavailable)), ("UnhealthyPodEvictionPolicy", JSONWriter.string(spec["unhealthyPodEvictionPolicy"] ?? .null)),
        ]
        let rendered = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
        return [Cause(.invalid, field: "spec", detail: "minAvailable and maxUnavailable cannot be both set", renderedValue: rendered)]
    }

    /// A `metav1.LabelSelector` as Go's `encoding/json` writes it: fields in struct order, empty ones left out.
    static func goLabelSelector(_ selector: JSONValue?) -> String {
        guard let selector, selector != .null else { return "null" }
        var parts: [String] = []
        if let labels = selector["matchLabels"]?.objectValue, !labels.isEmpty { parts.append("\"matchLabels\":" + JSONWriter.string(.object(labels))) }
        if let expressions = selector["matchExpressions"]?.arrayValue, !expressions.isEmpty {
            let rendered = expressions.map { expression -> String in
                var fields = ["\"key\":" + JSONWriter.string(expression["key"] ?? ""), "\"operator\":" + JSONWriter.string(expression["operator"] ?? "")]
                if let values = expression["values"]?.arrayValue, !values.isEmpty { fields.append("\"values\":" + JSONWriter.string(.array(values))) }
                return "{" + fields.joined(separator: ",") + "}"
            }
            parts.append("\"matchExpressions\":[" + rendered.joined(separator: ",") + "]")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    // MARK: - Updates

    /// Checks that need the stored object: immutable ConfigMaps and Secrets, a Service's
    /// cluster IPs, a Pod's spec, a Job's selector and template. A subresource write (a
    /// binding) is its own rule.
    static func validateUpdate(old: JSONValue, new: JSONValue, resource: ServedResource, subresource: String? = nil) -> [Cause] {
        switch (resource.group, resource.plural, subresource) {
        case ("", "services", nil): return serviceUpdate(old: old, new: new)
        case ("", "pods", nil): return podUpdate(old: old, new: new)
        case ("batch", "jobs", nil): return jobUpdate(old: old, new: new)
        default: break
        }
        guard resource.group.isEmpty, resource.plural == "configmaps" || resource.plural == "secrets",
            old["immutable"]?.boolValue == true
        else { return [] }
        var errors: [Cause] = []
        let fields = resource.plural == "configmaps" ? ["data", "binaryData"] : ["data"]
        for field in fields where (old[field] ?? .null) != (new[field] ?? .null) {
            errors.append(Cause(.forbidden, field: field, detail: "field is immutable when `immutable` is set"))
        }
        if new["immutable"]?.boolValue != true {
            errors.append(Cause(.forbidden, field: "immutable", detail: "field is immutable when `immutable` is set"))
        }
        return errors
    }

    /// `validateUpgradeDowngradeClusterIPs`: outside ExternalName, the primary (and a dual-stack
    /// secondary) cluster IP may not change; kube shows the whole new `clusterIPs` list.
    private static func serviceUpdate(old: JSONValue, new: JSONValue) -> [Cause] {
        if old["spec"]?["type"] == "ExternalName" || new["spec"]?["type"] == "ExternalName" { return [] }
        let oldIPs = old["spec"]?["clusterIPs"]?.arrayValue ?? []
        let newIPs = new["spec"]?["clusterIPs"]?.arrayValue ?? []
        var errors: [Cause] = []
        for index in 0..<2 where oldIPs.count > index && newIPs.count > index && (index == 0 || (oldIPs.count == 2 && newIPs.count == 2)) {
            if oldIPs[index] != newIPs[index] {
                errors.append(Cause(.invalid, field: "spec.clusterIPs[\(index)]", value: .array(newIPs), detail: "may not change once set"))
            }
        }
        return errors
    }
}
