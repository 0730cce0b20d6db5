import Foundation
import KubeCore
import NIOHTTP1
import Testing
@testable import KubeTestServer

/// PodSecurity admission over TLS, as the recorded kube-apiserver v1.36 answers it (exchange 034):
/// namespace labels set the levels; pods are refused or warned about, workload templates warned about.
@Suite("PodSecurity admission", .timeLimit(.minutes(1)))
struct PodSecurityTests {
    func namespace(_ wire: Wire, _ name: String, _ labels: [String: String]) async throws {
        let body: JSONValue = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })]]
        #expect(try await wire.post("/api/v1/namespaces", body).status == 201)
        let account: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]]
        _ = try await wire.post("/api/v1/namespaces/\(name)/serviceaccounts", account)
    }

    func pod(_ name: String, spec: JSONValue) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)], "spec": spec]
    }

    static let plain: JSONValue = ["containers": [["name": "c", "image": "registry.example/busybox:1.36"]]]
    static let restrictedMessage =
        #"allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#

    @Test func restrictedRefusesAPlainPodAndAdmitsAHardenedOne() async throws {
        try await withServer { _, wire in
            try await namespace(wire, "locked", ["pod-security.kubernetes.io/enforce": "restricted"])
            let refused = try await wire.post("/api/v1/namespaces/locked/pods", pod("p1", spec: Self.plain))
            #expect(refused.status == 403)
            #expect(refused.statusObject?.message == "pods \"p1\" is forbidden: violates PodSecurity \"restricted:latest\": \(Self.restrictedMessage)")
            #expect(refused.statusObject?.details?.kind == "pods")
            let hardened: JSONValue = [
                "securityContext": ["runAsNonRoot": true, "seccompProfile": ["type": "RuntimeDefault"]],
                "containers": [["name": "c", "image": "registry.example/busybox:1.36",
                                "securityContext": ["allowPrivilegeEscalation": false, "capabilities": ["drop": ["ALL"], "add": ["NET_BIND_SERVICE"]]]]],
            ]
            let admitted = try await wire.post("/api/v1/namespaces/locked/pods", pod("p2", spec: hardened))
            #expect(admitted.status == 201)
            #expect(admitted.headers["Warning"].isEmpty)
        }
    }

    @Test func warnAdmitsWithAWarningAndTemplatesAreOnlyWarnedAbout() async throws {
        try await withServer { _, wire in
            try await namespace(wire, "watched", ["pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "v1.36"])
            let admitted = try await wire.post("/api/v1/namespaces/watched/pods", pod("p1", spec: Self.plain))
            #expect(admitted.status == 201)
            #expect(admitted.headers["Warning"] == ["299 - \"would violate PodSecurity \\\"restricted:v1.36\\\": \(Self.restrictedMessage.replacingOccurrences(of: "\"", with: "\\\""))\""])

            // Enforce applies to pods, never to a workload: its template is warned about (warn defaults to enforce).
            try await namespace(wire, "locked", ["pod-security.kubernetes.io/enforce": "baseline"])
            let deployment: JSONValue = [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                "spec": ["selector": ["matchLabels": ["app": "web"]],
                         "template": ["metadata": ["labels": ["app": "web"]],
                                      "spec": ["hostNetwork": true, "hostPID": true, "containers": [["name": "c", "image": "i"]]]]],
            ]
            let created = try await wire.post("/apis/apps/v1/namespaces/locked/deployments", deployment)
            #expect(created.status == 201)
            #expect(created.headers["Warning"] == [#"299 - "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true, hostPID=true)""#])
        }
    }

    @Test func baselineChecksAndKubesWording() async throws {
        try await withServer({ $0.allowsPrivileged = false }) { _, wire in
            try await namespace(wire, "base", ["pod-security.kubernetes.io/enforce": "baseline"])
            let spec: JSONValue = [
                "volumes": [["name": "host", "hostPath": ["path": "/var/log"]]],
                "containers": [
                    ["name": "a", "image": "i", "ports": [["containerPort": 80, "hostPort": 8080]],
                     "securityContext": ["capabilities": ["add": ["NET_ADMIN", "CHOWN"]]]],
                    ["name": "b", "image": "i", "securityContext": ["capabilities": ["add": ["SYS_TIME", "NET_ADMIN"]]]],
                ],
            ]
            let refused = try await wire.post("/api/v1/namespaces/base/pods", pod("busy", spec: spec))
            #expect(refused.status == 403)
            #expect(refused.statusObject?.message == #"pods "busy" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (containers "a", "b" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add), hostPath volumes (volume "host"), hostPort (container "a" uses hostPort 8080)"#)
            // A privileged container is refused by validation first (--allow-privileged is off), as in kube.
            let privileged = try await wire.post(
                "/api/v1/namespaces/base/pods", pod("priv", spec: ["containers": [["name": "c", "image": "i", "securityContext": ["privileged": true]]]]))
            #expect(privileged.status == 422)
            #expect(privileged.statusObject?.message == "Pod \"priv\" is invalid: spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy")
        }
        // With --allow-privileged (the default here, as in kubeadm and kind) it is PodSecurity that refuses it.
        try await withServer { _, wire in
            try await namespace(wire, "base", ["pod-security.kubernetes.io/enforce": "baseline"])
            let privileged = try await wire.post(
                "/api/v1/namespaces/base/pods", pod("priv", spec: ["containers": [["name": "c", "image": "i", "securityContext": ["privileged": true]]]]))
            #expect(privileged.statusObject?.message == #"pods "priv" is forbidden: violates PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)"#)
        }
    }

    @Test func namespaceLabelsAreValidatedAndAStricterLevelWarnsAboutExistingPods() async throws {
        try await withServer { _, wire in
            try await namespace(wire, "moving", [:])
            for name in ["p1", "p2"] { #expect(try await wire.post("/api/v1/namespaces/moving/pods", pod(name, spec: Self.plain)).status == 201) }
            let path = "/api/v1/namespaces/moving"
            func label(_ labels: String) async throws -> WireResponse {
                try await wire.request(.PATCH, path, body: Data(#"{"metadata":{"labels":{\#(labels)}}}"#.utf8), contentType: "application/merge-patch+json")
            }
            let badLevel = try await label(#""pod-security.kubernetes.io/enforce":"no-such-level""#)
            #expect(badLevel.status == 422)
            #expect(badLevel.statusObject?.message == #"Namespace "moving" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "no-such-level": must be one of privileged, baseline, restricted"#)
            let badVersion = try await label(#""pod-security.kubernetes.io/warn-version":"1.2""#)
            #expect(badVersion.statusObject?.details?.causes?.first?.message == #"Invalid value: "1.2": must be "latest" or "v1.x""#)

            let stricter = try await label(#""pod-security.kubernetes.io/enforce":"restricted""#)
            #expect(stricter.status == 200)
            #expect(stricter.headers["Warning"] == [
                #"299 - "existing pods in namespace \"moving\" violate the new PodSecurity enforce level \"restricted:latest\"""#,
                #"299 - "p1 (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile""#,
            ])
        }
    }
}
