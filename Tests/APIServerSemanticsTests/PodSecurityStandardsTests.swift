import APIServerSemantics
import KubeCore
import Testing

@Suite("Pod Security Standards", .timeLimit(.minutes(1)))
struct PodSecurityStandardsTests {
    typealias Standards = PodSecurityStandards

    func reasons(_ level: Standards.Level, _ spec: JSONValue) -> [String] { Standards.evaluate(level, spec: spec).map(\.description) }

    @Test func restrictedRunsEveryCheckInKubesOrder() {
        let spec: JSONValue = [
            "hostNetwork": true,
            "securityContext": ["runAsNonRoot": false, "runAsUser": 0, "seccompProfile": ["type": "Unconfined"], "sysctls": [["name": "kernel.msgmax", "value": "1"]]],
            "volumes": [["name": "h", "hostPath": ["path": "/"]], ["name": "n", "nfs": ["server": "s", "path": "/"]], ["name": "ok", "emptyDir": [:]]],
            "containers": [["name": "c", "image": "i", "securityContext": ["procMount": "Unmasked", "seLinuxOptions": ["type": "spc_t", "user": "u"]]]],
        ]
        #expect(reasons(.restricted, spec) == [
            #"allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false)"#,
            #"unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"])"#,
            "host namespaces (hostNetwork=true)",
            #"procMount (container "c" must not set securityContext.procMount to "Unmasked")"#,
            #"restricted volume types (volumes "h", "n" use restricted volume types "hostPath", "nfs")"#,
            "runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)",
            "runAsUser=0 (pod must not set runAsUser=0)",
            #"seLinuxOptions (container "c" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)"#,
            #"seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#,
            "forbidden sysctls (kernel.msgmax)",
        ])
        // Baseline: its own seccomp and capabilities checks, no restricted ones.
        #expect(reasons(.baseline, spec).contains(#"seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")"#))
        #expect(!reasons(.baseline, spec).contains { $0.hasPrefix("runAsNonRoot") || $0.hasPrefix("restricted volume types") })
        #expect(reasons(.privileged, spec).isEmpty)
    }

    @Test func containerSettingsCoverThePodAndWindowsIsExempt() {
        let hardened: JSONValue = [
            "securityContext": ["runAsNonRoot": true, "seccompProfile": ["type": "Localhost", "localhostProfile": "p.json"]],
            "initContainers": [["name": "init", "image": "i", "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]]],
            "containers": [["name": "c", "image": "i", "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]]]]],
        ]
        #expect(reasons(.restricted, hardened).isEmpty)
        var mixed = hardened
        mixed["securityContext"] = [:]
        mixed["containers"] = [["name": "c", "image": "i", "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]],
                                                                            "runAsNonRoot": false, "seccompProfile": ["type": "RuntimeDefault"]]]]
        #expect(reasons(.restricted, mixed) == [
            #"runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)"#,
            #"seccompProfile (pod or container "init" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#,
        ])
        let windows: JSONValue = ["os": ["name": "windows"], "securityContext": ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]],
                                  "containers": [["name": "c", "image": "i"]]]
        #expect(reasons(.restricted, windows).isEmpty)
    }

    @Test func podAndContainersSettingTheSameValueAreNamedTogether() {
        let bad: JSONValue = ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"]], "runAsNonRoot": false, "runAsUser": 0,
                              "seccompProfile": ["type": "Unconfined"], "seLinuxOptions": ["role": "r"], "windowsOptions": ["hostProcess": true]]
        let spec: JSONValue = [
            "securityContext": ["runAsNonRoot": false, "runAsUser": 0, "seccompProfile": ["type": "Unconfined"], "seLinuxOptions": ["type": "spc_t"],
                                "windowsOptions": ["hostProcess": true]],
            "containers": [["name": "a", "image": "i", "securityContext": bad], ["name": "ok", "image": "i"], ["name": "b", "image": "i", "securityContext": bad]],
        ]
        let who = #"pod and containers "a", "b""#
        #expect(reasons(.restricted, spec).filter { !$0.hasPrefix("allowPrivilegeEscalation") && !$0.hasPrefix("unrestricted") } == [
            "hostProcess (\(who) must not set securityContext.windowsOptions.hostProcess=true)",
            "runAsNonRoot != true (\(who) must not set securityContext.runAsNonRoot=false)",
            "runAsUser=0 (\(who) must not set runAsUser=0)",
            #"seLinuxOptions ("# + who + #" set forbidden securityContext.seLinuxOptions: type "spc_t"; role may not be set)"#,
            #"seccompProfile ("# + who + #" must not set securityContext.seccompProfile.type to "Unconfined")"#,
        ])
        #expect(reasons(.baseline, spec).contains(#"seccompProfile ("# + who + #" must not set securityContext.seccompProfile.type to "Unconfined")"#))
    }

    @Test func labelsNameALevelAndAVersion() {
        #expect(Standards.policy(["pod-security.kubernetes.io/enforce": "baseline"], mode: "enforce")?.description == "baseline:latest")
        #expect(Standards.policy(["pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.30"], mode: "warn")?.description == "restricted:v1.30")
        #expect(Standards.policy([:], mode: "enforce") == nil)
        for bad in ["v1.+3", "v1.03", "v1.", "v2.1", "1.30"] { #expect(!Standards.isVersion(bad), "\(bad)") }
        #expect(Standards.isVersion("v1.0") && Standards.isVersion("v1.36"))
        #expect(Standards.validateLabels(["pod-security.kubernetes.io/audit": "strict", "pod-security.kubernetes.io/audit-version": "v2.0"]).map(\.field) == [
            "metadata.labels[pod-security.kubernetes.io/audit]", "metadata.labels[pod-security.kubernetes.io/audit-version]",
        ])
    }
}
