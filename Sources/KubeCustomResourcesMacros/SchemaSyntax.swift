import SwiftDiagnostics
import SwiftSyntax
import SwiftSyntaxMacros

/// A compile-time error or note of the custom-resource macros.
struct KubeMacroDiagnostic: DiagnosticMessage {
    let message: String
    let diagnosticID: MessageID
    let severity: DiagnosticSeverity

    init(_ message: String, id: String, severity: DiagnosticSeverity = .error) {
        self.message = message
        self.diagnosticID = MessageID(domain: "KubeCustomResources", id: id)
        self.severity = severity
    }
}

/// The markers (`@Minimum(1)`, `@Validation("…")`, …) the schema macros read off a declaration.
/// Each is forwarded as `KubeSchemaMarker.<lowerCamelName>(<the same arguments>)`, so the
/// library's static functions, not this file, give the markers their meaning and their types.
enum Markers {
    static let names: Set<String> = [
        "Minimum", "Maximum", "MultipleOf", "MinLength", "MaxLength", "MinItems", "MaxItems", "MinProperties",
        "MaxProperties", "Pattern", "Format", "ListType", "MapType", "Validation", "PreserveUnknownFields",
        "EmbeddedResource", "Nullable", "Description",
    ]

    /// `Minimum` for `@Minimum(1)` and `@KubeCustomResources.Minimum(1)`.
    static func name(of attribute: AttributeSyntax) -> String {
        let full = attribute.attributeName.trimmedDescription
        return String(full.split(separator: ".").last ?? Substring(full))
    }

    /// The marker expressions of a declaration's attributes, in source order.
    static func expressions(_ attributes: AttributeListSyntax) -> [String] {
        attributes.compactMap { element -> String? in
            guard case .attribute(let attribute) = element else { return nil }
            let name = name(of: attribute)
            guard names.contains(name) else { return nil }
            let function = name.prefix(1).lowercased() + name.dropFirst()
            var arguments = ""
            if case .argumentList(let list)? = attribute.arguments { arguments = list.trimmedDescription }
            return ".\(function)(\(arguments))"
        }
    }
}

/// Doc comments (`///` lines or `/** */` blocks) before a declaration, as one description:
/// lines of a paragraph joined by spaces, paragraphs by a newline.
func docComment(_ trivia: Trivia) -> String? {
    var lines: [String] = []
    for piece in trivia {
        switch piece {
        case .docLineComment(let text):
            var line = Substring(text.dropFirst(3))
            if line.first == " " { line = line.dropFirst() }
            lines.append(String(line).trimmingTrailingSpaces())
        case .docBlockComment(let text):
            let body = text.dropFirst(3).dropLast(2)
            for raw in body.split(separator: "\n", omittingEmptySubsequences: false) {
                var line = raw.drop { $0 == " " || $0 == "\t" }
                if line.first == "*" { line = line.dropFirst() }
                if line.first == " " { line = line.dropFirst() }
                lines.append(String(line).trimmingTrailingSpaces())
            }
        default: continue
        }
    }
    var paragraphs: [String] = []
    var current: [String] = []
    for line in lines {
        if line.isEmpty {
            if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
            current = []
        } else {
            current.append(line)
        }
    }
    if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
    return paragraphs.isEmpty ? nil : paragraphs.joined(separator: "\n")
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }

    /// As a Swift string literal (for generated code).
    var swiftLiteral: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}

/// One stored property of a struct, as the schema and the generated Codable code need it.
struct StoredProperty {
    var name: String
    /// The JSON member name (the `CodingKeys` raw value when the type declares one).
    var key: String
    var type: String
    /// The type without its optional wrapper (`BackupStatus` for `BackupStatus?`).
    var wrappedType: String
    var isOptional: Bool
    var initializer: String?
    var description: String?
    var markers: [String]

    /// The `KubeSchemaBuilder.property(…)` expression of this property.
    var schemaExpression: String {
        var arguments = ["\(key.swiftLiteral)", "(\(type)).self"]
        if let description { arguments.append("description: \(description.swiftLiteral)") }
        if let initializer { arguments.append("default: KubeCustomResources.KubeSchemaBuilder.defaultValue((\(initializer)) as \(type))") }
        if !markers.isEmpty { arguments.append("markers: [\(markers.joined(separator: ", "))]") }
        return "KubeCustomResources.KubeSchemaBuilder.property(\(arguments.joined(separator: ", ")))"
    }
}

enum StoredProperties {
    /// The stored instance properties of a struct's members, with diagnostics for those whose
    /// schema cannot be derived (no type annotation, Foundation's `Date`). `nil` when any failed.
    static func of(_ members: MemberBlockItemListSyntax, in context: some MacroExpansionContext) -> [StoredProperty]? {
        let codingKeys = codingKeys(members)
        var properties: [StoredProperty] = []
        var failed = false
        for member in members {
            guard let variable = member.decl.as(VariableDeclSyntax.self) else { continue }
            if variable.modifiers.contains(where: { [.keyword(.static), .keyword(.class)].contains($0.name.tokenKind) }) { continue }
            let bindings = Array(variable.bindings)
            for (index, binding) in bindings.enumerated() {
                guard let pattern = binding.pattern.as(IdentifierPatternSyntax.self) else { continue }
                if let accessors = binding.accessorBlock?.accessors {
                    switch accessors {
                    case .getter: continue
                    case .accessors(let list):
                        let observers: Set<TokenKind> = [.keyword(.willSet), .keyword(.didSet)]
                        if !list.allSatisfy({ observers.contains($0.accessorSpecifier.tokenKind) }) { continue }
                    }
                }
                let name = pattern.identifier.text.filter { $0 != "`" }
                let key: String
                if let codingKeys {
                    guard let mapped = codingKeys[name] else { continue }  // not coded: not in the schema either
                    key = mapped
                } else {
                    key = name
                }
                // `var a, b: Int`: the annotation of a later binding types the earlier ones.
                let annotated = binding.typeAnnotation?.type ?? bindings[index...].lazy.compactMap { $0.typeAnnotation?.type }.first
                var typeText = annotated.map { $0.trimmedDescription }
                if typeText == nil, let value = binding.initializer?.value { typeText = inferredType(value) }
                guard let typeText else {
                    context.diagnose(Diagnostic(
                        node: Syntax(binding),
                        message: KubeMacroDiagnostic(
                            "'\(name)' needs a type annotation: its schema is derived from its declared type", id: "untyped-property")))
                    failed = true
                    continue
                }
                if let annotated, annotated.tokens(viewMode: .sourceAccurate).contains(where: { $0.text == "Date" }) {
                    context.diagnose(Diagnostic(
                        node: Syntax(annotated),
                        message: KubeMacroDiagnostic(
                            "'\(name)': Foundation's Date encodes as a number, not the RFC 3339 string of the schema's date-time format; use Time (KubeCore) instead",
                            id: "date-property")))
                    failed = true
                    continue
                }
                var initializer = binding.initializer?.value.trimmedDescription
                if initializer == "nil" { initializer = nil }
                let (wrapped, optional) = unwrapOptional(typeText)
                properties.append(StoredProperty(
                    name: name, key: key, type: typeText, wrappedType: wrapped, isOptional: optional, initializer: initializer,
                    description: docComment(variable.leadingTrivia), markers: Markers.expressions(variable.attributes)))
            }
        }
        return failed ? nil : properties
    }

    /// `CodingKeys` of the struct, property name → JSON name; `nil` when it declares none.
    static func codingKeys(_ members: MemberBlockItemListSyntax) -> [String: String]? {
        for member in members {
            guard let enumeration = member.decl.as(EnumDeclSyntax.self), enumeration.name.text == "CodingKeys" else { continue }
            var keys: [String: String] = [:]
            for caseMember in enumeration.memberBlock.members {
                guard let caseDecl = caseMember.decl.as(EnumCaseDeclSyntax.self) else { continue }
                for element in caseDecl.elements {
                    let name = element.name.text.filter { $0 != "`" }
                    if let literal = element.rawValue?.value.as(StringLiteralExprSyntax.self), let text = literal.representedLiteralValue {
                        keys[name] = text
                    } else {
                        keys[name] = name
                    }
                }
            }
            return keys
        }
        return nil
    }

    /// The type of `7`, `"x"`, `true`, `1.5`, `Spec()`; `nil` for anything else.
    static func inferredType(_ value: ExprSyntax) -> String? {
        if value.is(IntegerLiteralExprSyntax.self) { return "Int" }
        if value.is(FloatLiteralExprSyntax.self) { return "Double" }
        if value.is(StringLiteralExprSyntax.self) { return "String" }
        if value.is(BooleanLiteralExprSyntax.self) { return "Bool" }
        if let call = value.as(FunctionCallExprSyntax.self) {
            let callee = call.calledExpression
            if callee.is(DeclReferenceExprSyntax.self) || callee.is(MemberAccessExprSyntax.self) {
                let text = callee.trimmedDescription
                if let first = text.first, first.isUppercase { return text }
            }
        }
        return nil
    }

    /// `("X", true)` for `X?`, `X!` and `Optional<X>`; `(type, false)` otherwise.
    static func unwrapOptional(_ type: String) -> (String, Bool) {
        if type.hasSuffix("?") || type.hasSuffix("!") { return (String(type.dropLast()), true) }
        if type.hasPrefix("Optional<") && type.hasSuffix(">") { return (String(type.dropFirst(9).dropLast()), true) }
        return (type, false)
    }
}

/// `public`/`package` of a declaration, for the members the macros add to it.
func accessPrefix(_ modifiers: DeclModifierListSyntax) -> String {
    for modifier in modifiers {
        switch modifier.name.tokenKind {
        case .keyword(.public), .keyword(.open): return "public "
        case .keyword(.package): return "package "
        default: continue
        }
    }
    return ""
}
