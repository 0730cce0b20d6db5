import Foundation
import KubeClient
import KubeCore
import KubeModels
import Logging

/// Makes a given number of ConfigMap changes (creates, updates, deletes, seeded random)
/// in one namespace at a steady rate, as the admin of a kubeconfig. Prints `progress N`
/// every 50 changes and `done N` at the end; a change that fails on the connection is
/// retried (a retried create that already happened counts as done).
///
/// Usage: `ConfigMapWriter --kubeconfig PATH --namespace NS [--count 1000] [--rate 50] [--seed 1]`
@main
struct ConfigMapWriter {
    static func main() async {
        var logger = Logger(label: "configmap-writer")
        logger.logLevel = .warning
        do {
            let options = try Options(CommandLine.arguments.dropFirst())
            let client = try KubeClient(config: try ClientConfig.kubeconfig(paths: [options.kubeconfig]), logger: logger)
            let api = Api<ConfigMap>.namespaced(client, options.namespace)
            var generator = SplitMix64(seed: options.seed)
            var existing = Set<String>()
            let interval = Duration.seconds(1) / options.rate
            let start = ContinuousClock.now
            for change in 0..<options.count {
                try await ContinuousClock().sleep(until: start + interval * change)
                let name = "cm-\(generator.next() % 300)"
                let value = "change-\(change)"
                if !existing.contains(name) {
                    try await retrying { _ = try await api.create(ConfigMap(data: ["value": value], metadata: ObjectMeta(name: name))) }
                    existing.insert(name)
                } else if generator.next() % 5 == 0 {
                    try await retrying { _ = try await api.delete(name) }
                    existing.remove(name)
                } else {
                    try await retrying { _ = try await api.replace(name, ConfigMap(data: ["value": value], metadata: ObjectMeta(name: name))) }
                }
                if (change + 1) % 50 == 0 { say("progress \(change + 1)") }
            }
            say("done \(options.count)")
            try await client.shutdown()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }

    static func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

    /// Retries connection failures for up to 30 s; `AlreadyExists`/`NotFound` after a retry mean the first attempt landed.
    static func retrying(_ body: @Sendable () async throws -> Void) async throws {
        var attempt = 0
        while true {
            do {
                try await body()
                return
            } catch let error as KubeError where attempt > 0 && (error.isAlreadyExists || error.isNotFound) {
                return
            } catch let error as KubeError where error.code == .transport || error.code == .timeout || (error.statusCode ?? 0) >= 500 {
                attempt += 1
                if attempt > 150 { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}

struct Options {
    var kubeconfig = ""
    var namespace = ""
    var count = 1000
    var rate = 50
    var seed: UInt64 = 1

    init(_ arguments: ArraySlice<String>) throws {
        var arguments = arguments
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--kubeconfig": kubeconfig = value
            case "--namespace": namespace = value
            case "--count": count = try Self.positive(value, flag)
            case "--rate": rate = try Self.positive(value, flag)
            case "--seed": seed = UInt64(try Self.positive(value, flag))
            default: throw UsageError(description: "unknown option \(flag)")
            }
        }
        if kubeconfig.isEmpty || namespace.isEmpty { throw UsageError(description: "--kubeconfig and --namespace are required") }
    }

    static func positive(_ text: String, _ flag: String) throws -> Int {
        guard let value = Int(text), value > 0 else { throw UsageError(description: "\(flag) wants a positive integer") }
        return value
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
}

/// A small seeded generator, so a run can be repeated.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
