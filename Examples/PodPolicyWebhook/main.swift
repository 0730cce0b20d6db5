// pod-policy-webhook: a mutating webhook that labels Pods and gives containers default
// resource requests, and a validating one that refuses `:latest` images.
// Configuration (webhooks.yaml) points kube-apiserver at Service pod-policy/pod-policy.
//
// Environment: CERT_DIR (tls.crt, tls.key; default /tmp/k8s-webhook-server/serving-certs),
// HOST (default 0.0.0.0), PORT (default 9443; 0 picks a free one). Prints `listening on port N` once serving.
import Foundation
import KubeCore
import KubeModels
import KubeWebhooks
import Logging
import ServiceLifecycle

let environment = ProcessInfo.processInfo.environment
let directory = environment["CERT_DIR"] ?? WebhookServer.Configuration.defaultCertificateDirectory
let port = Int(environment["PORT"] ?? "") ?? 9443
let host = environment["HOST"] ?? "0.0.0.0"
let logger = Logger(label: "pod-policy-webhook")

/// The label every admitted Pod carries.
let checkedLabel = "policy.example.com/checked"
/// Requests for containers that set none.
let defaultRequests = ["cpu": "100m", "memory": "64Mi"]

let addDefaults = Webhook.mutate(Pod.self, path: "/mutate-pods", name: "pod-defaults") { _, pod in
    pod.metadata.labels = (pod.metadata.labels ?? [:]).merging([checkedLabel: "true"]) { _, new in new }
    guard var spec = pod.spec else { return }
    for index in spec.containers.indices where (spec.containers[index].resources?.requests ?? [:]).isEmpty {
        var resources = spec.containers[index].resources ?? .init()
        resources.requests = try defaultRequests.mapValues { try Quantity($0) }
        spec.containers[index].resources = resources
    }
    pod.spec = spec
}

let denyLatest = Webhook.validate(Pod.self, path: "/validate-pods", name: "deny-latest") { request in
    let containers = (request.object?.spec?.containers ?? []) + (request.object?.spec?.initContainers ?? [])
    let unpinned = containers.compactMap(\.image).filter { image in
        // No tag (or `:latest`) means whatever `latest` is today.
        let name = image.split(separator: "/").last.map(String.init) ?? image
        return image.hasSuffix(":latest") || (!name.contains(":") && !image.contains("@"))
    }
    guard unpinned.isEmpty else { return .deny("images must be pinned to a tag or digest, not latest: \(unpinned.joined(separator: ", "))") }
    return .allow
}

let server = WebhookServer(
    configuration: .init(
        host: host, port: port, certificateFile: directory + "/tls.crt", keyFile: directory + "/tls.key"),
    webhooks: [addDefaults, denyLatest], logger: logger)

let announce = Task {
    let bound = try await server.listeningPort()
    // Unbuffered, so a supervisor reading a file sees it at once.
    FileHandle.standardOutput.write(Data("listening on port \(bound)\n".utf8))
}
try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
_ = await announce.result
