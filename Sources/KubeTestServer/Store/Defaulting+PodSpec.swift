import Foundation
import KubeCore

/// kube's `SetDefaults_PodSpec`, container, probe, volume and `SetDefaults_Pod` defaults,
/// for Pods and for every pod template (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job,
/// CronJob, ReplicationController, PodTemplate).
extension Defaulting {
    /// Defaults a pod spec. `isPod`: the spec of a Pod (not a template), which also gets
    /// `enableServiceLinks` and requests copied from limits.
    static func podSpec(_ spec: inout JSONValue, isPod: Bool) {
        guard case .object = spec else { return }
        setIfAbsent(&spec, "dnsPolicy", "ClusterFirst")
        setIfAbsent(&spec, "restartPolicy", "Always")
        setIfAbsent(&spec, "terminationGracePeriodSeconds", 30)
        setIfAbsent(&spec, "securityContext", [:])
        setIfAbsent(&spec, "schedulerName", "default-scheduler")
        if isPod { setIfAbsent(&spec, "enableServiceLinks", true) }
        if let name = spec["serviceAccountName"]?.stringValue, !name.isEmpty {
            spec["serviceAccount"] = .string(name)
        } else if let name = spec["serviceAccount"]?.stringValue, !name.isEmpty {
            spec["serviceAccountName"] = .string(name)
        }
        let hostNetwork = spec["hostNetwork"]?.boolValue == true
        for key in ["initContainers", "containers", "ephemeralContainers"] {
            mapArray(&spec, key) { container in
                Self.container(&container, isPod: isPod && key != "ephemeralContainers", hostNetwork: hostNetwork)
            }
        }
        mapArray(&spec, "volumes") { volume(&$0) }
    }

    private static func container(_ container: inout JSONValue, isPod: Bool, hostNetwork: Bool) {
        setIfAbsent(&container, "terminationMessagePath", "/dev/termination-log")
        setIfAbsent(&container, "terminationMessagePolicy", "File")
        setIfAbsent(&container, "imagePullPolicy", .string(imagePullPolicy(container["image"]?.stringValue ?? "")))
        setIfAbsent(&container, "resources", [:])
        if isPod, let limits = container["resources"]?["limits"]?.objectValue, !limits.isEmpty {
            var requests = container["resources"]?["requests"]?.objectValue ?? [:]
            for (name, quantity) in limits where requests[name] == nil { requests[name] = quantity }
            container["resources"]?["requests"] = .object(requests)
        }
        mapArray(&container, "ports") { port in
            setIfAbsent(&port, "protocol", "TCP")
            if hostNetwork, port["hostPort"] == nil, let number = port["containerPort"] { port["hostPort"] = number }
        }
        mapArray(&container, "env") { variable in
            if variable["valueFrom"]?["fieldRef"] != nil, variable["valueFrom"]?["fieldRef"]?["apiVersion"] == nil {
                variable["valueFrom"]?["fieldRef"]?["apiVersion"] = "v1"
            }
        }
        for key in ["livenessProbe", "readinessProbe", "startupProbe"] where container[key] != nil {
            var probe = container[key]!
            setIfAbsent(&probe, "timeoutSeconds", 1)
            setIfAbsent(&probe, "periodSeconds", 10)
            setIfAbsent(&probe, "successThreshold", 1)
            setIfAbsent(&probe, "failureThreshold", 3)
            handler(&probe)
            container[key] = probe
        }
        if var lifecycle = container["lifecycle"] {
            for key in ["postStart", "preStop"] where lifecycle[key] != nil {
                var hook = lifecycle[key]!
                handler(&hook)
                lifecycle[key] = hook
            }
            container["lifecycle"] = lifecycle
        }
    }

    /// `httpGet.scheme` HTTP in probes and lifecycle hooks.
    private static func handler(_ handler: inout JSONValue) {
        if handler["httpGet"] != nil, handler["httpGet"]?["scheme"] == nil { handler["httpGet"]?["scheme"] = "HTTP" }
    }

    /// `Always` for `:latest` or no tag, else `IfNotPresent` (a digest counts as pinned).
    static func imagePullPolicy(_ image: String) -> String {
        if image.contains("@") { return "IfNotPresent" }
        let lastSegment = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = lastSegment.lastIndex(of: ":") else { return "Always" }
        return lastSegment[lastSegment.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    private static func volume(_ volume: inout JSONValue) {
        for key in ["configMap", "secret", "downwardAPI", "projected"] where volume[key] != nil {
            if volume[key]?["defaultMode"] == nil { volume[key]?["defaultMode"] = 420 }
        }
        if volume["hostPath"] != nil, volume["hostPath"]?["type"] == nil { volume["hostPath"]?["type"] = "" }
        if var downward = volume["downwardAPI"] {
            mapArray(&downward, "items") { fieldRefVersion(&$0) }
            volume["downwardAPI"] = downward
        }
        if var projected = volume["projected"] {
            mapArray(&projected, "sources") { source in
                if source["serviceAccountToken"] != nil, source["serviceAccountToken"]?["expirationSeconds"] == nil {
                    source["serviceAccountToken"]?["expirationSeconds"] = 3600
                }
                if var downward = source["downwardAPI"] {
                    mapArray(&downward, "items") { fieldRefVersion(&$0) }
                    source["downwardAPI"] = downward
                }
            }
            volume["projected"] = projected
        }
    }

    private static func fieldRefVersion(_ item: inout JSONValue) {
        if item["fieldRef"] != nil, item["fieldRef"]?["apiVersion"] == nil { item["fieldRef"]?["apiVersion"] = "v1" }
    }

    /// A pod template (`{metadata, spec}`): `metadata` is always present (`{}`), the spec defaulted.
    static func podTemplate(_ template: inout JSONValue) {
        if template == .null { template = [:] }
        setIfAbsent(&template, "metadata", [:])
        if var spec = template["spec"] {
            podSpec(&spec, isPod: false)
            template["spec"] = spec
        }
    }

    /// The pod's QoS class from its containers' requests and limits (kube's `GetPodQOS`).
    static func qosClass(_ spec: JSONValue?) -> String {
        let containers = (spec?["containers"]?.arrayValue ?? []) + (spec?["initContainers"]?.arrayValue ?? [])
        var anySet = false
        var guaranteed = true
        for container in containers {
            let requests = container["resources"]?["requests"]?.objectValue ?? [:]
            let limits = container["resources"]?["limits"]?.objectValue ?? [:]
            for name in ["cpu", "memory"] {
                let request = requests[name], limit = limits[name]
                if request != nil || limit != nil { anySet = true }
                if limit == nil || (request != nil && request != limit) { guaranteed = false }
            }
        }
        if !anySet { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    // MARK: - Helpers

    static func setIfAbsent(_ object: inout JSONValue, _ key: String, _ value: JSONValue) {
        guard case .object = object else { return }
        if object[key] == nil || object[key] == .null { object[key] = value }
    }

    /// Runs `body` on every element of the array at `key` (nothing when absent).
    static func mapArray(_ object: inout JSONValue, _ key: String, _ body: (inout JSONValue) -> Void) {
        guard case .array(var items)? = object[key] else { return }
        for index in items.indices { body(&items[index]) }
        object[key] = .array(items)
    }
}
