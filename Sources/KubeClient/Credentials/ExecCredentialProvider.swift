import Foundation
import KubeCore
import Logging

/// Runs a client-go credential plugin and caches its `ExecCredential` token until its
/// `expirationTimestamp` (or forever when it has none), running it again after a 401.
actor ExecCredentialProvider {
    private let config: ExecConfig
    private let server: String
    private var cached: (token: String, expiry: Date?)?

    init(config: ExecConfig, server: String) {
        self.config = config
        self.server = server
    }

    func token(logger: Logger) async throws(KubeError) -> String {
        if let cached, cached.expiry.map({ $0.timeIntervalSinceNow > 10 }) ?? true { return cached.token }
        let credential = try await run(logger: logger)
        cached = credential
        return credential.token
    }

    func invalidate() { cached = nil }

    private struct ExecCredential: Decodable {
        struct CredentialStatus: Decodable {
            var token: String?
            var expirationTimestamp: Time?
            var clientCertificateData: String?
        }
        var apiVersion: String?
        var kind: String?
        var status: CredentialStatus?
    }

    private func run(logger: Logger) async throws(KubeError) -> (token: String, expiry: Date?) {
        if config.interactiveMode == .always {
            throw KubeError.credentials("exec plugin \(config.command) needs an interactive terminal (interactiveMode: Always), which this client never has")
        }
        let process = Process()
        if config.command.contains("/") {
            process.executableURL = URL(fileURLWithPath: config.command)
            process.arguments = config.args
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [config.command] + config.args
        }
        var environment = ProcessInfo.processInfo.environment
        for variable in config.env { environment[variable.name] = variable.value }
        environment["KUBERNETES_EXEC_INFO"] = execInfo()
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice

        let hint = config.installHint.map { "\n\($0)" } ?? ""
        let status: Int32
        let output: Data
        do {
            (status, output) = try await withCheckedThrowingContinuation { continuation in
                // Read stdout on its own thread so a chatty plugin cannot fill the pipe and block.
                let reader = Thread {
                    let data = stdout.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(returning: (process.terminationStatus, data))
                }
                do {
                    try process.run()
                    reader.start()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } catch {
            throw KubeError.credentials("exec plugin \(config.command) could not be started: \(error.localizedDescription)\(hint)")
        }
        guard status == 0 else {
            let message = String(decoding: stderr.fileHandleForReading.availableData.prefix(500), as: UTF8.self)
            throw KubeError.credentials("exec plugin \(config.command) exited with status \(status): \(message)\(hint)")
        }
        let credential: ExecCredential
        do { credential = try JSONDecoder().decode(ExecCredential.self, from: output) } catch {
            throw KubeError.credentials("exec plugin \(config.command) did not print an ExecCredential: \(DecodingPath.describe(error))")
        }
        guard credential.kind == "ExecCredential", credential.apiVersion == config.apiVersion else {
            throw KubeError.credentials(
                "exec plugin \(config.command) printed \(credential.apiVersion ?? "?") \(credential.kind ?? "?"), expected \(config.apiVersion) ExecCredential")
        }
        guard let token = credential.status?.token, !token.isEmpty else {
            if credential.status?.clientCertificateData != nil {
                throw KubeError.credentials("exec plugin \(config.command) returned a client certificate; only token credentials are supported")
            }
            throw KubeError.credentials("exec plugin \(config.command) returned no status.token")
        }
        let expiry = credential.status?.expirationTimestamp?.date
        logger.debug("exec plugin returned a credential", metadata: ["command": "\(config.command)", "expires": "\(expiry.map { "\($0)" } ?? "never")"])
        return (token.trimmingCharacters(in: .whitespacesAndNewlines), expiry)
    }

    /// `KUBERNETES_EXEC_INFO`: the ExecCredential spec the plugin may read.
    private func execInfo() -> String {
        var spec: [String: JSONValue] = ["interactive": false]
        if config.provideClusterInfo { spec["cluster"] = ["server": .string(server)] }
        let info: JSONValue = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": .object(spec)]
        let data = (try? JSONEncoder().encode(info)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
