import Testing
@testable import KubeCore

@Suite(.timeLimit(.minutes(3))) struct LabelSelectorTests {
    @Test func parsesEveryOperator() throws {
        let selector = try LabelSelector(parsing: "app=web, tier!=db,env in (prod, staging),zone notin (a),canary,!legacy,replicas>2")
        #expect(selector.requirements.map(\.operator) == [.equals, .notEquals, .in, .notIn, .exists, .doesNotExist, .greaterThan])
        #expect(selector.description == "app=web,tier!=db,env in (prod,staging),zone notin (a),canary,!legacy,replicas>2")
    }

    @Test func doubleEqualsIsEquals() throws {
        let selector = try LabelSelector(parsing: "app==web")
        #expect(selector.requirements == [try .init("app", .equals, ["web"])])
    }

    @Test func emptySelectorMatchesEverything() throws {
        let selector = try LabelSelector(parsing: "  ")
        #expect(selector.requirements.isEmpty)
        #expect(selector.matches(["a": "b"]))
    }

    @Test func matchesLabels() throws {
        let selector = try LabelSelector(parsing: "app=web,env in (prod),!legacy")
        #expect(selector.matches(["app": "web", "env": "prod"]))
        #expect(!selector.matches(["app": "web", "env": "dev"]))
        #expect(!selector.matches(["app": "web", "env": "prod", "legacy": "1"]))
        #expect(try LabelSelector(parsing: "tier notin (db)").matches([:]))
    }

    @Test(arguments: [
        "app=", "=web", "app in prod", "app in (prod", "app === web", "-bad=1", "app=web,", "app foo (x)",
        "a/b/c=1", "Foo.Example/app=1", "app=" + String(repeating: "x", count: 64), "app!web", "n>x",
    ])
    func rejectsMalformedSelectors(_ text: String) {
        if text == "app=" {
            // An empty value is valid: `app=` selects labels whose value is "".
            #expect(throws: Never.self) { try LabelSelector(parsing: text) }
            return
        }
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: text) }
    }

    @Test func validatesBuiltRequirements() {
        #expect(throws: SelectorError.self) { try LabelSelector.Requirement("app", .in, []) }
        #expect(throws: SelectorError.self) { try LabelSelector.Requirement("app", .exists, ["x"]) }
        #expect(throws: SelectorError.self) { try LabelSelector.Requirement("bad key", .exists) }
        #expect(throws: Never.self) { try LabelSelector.Requirement("example.com/app", .equals, ["v1.2_3-a"]) }
    }

    @Test func fieldSelectors() throws {
        let selector = try FieldSelector(parsing: "metadata.name=web, status.phase!=Running,spec.nodeName==n1")
        #expect(selector.description == "metadata.name=web,status.phase!=Running,spec.nodeName=n1")
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "metadata.name") }
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "=x") }
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "a=b,,c=d") }
    }
}
