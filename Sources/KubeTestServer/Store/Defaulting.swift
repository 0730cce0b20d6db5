import Foundation
import KubeCore
import Synchronization

/// What kube-apiserver fills in, in its two phases:
/// - ``typeDefaults(_:resource:)``: the types' `SetDefaults_*` functions, applied whenever an
///   object is decoded (create and update). These fields are owned by the writer in
///   `managedFields`, so they run before managedFields are recorded.
/// - ``prepareForCreate(_:resource:)``: the strategies' `PrepareForCreate` and the
///   allocators (status reset, cluster IPs, node ports, a Job's selector): not in managedFields.
enum Defaulting {
    private static let nextClusterIP = Mutex<UInt32>(2)
    private static let usedNodePorts = Mutex<Set<Int64>>([])

    static func typeDefaults(_ object: JSONValue, resource: ServedResource) -> JSONValue {
        var object = object
        switch (resource.group, resource.plural) {
        case ("", "namespaces"):
            let name = object["metadata"]?["name"]?.stringValue ?? ""
            var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            object["metadata"]?["labels"] = .object(labels)
        case ("", "pods"):
            if var spec = object["spec"] {
                podSpec(&spec, isPod: true)
                object["spec"] = spec
            }
        case ("", "podtemplates"):
            withExisting(&object, "template") { podTemplate(&$0) }
        case ("", "replicationcontrollers"):
            withMember(&object, "spec") { spec in
                setIfAbsent(&spec, "replicas", 1)
                withExisting(&spec, "template") { podTemplate(&$0) }
            }
        case ("", "services"):
            withMember(&object, "spec") { service(&$0) }
            // SetDefaults_LoadBalancerIngress: an ingress point with an IP is a virtual IP.
            withExisting(&object, "status") { status in
                withExisting(&status, "loadBalancer") { balancer in
                    mapArray(&balancer, "ingress") { ingress in
                        if ingress["ip"]?.stringValue?.isEmpty == false { setIfAbsent(&ingress, "ipMode", "VIP") }
                    }
                }
            }
        case ("", "secrets"):
            Self.setIfAbsent(&object, "type", "Opaque")
            if let stringData = object["stringData"]?.objectValue {
                var data = object["data"]?.objectValue ?? [:]
                for (key, value) in stringData {
                    data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
                }
                object["data"] = .object(data)
                object["stringData"] = nil
            }
        case ("", "persistentvolumeclaims"):
            withMember(&object, "spec") { setIfAbsent(&$0, "volumeMode", "Filesystem") }
        case ("", "persistentvolumes"):
            withMember(&object, "spec") { spec in
                setIfAbsent(&spec, "persistentVolumeReclaimPolicy", "Retain")
                setIfAbsent(&spec, "volumeMode", "Filesystem")
            }
        case ("", "endpoints"):
            mapArray(&object, "subsets") { subset in mapArray(&subset, "ports") { setIfAbsent(&$0, "protocol", "TCP") } }
        case ("discovery.k8s.io", "endpointslices"):
            mapArray(&object, "endpoints") { setIfAbsent(&$0, "conditions", [:]) }
            mapArray(&object, "ports") { port in
                setIfAbsent(&port, "name", "")
                setIfAbsent(&port, "protocol", "TCP")
            }
        case ("apps", "deployments"):
            withMember(&object, "spec") { spec in
                setIfAbsent(&spec, "replicas", 1)
                withMember(&spec, "strategy") { strategy in
                    setIfAbsent(&strategy, "type", "RollingUpdate")
                    if strategy["type"] == "RollingUpdate" {
                        withMember(&strategy, "rollingUpdate") { rolling in
                            setIfAbsent(&rolling, "maxUnavailable", "25%")
                            setIfAbsent(&rolling, "maxSurge", "25%")
                        }
                    }
                }
                setIfAbsent(&spec, "revisionHistoryLimit", 10)
                setIfAbsent(&spec, "progressDeadlineSeconds", 600)
                withExisting(&spec, "template") { podTemplate(&$0) }
            }
        case ("apps", "replicasets"):
            withMember(&object, "spec") { spec in
                setIfAbsent(&spec, "replicas", 1)
                withExisting(&spec, "template") { podTemplate(&$0) }
            }
        case ("apps", "statefulsets"):
            withMember(&object, "spec") { statefulSet(&$0) }
        case ("apps", "daemonsets"):
            withMember(&object, "spec") { spec in
                withMember(&spec, "updateStrategy") { strategy in
                    setIfAbsent(&strategy, "type", "RollingUpdate")
                    if strategy["type"] == "RollingUpdate" {
                        withMember(&strategy, "rollingUpdate") { rolling in
                            setIfAbsent(&rolling, "maxUnavailable", 1)
                            setIfAbsent(&rolling, "maxSurge", 0)
                        }
                    }
                }
                setIfAbsent(&spec, "revisionHistoryLimit", 10)
                withExisting(&spec, "template") { podTemplate(&$0) }
            }
            let generation = object["metadata"]?["generation"]?.intValue ?? 1
            var annotations = object["metadata"]?["annotations"]?.objectValue ?? [:]
            if annotations["deprecated.daemonset.template.generation"] == nil {
                annotations["deprecated.daemonset.template.generation"] = .string(String(generation))
                object["metadata"]?["annotations"] = .object(annotations)
            }
        case ("batch", "jobs"):
            withMember(&object, "spec") { jobSpec(&$0) }
        case ("batch", "cronjobs"):
            withMember(&object, "spec") { spec in
                setIfAbsent(&spec, "concurrencyPolicy", "Allow")
                setIfAbsent(&spec, "suspend", false)
                setIfAbsent(&spec, "successfulJobsHistoryLimit", 3)
                setIfAbsent(&spec, "failedJobsHistoryLimit", 1)
                withExisting(&spec, "jobTemplate") { template in
                    setIfAbsent(&template, "metadata", [:])
                    withExisting(&template, "spec") { jobSpec in
                        withExisting(&jobSpec, "template") { podTemplate(&$0) }
                    }
                }
            }
        case ("networking.k8s.io", "networkpolicies"):
            withMember(&object, "spec") { spec in
                for direction in ["ingress", "egress"] {
                    mapArray(&spec, direction) { rule in mapArray(&rule, "ports") { setIfAbsent(&$0, "protocol", "TCP") } }
                }
                if spec["policyTypes"] == nil {
                    let hasEgress = !(spec["egress"]?.arrayValue ?? []).isEmpty
                    spec["policyTypes"] = hasEgress ? ["Ingress", "Egress"] : ["Ingress"]
                }
            }
        case ("scheduling.k8s.io", "priorityclasses"):
            setIfAbsent(&object, "preemptionPolicy", "PreemptLowerPriority")
        case ("autoscaling", "horizontalpodautoscalers"):
            withMember(&object, "spec") { setIfAbsent(&$0, "minReplicas", 1) }
        default:
            break
        }
        return object
    }

    private static func service(_ spec: inout JSONValue) {
        setIfAbsent(&spec, "type", "ClusterIP")
        setIfAbsent(&spec, "sessionAffinity", "None")
        let type = spec["type"]?.stringValue ?? ""
        if type != "ExternalName" { setIfAbsent(&spec, "internalTrafficPolicy", "Cluster") }
        if type == "NodePort" || type == "LoadBalancer" { setIfAbsent(&spec, "externalTrafficPolicy", "Cluster") }
        if type == "LoadBalancer" { setIfAbsent(&spec, "allocateLoadBalancerNodePorts", true) }
        mapArray(&spec, "ports") { port in
            setIfAbsent(&port, "protocol", "TCP")
            if port["targetPort"] == nil, let number = port["port"] { port["targetPort"] = number }
        }
    }

    private static func statefulSet(_ spec: inout JSONValue) {
        setIfAbsent(&spec, "replicas", 1)
        setIfAbsent(&spec, "podManagementPolicy", "OrderedReady")
        withMember(&spec, "updateStrategy") { strategy in
            setIfAbsent(&strategy, "type", "RollingUpdate")
            if strategy["type"] == "RollingUpdate" {
                withMember(&strategy, "rollingUpdate") { rolling in
                    setIfAbsent(&rolling, "partition", 0)
                    // MaxUnavailableStatefulSet is beta (on by default) since v1.35.
                    setIfAbsent(&rolling, "maxUnavailable", 1)
                }
            }
        }
        setIfAbsent(&spec, "revisionHistoryLimit", 10)
        withMember(&spec, "persistentVolumeClaimRetentionPolicy") { policy in
            setIfAbsent(&policy, "whenDeleted", "Retain")
            setIfAbsent(&policy, "whenScaled", "Retain")
        }
        mapArray(&spec, "volumeClaimTemplates") { claim in
            setIfAbsent(&claim, "apiVersion", "v1")
            setIfAbsent(&claim, "kind", "PersistentVolumeClaim")
            setIfAbsent(&claim, "metadata", [:])
            withMember(&claim, "spec") { setIfAbsent(&$0, "volumeMode", "Filesystem") }
            setIfAbsent(&claim, "status", ["phase": "Pending"])
        }
        withExisting(&spec, "template") { podTemplate(&$0) }
    }

    private static func jobSpec(_ spec: inout JSONValue) {
        if spec["completions"] == nil && spec["parallelism"] == nil {
            spec["completions"] = 1
            spec["parallelism"] = 1
        }
        setIfAbsent(&spec, "parallelism", 1)
        setIfAbsent(&spec, "backoffLimit", spec["backoffLimitPerIndex"] != nil ? .int(Int64(Int32.max)) : 6)
        setIfAbsent(&spec, "completionMode", "NonIndexed")
        setIfAbsent(&spec, "suspend", false)
        setIfAbsent(&spec, "manualSelector", false)
        setIfAbsent(&spec, "podReplacementPolicy", spec["podFailurePolicy"] != nil ? "Failed" : "TerminatingOrFailed")
        withExisting(&spec, "template") { podTemplate(&$0) }
    }

    // MARK: - PrepareForCreate and allocation

    /// The initial status (the body's status was already dropped unless the object is seeded).
    static func prepareForCreate(_ object: JSONValue, resource: ServedResource) -> JSONValue {
        var object = object
        let initialStatus: JSONValue?
        switch (resource.group, resource.plural) {
        case ("", "namespaces"):
            setIfAbsent(&object, "spec", ["finalizers": ["kubernetes"]])
            initialStatus = ["phase": "Active"]
        case ("", "services"):
            withMember(&object, "spec") { allocate(&$0) }
            initialStatus = ["loadBalancer": [:]]
        case ("", "persistentvolumeclaims"):
            var finalizers = object["metadata"]?["finalizers"]?.arrayValue ?? []
            if !finalizers.contains("kubernetes.io/pvc-protection") { finalizers.append("kubernetes.io/pvc-protection") }
            object["metadata"]?["finalizers"] = .array(finalizers)
            initialStatus = ["phase": "Pending"]
        case ("", "persistentvolumes"):
            initialStatus = ["phase": "Pending"]
        case ("", "resourcequotas"), ("apps", "deployments"), ("batch", "cronjobs"), ("batch", "jobs"):
            initialStatus = [:]
        case ("", "replicationcontrollers"), ("apps", "replicasets"):
            initialStatus = ["replicas": 0]
        case ("apps", "statefulsets"):
            initialStatus = ["replicas": 0, "availableReplicas": 0]
        case ("apps", "daemonsets"):
            initialStatus = ["currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0]
        case ("networking.k8s.io", "ingresses"):
            initialStatus = ["loadBalancer": [:]]
        case ("policy", "poddisruptionbudgets"):
            initialStatus = ["disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0]
        case ("autoscaling", "horizontalpodautoscalers"):
            let v1: JSONValue = ["currentReplicas": 0, "desiredReplicas": 0]
            let v2: JSONValue = ["desiredReplicas": 0, "currentMetrics": .null]
            initialStatus = resource.version == "v1" ? v1 : v2
        default:
            initialStatus = nil
        }
        if let initialStatus, object["status"] == nil { object["status"] = initialStatus }
        if resource.group == "batch" && resource.plural == "jobs" { jobSelector(&object) }
        return object
    }

    /// A Job without `manualSelector: true` selects its pods by its own uid, and its template
    /// (and, when it has none, the Job) carries the four job labels.
    private static func jobSelector(_ object: inout JSONValue) {
        guard object["spec"]?["manualSelector"]?.boolValue != true,
            let uid = object["metadata"]?["uid"]?.stringValue, let name = object["metadata"]?["name"]?.stringValue
        else { return }
        object["spec"]?["selector"] = ["matchLabels": ["batch.kubernetes.io/controller-uid": .string(uid)]]
        var labels = object["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
        for key in ["batch.kubernetes.io/controller-uid", "controller-uid"] { labels[key] = .string(uid) }
        for key in ["batch.kubernetes.io/job-name", "job-name"] { labels[key] = .string(name) }
        object["spec"]?["template"]?["metadata"]?["labels"] = .object(labels)
        if (object["metadata"]?["labels"]?.objectValue ?? [:]).isEmpty { object["metadata"]?["labels"] = .object(labels) }
    }

    /// Cluster IPs (and IP families) for every Service but ExternalName; node ports from
    /// 30000-32767 for NodePort and LoadBalancer Services.
    private static func allocate(_ spec: inout JSONValue) {
        let type = spec["type"]?.stringValue ?? "ClusterIP"
        guard type != "ExternalName" else { return }
        if (spec["clusterIP"]?.stringValue ?? "").isEmpty {
            let n = nextClusterIP.withLock { value -> UInt32 in
                defer { value += 1 }
                return value
            }
            spec["clusterIP"] = .string("10.96.\((n >> 8) & 0xff).\(n & 0xff)")
        }
        setIfAbsent(&spec, "clusterIPs", .array([spec["clusterIP"]!]))
        setIfAbsent(&spec, "ipFamilies", ["IPv4"])
        setIfAbsent(&spec, "ipFamilyPolicy", "SingleStack")
        let wantsNodePorts = type == "NodePort" || (type == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"]?.boolValue != false)
        guard wantsNodePorts else { return }
        mapArray(&spec, "ports") { port in
            guard port["nodePort"] == nil else { return }
            port["nodePort"] = .int(usedNodePorts.withLock { used -> Int64 in
                var candidate = Int64.random(in: 30000...32767)
                while used.contains(candidate) && used.count < 2768 { candidate = 30000 + (candidate - 30000 + 1) % 2768 }
                used.insert(candidate)
                return candidate
            })
        }
    }

    /// Runs `body` on the member `key` when it is there (an object).
    static func withExisting(_ object: inout JSONValue, _ key: String, _ body: (inout JSONValue) -> Void) {
        guard case .object? = object[key] else { return }
        var member = object[key]!
        body(&member)
        object[key] = member
    }

    /// Runs `body` on the member `key`, creating it as `{}` when absent.
    static func withMember(_ object: inout JSONValue, _ key: String, _ body: (inout JSONValue) -> Void) {
        guard case .object = object else { return }
        var member = object[key] ?? [:]
        if member == .null { member = [:] }
        body(&member)
        object[key] = member
    }
}
