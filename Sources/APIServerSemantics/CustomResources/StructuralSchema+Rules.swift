import KubeCore

extension StructuralSchema {
    /// The outcome of evaluating `x-kubernetes-validations` over an object.
    public struct RuleResult: Sendable {
        /// Failed rules, with kube's paths, reasons and messages.
        public var errors: [FieldError] = []
        /// Rules KubeTestServer cannot evaluate (outside its CEL subset): each is also an
        /// error, so such an object is refused rather than silently accepted.
        public var unsupported: [String] = []
    }

    /// Evaluates every CEL rule of the schema over `object` (and `old` on update: transition
    /// rules, the ones reading `oldSelf`, only run where an old value correlates: object
    /// members, map values, and `x-kubernetes-list-type: map` items by key).
    public func validateRules(_ object: JSONValue, old: JSONValue?) -> RuleResult {
        var result = RuleResult()
        var value = object
        value["metadata"] = nil
        var oldValue = old
        oldValue?["metadata"] = nil
        evaluateRules(value, old: oldValue, path: "", result: &result)
        return result
    }

    private func evaluateRules(_ value: JSONValue, old: JSONValue?, path: String, result: inout RuleResult) {
        for rule in validations { evaluate(rule, value: value, old: old, path: path, result: &result) }
        switch value {
        case .object(let members):
            for key in members.keys.sorted() {
                guard let schema = self.member(key), let member = members[key] else { continue }
                let child = properties[key] != nil ? (path.isEmpty ? key : "\(path).\(key)") : "\(path)[\(key)]"
                schema.evaluateRules(member, old: old?[key], path: child, result: &result)
            }
        case .array(let elements):
            guard let items else { return }
            let oldElements = old?.arrayValue ?? []
            for (index, element) in elements.enumerated() {
                var oldElement: JSONValue?
                if listType == "map", !listMapKeys.isEmpty {
                    let key = listMapKeys.map { element[$0] }
                    oldElement = oldElements.first { candidate in listMapKeys.map { candidate[$0] } == key }
                }
                items.evaluateRules(element, old: oldElement, path: "\(path)[\(index)]", result: &result)
            }
        default:
            break
        }
    }

    private func evaluate(_ rule: ValidationRule, value: JSONValue, old: JSONValue?, path: String, result: inout RuleResult) {
        let transition = rule.isTransitionRule
        if transition && old == nil { return }
        func refuse(_ why: String) {
            result.unsupported.append("\(rule.rule) (\(why))")
            result.errors.append(FieldError(
                .invalid, field: path, detail: "KubeTestServer cannot evaluate this rule (\(why)); see docs/test-server-fidelity.md: \(rule.rule)"))
        }
        if rule.optionalOldSelf { return refuse("optionalOldSelf") }
        let expr: CELExpr
        do { expr = try CELParser.parse(rule.rule) } catch { return refuse("syntax error") }
        var variables: [String: CELValue] = ["self": CELValue(value, schema: self)]
        if let old { variables["oldSelf"] = CELValue(old, schema: self) }
        let evaluator = CELEvaluator(variables: variables)
        let outcome: CELValue
        do {
            outcome = try evaluator.evaluate(expr)
        } catch {
            switch error {
            case .unsupported(let why): return refuse(why)
            case .runtime(let message):
                result.errors.append(FieldError(
                    .invalid, field: path, value: .string(type ?? "object"), detail: "\(message) evaluating rule: \(rule.rule)"))
                return
            }
        }
        guard case .bool(let passed) = outcome else { return refuse("the rule does not return a bool") }
        if passed { return }
        var message = rule.message ?? "failed rule: \(rule.rule)"
        if let source = rule.messageExpression, let parsed = try? CELParser.parse(source),
            case .string(let text)? = try? evaluator.evaluate(parsed)
        {
            message = text
        }
        var field = path
        if let fieldPath = rule.fieldPath {
            let suffix = fieldPath.hasPrefix(".") ? String(fieldPath.dropFirst()) : fieldPath
            field = path.isEmpty ? suffix : (suffix.hasPrefix("[") ? path + suffix : "\(path).\(suffix)")
        }
        let showsValue: Bool = switch value {
        case .object, .array: false
        default: true
        }
        switch rule.reason {
        case "FieldValueForbidden": result.errors.append(FieldError(.forbidden, field: field, detail: message))
        case "FieldValueRequired": result.errors.append(FieldError(.required, field: field, detail: message))
        case "FieldValueDuplicate": result.errors.append(FieldError(.duplicate, field: field, value: showsValue ? Optional(value) : nil, detail: message))
        default: result.errors.append(FieldError(.invalid, field: field, value: showsValue ? Optional(value) : nil, detail: message))
        }
    }
}
