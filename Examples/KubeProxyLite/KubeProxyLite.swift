import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime
import Logging
import ServiceLifecycle

/// kube-proxy's job for one Service, in iptables mode: reads the Service's ClusterIP
/// and port, watches its EndpointSlices with an informer, and rewrites the NAT chains
/// whenever the ready endpoints change (an endpoint gone → its rule goes; back → it returns).
///
/// Usage: `KubeProxyLite [--kubeconfig PATH] [--service default/kubernetes] [--exec-prefix "ip netns exec ks-pod"] [--cluster-ip IP]`
/// `--exec-prefix` runs `iptables`/`iptables-restore` through a prefix, so the rules can be
/// programmed into another network namespace (the simulated pod's). Prints one
/// `synced endpoints=<ip:port,...>` line per applied change.
@main
struct KubeProxyLite {
    static func main() async {
        var logger = Logger(label: "kube-proxy-lite")
        logger.logLevel = .info
        do {
            let options = try Options(CommandLine.arguments.dropFirst())
            let config = try options.kubeconfig.map { try ClientConfig.kubeconfig(paths: [$0]) } ?? ClientConfig.inCluster()
            let client = try KubeClient(config: config, logger: logger)
            let service = try await Api<Core.V1.Service>.namespaced(client, options.namespace).get(options.name)
            guard let clusterIP = options.clusterIP ?? service.spec?.clusterIP, let servicePort = service.spec?.ports?.first else {
                throw Failure("service \(options.namespace)/\(options.name) has no ClusterIP or no port")
            }
            let portName = servicePort.name ?? ""
            let iptables = IPTables(prefix: options.execPrefix)
            let selector = try LabelSelector(parsing: "kubernetes.io/service-name=\(options.name)")
            let informer = Informer(
                api: Api<EndpointSlice>.namespaced(client, options.namespace), config: WatcherConfig(labelSelector: selector), logger: logger)
            let syncer = Syncer(
                informer: informer, iptables: iptables, portName: portName,
                base: ServiceRules(
                    servicePortName: "\(options.namespace)/\(options.name):\(portName)", clusterIP: clusterIP, port: Int(servicePort.port),
                    endpoints: []),
                logger: logger)
            // SIGTERM cancels: the informer's watch ends at once (kube-proxy leaves its rules in place on exit).
            let group = ServiceGroup(
                configuration: .init(
                    services: [
                        .init(service: informer, successTerminationBehavior: .gracefullyShutdownGroup),
                        .init(service: syncer, successTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                    cancellationSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
            try await client.shutdown()
        } catch {
            logger.error("kube-proxy-lite: \(error)")
            exit(1)
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct Options {
    var kubeconfig: String?
    var namespace = "default"
    var name = "kubernetes"
    var execPrefix: [String] = []
    /// Overrides the Service's ClusterIP (a virtual one for a cluster whose own is elsewhere).
    var clusterIP: String?

    init(_ arguments: ArraySlice<String>) throws {
        var arguments = arguments
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { throw Failure("\(flag) needs a value") }
            switch flag {
            case "--kubeconfig": kubeconfig = value
            case "--service":
                let parts = value.split(separator: "/").map(String.init)
                guard parts.count == 2 else { throw Failure("--service wants NAMESPACE/NAME") }
                (namespace, name) = (parts[0], parts[1])
            case "--exec-prefix": execPrefix = value.split(separator: " ").map(String.init)
            case "--cluster-ip": clusterIP = value
            default: throw Failure("unknown option \(flag)")
            }
        }
    }
}

/// Applies the rules after every informer change (and once at start).
struct Syncer: ServiceLifecycle.Service {
    let informer: Informer<EndpointSlice>
    let iptables: IPTables
    let portName: String
    let base: ServiceRules
    let logger: Logger

    func run() async throws {
        await informer.waitUntilSynced()
        var applied: ServiceRules?
        var hooked = false
        for await _ in informer.subscribe().cancelOnGracefulShutdown() {
            // Coalesce: the informer's store already holds the newest state.
            var rules = base
            rules.endpoints = readyEndpoints()
            if rules == applied { continue }
            let stale = (applied?.endpoints ?? []).filter { !rules.endpoints.contains($0) }.map(rules.endpointChain)
            do {
                try iptables.restore(rules.restoreInput(staleEndpointChains: stale))
                if !hooked {
                    try iptables.ensureJump(table: "nat")
                    try iptables.ensureJump(table: "filter")
                    hooked = true
                }
                applied = rules
                FileHandle.standardOutput.write(Data("synced endpoints=\(rules.endpoints.joined(separator: ","))\n".utf8))
            } catch {
                logger.error("applying the rules failed: \(error)")
            }
        }
    }

    /// `ip:port` of every ready endpoint address of the informer's slices, for this port.
    func readyEndpoints() -> [String] {
        var result = Set<String>()
        for slice in informer.store.list() where slice.addressType == "IPv4" {
            guard let port = slice.ports?.first(where: { ($0.name ?? "") == portName })?.port else { continue }
            for endpoint in slice.endpoints ?? [] where endpoint.conditions?.ready ?? true {
                for address in endpoint.addresses { result.insert("\(address):\(port)") }
            }
        }
        return result.sorted()
    }
}

/// Runs `iptables-restore` and `iptables`, optionally through a prefix (`ip netns exec NS`).
struct IPTables {
    let prefix: [String]

    func restore(_ input: String) throws {
        try run(["iptables-restore", "--noflush"], input: input)
    }

    /// kube-proxy's jump from OUTPUT into KUBE-SERVICES (traffic starts in this namespace).
    func ensureJump(table: String) throws {
        let rule = ["OUTPUT", "-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]
        if (try? run(["iptables", "-w", "-t", table, "-C"] + rule)) != nil { return }
        try run(["iptables", "-w", "-t", table, "-I"] + rule)
    }

    private func run(_ command: [String], input: String? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = prefix + command
        let stdin = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardError = stderr
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\((prefix + command).joined(separator: " ")) exited \(process.terminationStatus): \(message)")
        }
    }
}
