/// Owner references the garbage collector and controllers rely on (controller-runtime's
/// `controllerutil.SetControllerReference` / `SetOwnerReference`, metav1's `GetControllerOf`).
extension ObjectMeta {
    /// The owner reference with `controller: true`, if any (there is at most one).
    public var controllerReference: OwnerReference? { ownerReferences?.first { $0.controller == true } }

    /// Makes `owner` the controller of this object: an owner reference with `controller: true` and
    /// `blockOwnerDeletion: true` (so a foreground deletion of the owner waits for this object).
    /// Setting the same controller again updates its reference (a new uid, say).
    /// - Throws: ``OwnershipError`` when another object is already the controller
    ///   (``OwnershipError/Code/alreadyControlled``; there can only be one), or the reference
    ///   could never be honoured (see ``setOwnerReference(_:blockOwnerDeletion:)``).
    public mutating func setControllerReference<Owner: KubeResource>(_ owner: Owner) throws(OwnershipError) {
        let reference = try reference(to: owner, controller: true, blockOwnerDeletion: true)
        if let existing = controllerReference, !Self.sameObject(existing, reference) {
            throw OwnershipError(
                .alreadyControlled,
                "\(name ?? "the object") is already controlled by \(existing.kind) \(existing.name); it cannot also be controlled by \(Owner.kind) \(reference.name)")
        }
        upsert(reference)
    }

    /// Adds (or updates) a non-controller owner reference to `owner`: the object is garbage
    /// collected when every owner is gone. `blockOwnerDeletion` defaults to `true`, as
    /// controller-runtime's helpers set it. An existing controller flag for `owner` is kept.
    /// - Throws: ``OwnershipError`` when `owner` has no uid yet (create or get it first), or the
    ///   reference crosses namespaces (a namespaced owner can only own objects of its namespace,
    ///   and never a cluster-scoped one).
    public mutating func setOwnerReference<Owner: KubeResource>(_ owner: Owner, blockOwnerDeletion: Bool = true) throws(OwnershipError) {
        var reference = try reference(to: owner, controller: nil, blockOwnerDeletion: blockOwnerDeletion)
        if let existing = ownerReferences?.first(where: { Self.sameObject($0, reference) }) { reference.controller = existing.controller }
        upsert(reference)
    }

    /// `true` when `owner` is this object's controller (same group, kind, name and uid).
    public func isControlled<Owner: KubeResource>(by owner: Owner) -> Bool {
        guard let reference = controllerReference else { return false }
        return reference.kind == Owner.kind && Self.group(reference.apiVersion) == Owner.group
            && reference.name == owner.metadata.name && reference.uid == owner.metadata.uid
    }

    private func reference<Owner: KubeResource>(to owner: Owner, controller: Bool?, blockOwnerDeletion: Bool) throws(OwnershipError)
        -> OwnerReference
    {
        guard let ownerName = owner.metadata.name, !ownerName.isEmpty, let uid = owner.metadata.uid, !uid.isEmpty else {
            throw OwnershipError(.ownerNotPersisted, "the owner \(Owner.kind) has no name or uid yet: create it (or read it) before owning objects with it")
        }
        if Owner.namespaced {
            let objectNamespace = namespace ?? ""
            if objectNamespace.isEmpty {
                throw OwnershipError(.crossNamespace, "cluster-scoped \(name ?? "object") cannot be owned by namespaced \(Owner.kind) \(ownerName)")
            }
            if let ownerNamespace = owner.metadata.namespace, !ownerNamespace.isEmpty, ownerNamespace != objectNamespace {
                throw OwnershipError(
                    .crossNamespace,
                    "\(Owner.kind) \(ownerNamespace)/\(ownerName) cannot own \(name ?? "an object") in namespace \(objectNamespace): owners must be in the same namespace")
            }
        }
        return OwnerReference(
            apiVersion: Owner.apiVersion, kind: Owner.kind, name: ownerName, uid: uid, controller: controller,
            blockOwnerDeletion: blockOwnerDeletion)
    }

    private mutating func upsert(_ reference: OwnerReference) {
        var references = ownerReferences ?? []
        if let index = references.firstIndex(where: { Self.sameObject($0, reference) }) {
            references[index] = reference
        } else {
            references.append(reference)
        }
        ownerReferences = references
    }

    /// Same group, kind and name (versions may differ), as controller-runtime compares them.
    private static func sameObject(_ a: OwnerReference, _ b: OwnerReference) -> Bool {
        group(a.apiVersion) == group(b.apiVersion) && a.kind == b.kind && a.name == b.name
    }

    private static func group(_ apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }
}

/// Why an owner reference cannot be set.
public struct OwnershipError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, for comparisons (`error.code == .alreadyControlled`). New codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable { case alreadyControlled, ownerNotPersisted, crossNamespace }
        fileprivate let base: Base
        /// Another object is the controller already.
        public static let alreadyControlled = Code(base: .alreadyControlled)
        /// The owner has no uid (it was never created or read from the API).
        public static let ownerNotPersisted = Code(base: .ownerNotPersisted)
        /// The reference crosses namespaces, or a namespaced owner would own a cluster-scoped object.
        public static let crossNamespace = Code(base: .crossNamespace)
        public var description: String {
            switch base {
            case .alreadyControlled: "alreadyControlled"
            case .ownerNotPersisted: "ownerNotPersisted"
            case .crossNamespace: "crossNamespace"
            }
        }
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
