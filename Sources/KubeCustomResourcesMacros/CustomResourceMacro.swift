import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// `@CustomResource(group:version:…)` on a struct holding `spec` (and any other top-level
/// fields): adds `metadata`, `status` (when `status:` names a type), the `KubeResource`
/// statics, the CRD options, the root schema, a memberwise `init` and the Codable code, and
/// conforms the struct to `CustomResource`.
public struct CustomResourceMacro: MemberMacro, ExtensionMacro {
    /// The arguments that are not forwarded into `CustomResourceOptions(…)`.
    static let own: Set<String> = ["group", "version", "kind", "plural", "namespaced", "status"]

    public static func expansion(
        of node: AttributeSyntax, providingMembersOf declaration: some DeclGroupSyntax, conformingTo protocols: [TypeSyntax],
        in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        guard let structure = declaration.as(StructDeclSyntax.self) else {
            context.diagnose(Diagnostic(
                node: Syntax(node),
                message: KubeMacroDiagnostic("@CustomResource applies to a struct (the resource, holding its 'spec')", id: "resource-target")))
            return []
        }
        let arguments: [(label: String?, expression: ExprSyntax)]
        if case .argumentList(let list)? = node.arguments {
            arguments = list.map { ($0.label?.text, $0.expression) }
        } else {
            arguments = []
        }
        func argument(_ label: String) -> ExprSyntax? { arguments.first { $0.label == label }?.expression }
        var ok = true
        func fail(_ node: some SyntaxProtocol, _ message: String, _ id: String) {
            context.diagnose(Diagnostic(node: Syntax(node), message: KubeMacroDiagnostic(message, id: id)))
            ok = false
        }
        // Literal names are checked here with kube-apiserver's rules, so the mistake shows at compile time.
        if let group = argument("group"), let text = group.as(StringLiteralExprSyntax.self)?.representedLiteralValue {
            if !text.contains(".") || !isDNSSubdomain(text) {
                fail(group, "the group '\(text)' must be a DNS subdomain with at least one dot (kube-apiserver: \"should be a domain with at least one dot\")", "group")
            }
        }
        if let version = argument("version"), let text = version.as(StringLiteralExprSyntax.self)?.representedLiteralValue, !isDNSLabel(text) {
            fail(version, "the version '\(text)' must be a DNS label (lower-case letters, digits and '-', like v1 or v1beta1)", "version")
        }
        let structName = structure.name.text
        if let kind = argument("kind"), let text = kind.as(StringLiteralExprSyntax.self)?.representedLiteralValue,
            text.first?.isUppercase != true || !text.allSatisfy({ $0.isLetter || $0.isNumber })
        {
            fail(kind, "the kind '\(text)' must be a CamelCase name (letters and digits, starting upper-case)", "kind")
        }
        if let plural = argument("plural"), let text = plural.as(StringLiteralExprSyntax.self)?.representedLiteralValue, !isDNSLabel(text) {
            fail(plural, "the plural '\(text)' must be lower-case (a DNS label), as in URLs: /apis/<group>/<version>/\(text.lowercased())", "plural")
        }
        var statusType: String?
        if let status = argument("status") {
            if let access = status.as(MemberAccessExprSyntax.self), access.declName.baseName.text == "self", let base = access.base {
                statusType = base.trimmedDescription
            } else if status.trimmedDescription != "nil" {
                fail(status, "status: takes a type, as in 'status: BackupStatus.self'", "status")
            }
        }
        let members = structure.memberBlock.members
        guard ok, var properties = StoredProperties.of(members, in: context) else { return [] }
        let declared = Set(properties.map(\.name))
        if !declared.contains("spec") {
            context.diagnose(Diagnostic(
                node: Syntax(structure.name),
                message: KubeMacroDiagnostic(
                    "'\(structName)' declares no 'spec': a custom resource's desired state goes in 'spec' (add 'var spec: \(structName)Spec')",
                    id: "no-spec", severity: .warning)))
        }
        let access = accessPrefix(structure.modifiers)
        var decls: [String] = []
        let addsMetadata = !declared.contains("metadata")
        if addsMetadata { decls.append("\(access)var metadata: KubeCustomResources.ObjectMeta") }
        properties.removeAll { $0.name == "metadata" || $0.name == "apiVersion" || $0.name == "kind" }
        if let statusType, !declared.contains("status") {
            decls.append("\(access)var status: \(statusType)?")
            properties.append(StoredProperty(
                name: "status", key: "status", type: "\(statusType)?", wrappedType: statusType, isOptional: true, initializer: nil,
                description: nil, markers: []))
        }
        decls.append("\(access)static let group: String = \(argument("group")?.trimmedDescription ?? "\"\"")")
        decls.append("\(access)static let version: String = \(argument("version")?.trimmedDescription ?? "\"\"")")
        decls.append("\(access)static let kind: String = \(argument("kind")?.trimmedDescription ?? structName.swiftLiteral)")
        decls.append(
            "\(access)static let plural: String = \(argument("plural")?.trimmedDescription ?? "KubeCustomResources.CustomResourceNames.plural(of: kind)")")
        decls.append("\(access)static let namespaced: Bool = \(argument("namespaced")?.trimmedDescription ?? "true")")
        let forwarded = arguments.filter { !own.contains($0.label ?? "") }.map { "\($0.label.map { "\($0): " } ?? "")\($0.expression.trimmedDescription)" }
        let options = ["hasStatus: \(statusType != nil || declared.contains("status"))"] + forwarded
        decls.append("""
            \(access)static var customResourceOptions: KubeCustomResources.CustomResourceOptions {
                KubeCustomResources.CustomResourceOptions(\(options.joined(separator: ", ")))
            }
            """)
        decls.append("""
            \(access)static var kubeSchema: KubeCustomResources.JSONSchemaProps {
                \(KubeSchemaMacro.objectSchema(
                    builder: "resource", description: docComment(structure.leadingTrivia), markers: Markers.expressions(structure.attributes),
                    properties: properties))
            }
            """)
        // A memberwise init with metadata first, as Kubernetes objects read.
        var parameters = ["metadata: KubeCustomResources.ObjectMeta = KubeCustomResources.ObjectMeta()"]
        var assignments = ["self.metadata = metadata"]
        for property in properties {
            let fallback = property.initializer.map { " = \($0)" } ?? (property.isOptional ? " = nil" : "")
            parameters.append("\(property.name): \(property.type)\(fallback)")
            assignments.append("self.\(property.name) = \(property.name)")
        }
        decls.append("""
            \(access)init(\(parameters.joined(separator: ", "))) {
                \(assignments.joined(separator: "\n    "))
            }
            """)
        if StoredProperties.codingKeys(members) == nil {
            let cases = ["apiVersion", "kind", "metadata"] + properties.map(\.name)
            decls.append("enum CodingKeys: String, CodingKey { case \(cases.map { "`\($0)`" }.joined(separator: ", ")) }")
        }
        var decode = ["let container = try decoder.container(keyedBy: CodingKeys.self)",
                      "self.metadata = try container.decodeIfPresent(KubeCustomResources.ObjectMeta.self, forKey: .metadata) ?? KubeCustomResources.ObjectMeta()"]
        var encode = ["var container = encoder.container(keyedBy: CodingKeys.self)",
                      "try container.encode(Self.apiVersion, forKey: .apiVersion)",
                      "try container.encode(Self.kind, forKey: .kind)",
                      "try container.encode(self.metadata, forKey: .metadata)"]
        for property in properties {
            let key = ".`\(property.name)`"
            if property.isOptional {
                decode.append("self.\(property.name) = try container.decodeIfPresent((\(property.wrappedType)).self, forKey: \(key))")
                encode.append("try container.encodeIfPresent(self.\(property.name), forKey: \(key))")
            } else if let initializer = property.initializer {
                decode.append("self.\(property.name) = try container.decodeIfPresent((\(property.type)).self, forKey: \(key)) ?? (\(initializer))")
                encode.append("try container.encode(self.\(property.name), forKey: \(key))")
            } else {
                decode.append("self.\(property.name) = try container.decode((\(property.type)).self, forKey: \(key))")
                encode.append("try container.encode(self.\(property.name), forKey: \(key))")
            }
        }
        decls.append("""
            \(access)init(from decoder: any Decoder) throws {
                \(decode.joined(separator: "\n    "))
            }
            """)
        decls.append("""
            \(access)func encode(to encoder: any Encoder) throws {
                \(encode.joined(separator: "\n    "))
            }
            """)
        return decls.map { DeclSyntax(stringLiteral: $0) }
    }

    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax, providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        guard declaration.is(StructDeclSyntax.self), !protocols.isEmpty else { return [] }
        // Every protocol the compiler asks for, spelled out: conformance lookup from other files
        // finds a macro-added conformance only when the extension names it.
        let names = protocols.map { $0.trimmedDescription }.map { $0 == "CustomResource" ? "KubeCustomResources.CustomResource" : $0 }
        let decl: DeclSyntax = "extension \(type.trimmed): \(raw: names.joined(separator: ", ")) {}"
        return [decl.cast(ExtensionDeclSyntax.self)]
    }

    static func isDNSLabel(_ text: String) -> Bool {
        guard let first = text.first, let last = text.last, text.count <= 63 else { return false }
        let allowed = text.allSatisfy { ($0.isLetter && $0.isLowercase && $0.isASCII) || ($0.isNumber && $0.isASCII) || $0 == "-" }
        return allowed && first != "-" && last != "-"
    }

    static func isDNSSubdomain(_ text: String) -> Bool {
        text.count <= 253 && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNSLabel(String($0)) }
    }
}
