import Crypto
import Foundation
import KubeClient
import KubeCore
import KubeModels
import KubeRuntime
import Logging
import UnixSignals

/// A watch-based controller for a Pod: keeps a cache of the ConfigMaps of its own
/// namespace with a ``Watcher`` (list, then watch, resumed across failures), and reports
/// what it went through. It uses the default in-cluster configuration and nothing else.
///
/// Usage: `ConfigMapCache [--marker NAME] [--duration SECONDS] [--list-every-ms N] [--watch-timeout SECONDS]`
/// - When the ConfigMap `--marker` appears (or on SIGTERM/SIGINT, or after `--duration`),
///   it prints one JSON report line and exits: the cache digest (SHA-256 of the sorted
///   `name=resourceVersion` lines, the marker excluded), the disruptions it lived through
///   (from the last event before a connection failure to the first event after
///   recovery), the failures the watcher recovered from, and the errors that reached
///   this application: API errors a retry does not fix (401, 403, 404, decoding, TLS),
///   each also printed to stderr as `error: ...`.
/// - `--list-every-ms` adds a loop of `list` calls (constant request traffic); each
///   failed list is an error reaching the application.
@main
struct ConfigMapCache {
    static func main() async {
        var logger = Logger(label: "configmap-cache")
        logger.logLevel = .warning
        let options: Options
        do { options = try Options(CommandLine.arguments.dropFirst()) } catch {
            FileHandle.standardError.write(Data("usage: \(error)\n".utf8))
            exit(2)
        }
        let client: KubeClient
        do {
            client = try KubeClient(config: try ClientConfig.inCluster(), logger: logger)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
        let state = CacheState(marker: options.marker)
        let api = Api<ConfigMap>.default(client)
        var config = WatcherConfig()
        if let seconds = options.watchTimeout { config.watchTimeout = .seconds(seconds) }
        let watcher = Watcher(api: api, config: config, logger: logger, onError: { error in if let kubeError = error.kubeError { state.failed(kubeError) } })

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var synced = false
                for await event in watcher {
                    if state.apply(event) { return }  // the marker arrived
                    if !synced, case .initDone = event {
                        synced = true
                        FileHandle.standardOutput.write(Data("synced\n".utf8))
                    }
                }
            }
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) { return }
            }
            if let duration = options.duration {
                group.addTask { try? await Task.sleep(for: .seconds(duration)) }
            }
            if let interval = options.listEveryMilliseconds {
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            _ = try await api.list(ListOptions(limit: 100))
                            state.listed(nil)
                        } catch is CancellationError {
                            return
                        } catch {
                            if Task.isCancelled { return }
                            state.listed(error)
                        }
                        try? await Task.sleep(for: .milliseconds(interval))
                    }
                }
            }
            await group.next()
            group.cancelAll()
        }
        FileHandle.standardOutput.write(Data((state.report() + "\n").utf8))
        try? await client.shutdown()
        exit(0)
    }
}

struct UsageError: Error, CustomStringConvertible {
    let description: String
}

struct Options {
    var marker: String?
    var duration: Double?
    var listEveryMilliseconds: Int?
    var watchTimeout: Int?

    init(_ arguments: ArraySlice<String>) throws {
        var arguments = arguments
        while let flag = arguments.popFirst() {
            guard let value = arguments.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--marker": marker = value
            case "--duration": duration = try Self.number(value, flag)
            case "--list-every-ms": listEveryMilliseconds = Int(try Self.number(value, flag))
            case "--watch-timeout": watchTimeout = Int(try Self.number(value, flag))
            default: throw UsageError(description: "unknown option \(flag)")
            }
        }
    }

    static func number(_ text: String, _ flag: String) throws -> Double {
        guard let value = Double(text), value > 0 else { throw UsageError(description: "\(flag) wants a positive number") }
        return value
    }
}
