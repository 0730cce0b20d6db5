import SwiftCompilerPlugin
import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

@main
struct KubeCustomResourcesPlugin: CompilerPlugin {
    let providingMacros: [any Macro.Type] = [KubeSchemaMacro.self, CustomResourceMacro.self, SchemaMarkerMacro.self]
}

/// `@KubeSchema` on a struct or a `String` enum: an extension conforming it to `KubeSchemaType`
/// with the schema of its stored properties (or its cases).
public struct KubeSchemaMacro: ExtensionMacro {
    public static func expansion(
        of node: AttributeSyntax, attachedTo declaration: some DeclGroupSyntax, providingExtensionsOf type: some TypeSyntaxProtocol,
        conformingTo protocols: [TypeSyntax], in context: some MacroExpansionContext
    ) throws -> [ExtensionDeclSyntax] {
        let access = accessPrefix(declaration.modifiers)
        let body: String
        if let structure = declaration.as(StructDeclSyntax.self) {
            guard let properties = StoredProperties.of(structure.memberBlock.members, in: context) else { return [] }
            body = objectSchema(
                builder: "object", description: docComment(structure.leadingTrivia), markers: Markers.expressions(structure.attributes),
                properties: properties)
        } else if let enumeration = declaration.as(EnumDeclSyntax.self) {
            guard let schema = enumSchema(enumeration, in: context) else { return [] }
            body = schema
        } else {
            context.diagnose(Diagnostic(
                node: Syntax(node),
                message: KubeMacroDiagnostic("@KubeSchema applies to a struct or an enum with String raw values", id: "schema-target")))
            return []
        }
        let conformance = protocols.isEmpty ? "" : ": KubeCustomResources.KubeSchemaType"
        let decl: DeclSyntax = """
            extension \(type.trimmed)\(raw: conformance) {
                \(raw: access)static var kubeSchema: KubeCustomResources.JSONSchemaProps {
                    \(raw: body)
                }
            }
            """
        return [decl.cast(ExtensionDeclSyntax.self)]
    }

    static func objectSchema(builder: String, description: String?, markers: [String], properties: [StoredProperty]) -> String {
        var arguments: [String] = []
        if let description { arguments.append("description: \(description.swiftLiteral)") }
        if !markers.isEmpty { arguments.append("markers: [\(markers.joined(separator: ", "))]") }
        let list = properties.map { "\n        " + $0.schemaExpression }.joined(separator: ",")
        arguments.append("properties: [\(list)\(properties.isEmpty ? "" : "\n    ")]")
        return "KubeCustomResources.KubeSchemaBuilder.\(builder)(\(arguments.joined(separator: ", ")))"
    }

    static func enumSchema(_ enumeration: EnumDeclSyntax, in context: some MacroExpansionContext) -> String? {
        let inherited = enumeration.inheritanceClause?.inheritedTypes.map { $0.type.trimmedDescription } ?? []
        guard inherited.first == "String" || inherited.first == "Swift.String" else {
            context.diagnose(Diagnostic(
                node: Syntax(enumeration.name),
                message: KubeMacroDiagnostic(
                    "a @KubeSchema enum needs String raw values ('enum \(enumeration.name.text): String'): a schema's enum lists strings",
                    id: "enum-raw-type")))
            return nil
        }
        var cases: [String] = []
        for member in enumeration.memberBlock.members {
            guard let caseDecl = member.decl.as(EnumCaseDeclSyntax.self) else { continue }
            for element in caseDecl.elements {
                if element.parameterClause != nil {
                    context.diagnose(Diagnostic(
                        node: Syntax(element),
                        message: KubeMacroDiagnostic(
                            "case '\(element.name.text)' has associated values: a @KubeSchema enum is a list of strings", id: "enum-payload")))
                    return nil
                }
                cases.append("." + element.name.text)
            }
        }
        var arguments = ["Self.self", "cases: [\(cases.joined(separator: ", "))]"]
        if let description = docComment(enumeration.leadingTrivia) { arguments.append("description: \(description.swiftLiteral)") }
        let markers = Markers.expressions(enumeration.attributes)
        if !markers.isEmpty { arguments.append("markers: [\(markers.joined(separator: ", "))]") }
        return "KubeCustomResources.KubeSchemaBuilder.stringEnum(\(arguments.joined(separator: ", ")))"
    }
}

/// `@Minimum(1)`, `@Validation("…")`, …: no code of their own; `@KubeSchema` and
/// `@CustomResource` read them. Misplaced markers are diagnosed here.
public struct SchemaMarkerMacro: PeerMacro {
    public static func expansion(
        of node: AttributeSyntax, providingPeersOf declaration: some DeclSyntaxProtocol, in context: some MacroExpansionContext
    ) throws -> [DeclSyntax] {
        let name = Markers.name(of: node)
        if let variable = declaration.as(VariableDeclSyntax.self) {
            let computed = variable.bindings.contains { binding in
                if case .getter? = binding.accessorBlock?.accessors { return true }
                if case .accessors(let list)? = binding.accessorBlock?.accessors {
                    return list.contains { $0.accessorSpecifier.tokenKind == .keyword(.get) }
                }
                return false
            }
            let isStatic = variable.modifiers.contains { $0.name.tokenKind == .keyword(.static) }
            if computed || isStatic {
                context.diagnose(Diagnostic(
                    node: Syntax(node),
                    message: KubeMacroDiagnostic(
                        "@\(name) marks a stored instance property; computed and static properties are not part of the schema",
                        id: "marker-target")))
            }
            return []
        }
        let typeLevel: Set<String> = ["Validation", "PreserveUnknownFields", "MinProperties", "MaxProperties", "MapType", "Description", "Nullable"]
        if declaration.is(StructDeclSyntax.self) || declaration.is(EnumDeclSyntax.self) {
            if !typeLevel.contains(name) {
                context.diagnose(Diagnostic(
                    node: Syntax(node),
                    message: KubeMacroDiagnostic("@\(name) marks a property, not a type", id: "marker-target")))
            }
            return []
        }
        context.diagnose(Diagnostic(
            node: Syntax(node),
            message: KubeMacroDiagnostic("@\(name) marks a stored property (or, for a few markers, a @KubeSchema type)", id: "marker-target")))
        return []
    }
}
