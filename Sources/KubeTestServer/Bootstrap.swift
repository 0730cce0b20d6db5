import APIServerSemantics
import Foundation
import KubeCore

/// The objects a fresh cluster has: the bootstrap RBAC policy, the four system namespaces (each gets its
/// `default` ServiceAccount and `kube-root-ca.crt`), and the `kubernetes` Service with
/// its Endpoints and EndpointSlice.
enum Bootstrap {
    static func run(_ server: KubeTestServer) async throws {
        // kube-apiserver's bootstrap RBAC policy: cluster-admin for system:masters, discovery,
        // basic-user and public-info-viewer for everyone authenticated.
        if server.api.registry.resource(group: "rbac.authorization.k8s.io", version: "v1", plural: "clusterroles") != nil {
            for object in RBACBootstrap.clusterRoles + RBACBootstrap.clusterRoleBindings {
                try await server.apply(object)
            }
        }
        for namespace in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            try await server.apply(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
        }
        let port = server.listeners[0].port
        let labels: JSONValue = ["component": "apiserver", "provider": "kubernetes"]
        try await server.apply([
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": labels],
            "spec": [
                "type": "ClusterIP", "clusterIP": .string(server.configuration.serviceClusterIP),
                "clusterIPs": [.string(server.configuration.serviceClusterIP)],
                "ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": .int(Int64(port))]],
                "sessionAffinity": "None",
            ],
        ])
        try await publishEndpoints(server)
    }

    /// Writes the `kubernetes` Endpoints and EndpointSlice: the published advertise
    /// addresses whose listener (same index) is running and not in `down`.
    static func publishEndpoints(_ server: KubeTestServer, down: Set<Int> = []) async throws {
        let port = server.listeners[0].port
        let advertised = server.configuration.advertiseAddresses.enumerated().filter { index, _ in
            !down.contains(index) && (!server.listeners.indices.contains(index) || server.listeners[index].isRunning)
        }.map(\.element)
        let published = publishedAddresses(advertised, logger: server.configuration)
        var endpoints: JSONValue = ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]]]
        if !published.isEmpty {
            endpoints["subsets"] = [[
                "addresses": .array(published.map { ["ip": .string($0)] }),
                "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
            ]]
        }
        try await server.apply(endpoints)
        let family = published.first.map { IPAddress.isIPv6($0) ? "IPv6" : "IPv4" } ?? "IPv4"
        try await server.apply([
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "kubernetes", "namespace": "default",
                         "labels": ["kubernetes.io/service-name": "kubernetes", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"]],
            "addressType": .string(family),
            "endpoints": .array(published.filter { (IPAddress.isIPv6($0) ? "IPv6" : "IPv4") == family }.map {
                ["addresses": [.string($0)], "conditions": ["ready": true, "serving": true, "terminating": false]]
            }),
            "ports": [["name": "https", "port": .int(Int64(port)), "protocol": "TCP"]],
        ])
    }

    /// The advertise addresses kube-apiserver would publish: IP literals that are not loopback.
    static func publishedAddresses(_ addresses: [String], logger configuration: KubeTestServer.Configuration) -> [String] {
        addresses.filter { address in
            guard IPAddress.parse(address) != nil else {
                configuration.logger.warning("advertise address is not an IP address; not published", metadata: ["address": "\(address)"])
                return false
            }
            if IPAddress.isLoopback(address) {
                configuration.logger.warning("refusing to publish a loopback advertise address in the kubernetes endpoints", metadata: ["address": "\(address)"])
                return false
            }
            return true
        }
    }
}
