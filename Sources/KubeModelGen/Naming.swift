/// How OpenAPI schema names become Swift names.
///
/// `io.k8s.api.<package>.<version>.<Name>` → `<Package>.<Version>.<Name>`
/// (`io.k8s.api.apps.v1.Deployment` → `Apps.V1.Deployment`), with the package
/// spelled as in ``packageNames``; `meta/v1` → `Meta.V1`; `version.Info` →
/// `Version.Info`. Files go to `<package>/<version>/<Name>.swift`.
enum Naming {
    /// Go package → namespace enum. `node.k8s.io` is `NodeAPI` because `Node` is a kind.
    static let packageNames: [String: String] = [
        "admissionregistration": "AdmissionRegistration", "apiextensions": "APIExtensions",
        "apiregistration": "APIRegistration", "apiserverinternal": "APIServerInternal", "apps": "Apps",
        "authentication": "Authentication", "authorization": "Authorization", "autoscaling": "Autoscaling",
        "batch": "Batch", "certificates": "Certificates", "coordination": "Coordination", "core": "Core",
        "discovery": "Discovery", "events": "Events", "flowcontrol": "FlowControl", "meta": "Meta",
        "networking": "Networking", "node": "NodeAPI", "policy": "Policy", "rbac": "RBAC", "resource": "Resource",
        "scheduling": "Scheduling", "storage": "Storage", "storagemigration": "StorageMigration", "version": "Version",
    ]

    /// Schemas that map to hand-written `KubeCore` / `KubeModels` types.
    static let mappedTypes: [String: String] = [
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": "ObjectMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta": "ListMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": "OwnerReference",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry": "ManagedFieldsEntry",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Status": "Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails": "StatusDetails",
        "io.k8s.apimachinery.pkg.apis.meta.v1.StatusCause": "StatusCause",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time": "Time",
        "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": "MicroTime",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "IntOrString",
        "io.k8s.apimachinery.pkg.api.resource.Quantity": "Quantity",
    ]

    /// Top-level names a generated typealias must not take.
    static let reservedTopLevel: Set<String> = Set(packageNames.values).union(mappedTypes.values).union([
        "APIResourceInfo", "Bookmark", "DeleteOptions", "DynamicObject", "FieldSchema", "FieldSelector", "FieldValidation",
        "GroupVersion", "GroupVersionKind", "GroupVersionResource", "JSONPatchOperation", "JSONValue", "KubeObject",
        "KubeRequest", "KubeResource", "LabelSelector", "ListOptions", "LogOptions", "ObjectList", "Patch",
        "PatchOptions", "PatchSchema", "Preconditions", "PropagationPolicy", "QueryItem", "RequestBuilder",
        "RequestError", "ResourceDescriptor", "ResourceVersionMatch", "SelectorError", "StatusReason", "WatchEvent",
        "WatchEventType", "WatchOptions", "WriteOptions", "Indirect", "QuantityError", "IntOrStringError",
        "BuiltinResources", "BuiltinPatchSchema", "BuiltinKinds", "Data", "Date", "URL", "String", "Int", "Int32", "Int64", "Bool",
        "Double", "Array", "Dictionary", "Set", "Error", "Result", "Never", "Type", "Protocol", "Self", "Any",
    ])

    struct TypeName: Hashable {
        /// Namespace path, `["Core", "V1"]`.
        var namespace: [String]
        var name: String
        /// `core/v1`.
        var folder: String
        var qualified: String { (namespace + [name]).joined(separator: ".") }
    }

    static func isVersion(_ text: Substring) -> Bool {
        text.hasPrefix("v") && text.count > 1 && text.dropFirst().first?.isNumber == true
            && text.allSatisfy { $0.isLetter || $0.isNumber }
    }

    /// `v1` → `V1`, `v1beta1` → `V1Beta1`, `v1alpha2` → `V1Alpha2`.
    static func versionName(_ version: Substring) -> String {
        var result = ""
        var upperNext = true
        for character in version {
            if upperNext, character.isLetter {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
                if character.isNumber { upperNext = true }
            }
        }
        return result
    }

    static func typeName(_ schemaName: String) throws -> TypeName {
        let parts = schemaName.split(separator: ".")
        guard parts.count >= 3, let name = parts.last else { throw GeneratorError("unexpected schema name \(schemaName)") }
        let last = parts[parts.count - 2]
        if isVersion(last) {
            let package = String(parts[parts.count - 3])
            guard let packageName = packageNames[package] else {
                throw GeneratorError("no namespace name for package \(package) (\(schemaName)); add it to Naming.packageNames")
            }
            return TypeName(namespace: [packageName, versionName(last)], name: String(name), folder: "\(package)/\(last)")
        }
        guard let packageName = packageNames[String(last)] else {
            throw GeneratorError("no namespace name for package \(last) (\(schemaName)); add it to Naming.packageNames")
        }
        return TypeName(namespace: [packageName], name: String(name), folder: String(last))
    }

    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public", "rethrows", "static",
        "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
        "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while",
        "Any", "as", "await", "false", "is", "nil", "self", "Self", "super", "throws", "true", "try", "_",
    ]

    /// A JSON member name as a Swift property name: `$ref` → `ref`,
    /// `x-kubernetes-list-type` → `xKubernetesListType`; `nil` when it needs no change.
    static func propertyName(_ key: String) -> String {
        var result = ""
        var upperNext = false
        for character in key {
            if character == "$" { continue }
            if character == "-" || character == "." {
                upperNext = !result.isEmpty
                continue
            }
            if upperNext {
                result += character.uppercased()
                upperNext = false
            } else {
                result.append(character)
            }
        }
        if result.first?.isNumber == true { result = "_" + result }
        return result.isEmpty ? "_field" : result
    }

    /// The identifier as written in code (backticks around keywords).
    static func escaped(_ name: String) -> String { keywords.contains(name) ? "`\(name)`" : name }
}
