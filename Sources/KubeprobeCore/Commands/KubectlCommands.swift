import ArgumentParser
import Foundation
import KubeClient
import KubeCore

struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Who the API server thinks you are (SelfSubjectReview).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "text or json.") var output: ReportFormat = .text

    func run() async throws {
        let settings = global.settings
        let tokenPath = settings.mode == .inCluster ? settings.serviceAccountDirectory + "/token" : nil
        try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).whoami(tokenPath: tokenPath, format: output)
        }
    }
}

struct CanICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "can-i", abstract: "May I VERB RESOURCE [NAME]? Prints yes or no; exits 0 for yes, 1 for no.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "get, list, watch, create, update, patch, delete, deletecollection, ...") var verb: String
    @Argument(help: "pods, deploy, leases.coordination.k8s.io, pods/log, ...") var resource: String
    @Argument(help: "An object name.") var name: String?

    func validate() throws {
        do { _ = try PermissionNeed(verb: verb, resource: resource, name: name) } catch { throw ValidationError(error.message) }
    }

    func run() async throws {
        let need = try PermissionNeed(verb: verb, resource: resource, name: name, namespace: global.namespace)
        let allowed = try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).canI(need).allowed
        }
        if !allowed { throw ExitCode(1) }
    }
}

struct GetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "List objects or get one, as kubectl does.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "pods, services, deploy, configmaps, ... any resource the server serves.") var resource: String
    @Argument(help: "An object name.") var name: String?
    @Flag(name: [.customShort("A"), .long], help: "Across all namespaces.") var allNamespaces = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "A label selector: app=web,tier!=cache") var selector: String?
    @Option(name: [.short, .long], help: "wide, json, yaml or name.") var output: String?

    func validate() throws {
        do {
            _ = try ObjectFormat(parsing: output)
            _ = try Kubectl.parseSelector(selector)
        } catch { throw ValidationError(error.message) }
        if allNamespaces && global.namespace != nil { throw ValidationError("-A and --namespace exclude each other") }
    }

    func run() async throws {
        let format = try ObjectFormat(parsing: output)
        let selector = try Kubectl.parseSelector(selector)
        try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).get(
                resource: resource, name: name, namespace: global.namespace, allNamespaces: allNamespaces, selector: selector, format: format)
        }
    }
}

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Print the current objects, then every change (table rows, or JSON lines with -o json).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The resource to watch.") var resource: String
    @Argument(help: "Only this object.") var name: String?
    @Flag(name: [.customShort("A"), .long], help: "Across all namespaces.") var allNamespaces = false
    @Option(name: [.customShort("l"), .customLong("selector")], help: "A label selector.") var selector: String?
    @Option(name: [.short, .long], help: "wide, json or name.") var output: String?
    @Option(name: .long, help: "Stop after this many seconds.") var timeout: Double?
    @Option(name: .long, help: "Stop after this many changes.") var count: Int?

    func validate() throws {
        do {
            let format = try ObjectFormat(parsing: output)
            if format == .yaml { throw ProbeError(.usage, "watch prints JSON lines, not YAML: use -o json") }
            _ = try Kubectl.parseSelector(selector)
        } catch let error as ProbeError { throw ValidationError(error.message) }
        if let timeout, timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let count, count <= 0 { throw ValidationError("--count must be positive") }
    }

    func run() async throws {
        let request = WatchRequest(
            resource: resource, name: name, namespace: global.namespace, allNamespaces: allNamespaces, selector: try Kubectl.parseSelector(selector),
            format: try ObjectFormat(parsing: output), duration: timeout.map { .milliseconds(Int64($0 * 1000)) }, maxEvents: count)
        _ = try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).watch(request) { note in
                FileHandle.standardError.write(Data("kubeprobe: \(note)\n".utf8))
            }
        }
    }
}

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Decode the mounted service account token's claims (without verifying it).")
    @OptionGroup var global: GlobalOptions
    @Option(name: .long, help: "A token file (default: the service account mount's token).") var file: String?
    @Option(name: [.short, .long], help: "text or json.") var output: ReportFormat = .text

    func run() async throws {
        let path = file ?? global.settings.serviceAccountDirectory + "/token"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ProbeError(.fileSystem, "cannot read the token at \(path) (not in a Pod? pass --file PATH, or set KUBEPROBE_SERVICEACCOUNT_DIR)")
        }
        let claims = try TokenClaims(jwt: String(decoding: data, as: UTF8.self))
        let console = Console()
        switch output {
        case .json:
            console.line(Kubectl.prettyJSON(claims))
        case .text:
            var rows: [[String]] = [["CLAIM", "VALUE"]]
            rows.append(["subject", claims.subject ?? ""])
            rows.append(["service account", "\(claims.namespace ?? "?")/\(claims.serviceAccount ?? "?")"])
            if let pod = claims.podName { rows.append(["bound pod", pod + (claims.podUID.map { " (\($0))" } ?? "")]) }
            if let node = claims.nodeName { rows.append(["node", node]) }
            rows.append(["issuer", claims.issuer ?? ""])
            rows.append(["audiences", claims.audiences.joined(separator: ", ")])
            if let issued = claims.issuedAt { rows.append(["issued", issued.iso8601]) }
            if let expires = claims.expiresAt, let left = claims.timeLeft() {
                rows.append(["expires", expires.iso8601 + " (" + (left > 0 ? formatInterval(left) + " left" : "expired") + ")"])
            } else {
                rows.append(["expires", "never (legacy Secret-based token)"])
            }
            for line in renderTable(rows) { console.line(line) }
            if let left = claims.timeLeft(), left > 0, left < 600 { console.line("⚠ the token expires in \(formatInterval(left))") }
        }
    }
}

struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply", abstract: "Server-side apply every object of a YAML or JSON file (field manager kubeprobe).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .customLong("filename")], help: "The file (- for standard input).") var file: String
    @Flag(name: .customLong("server-side"), help: "Use server-side apply (the only mode kubeprobe supports).") var serverSide = false
    @Flag(name: .customLong("force-conflicts"), help: "Take ownership of fields another manager owns.") var forceConflicts = false

    func validate() throws {
        guard serverSide else { throw ValidationError("kubeprobe only does server-side apply: add --server-side") }
    }

    func run() async throws {
        try await global.withClient { client in
            try await Kubectl(client: client, console: Console()).apply(file: file, force: forceConflicts, namespace: global.namespace)
        }
    }
}
