import Foundation
import KubeClient
import KubeCore
import KubeModels

// The smallest in-cluster program: read the pod's service account and environment,
// list the pods in its namespace once, print how many, exit. `kube-bench cold-start`
// measures its exec→exit wall time and peak RSS.
//
// Usage: kube-bench-coldstart [SERVICE-ACCOUNT-DIR]  (default: the kubelet's mount)
let directory = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ClientConfig.defaultServiceAccountDirectory
do {
    let config = try ClientConfig.inCluster(serviceAccountDirectory: directory)
    let count = try await withKubeClient(config) { client in
        try await Api<Pod>.namespaced(client, client.namespace).list().items.count
    }
    print(count)
} catch {
    FileHandle.standardError.write(Data("kube-bench-coldstart: \(error)\n".utf8))
    exit(1)
}
