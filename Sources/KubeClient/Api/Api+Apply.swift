import KubeCore
import Logging

extension Api {
    /// Server-side apply of `intent` (see ``ApplyConfiguration``): a value built with only the fields
    /// this program sets; what only the server writes (`status`, `managedFields`, `resourceVersion`,
    /// ...) is never sent. Don't apply a fetched object as it is: extract this manager's fields with
    /// ``ApplyConfiguration/init(extracting:fieldManager:subresource:)`` instead.
    /// - Parameters:
    ///   - force: take over fields other managers own instead of failing with 409 Conflict.
    ///   - fieldManager: the owner of the applied fields; the client's ``ClientConfig/fieldManager``
    ///     (the program's name) when `nil`.
    public func apply(_ intent: K, force: Bool = false, fieldManager: String? = nil, logger: Logger? = nil) async throws -> K {
        let configuration: ApplyConfiguration<K>
        do { configuration = try ApplyConfiguration(intent) } catch { throw KubeError(.invalidRequest, "\(error)") }
        return try await apply(configuration, force: force, fieldManager: fieldManager, logger: logger)
    }

    /// Server-side apply of an ``ApplyConfiguration`` (to `subresource`, e.g. `status`, when given).
    public func apply(
        _ configuration: ApplyConfiguration<K>, force: Bool = false, fieldManager: String? = nil, subresource: String? = nil,
        logger: Logger? = nil
    ) async throws -> K {
        guard let name = configuration.name, !name.isEmpty else {
            throw KubeError(.invalidRequest, "an apply configuration needs metadata.name")
        }
        var json = configuration.json
        if json["apiVersion"] == nil { json["apiVersion"] = .string(resource.apiVersion) }
        if json["kind"] == nil { json["kind"] = .string(resource.kind) }
        let options = PatchOptions(fieldManager: fieldManager ?? client.config.fieldManager, force: force ? true : nil)
        let patch = Patch.apply(json)
        return try await call(
            try Self.built { () throws(RequestError) in try builder.patch(name, patch: patch, subresource: subresource, options: options) },
            logger: logger)
    }
}
