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
        // kube's fields.ParseSelector skips empty terms.
        #expect(try FieldSelector(parsing: "a=b,,c=d,").description == "a=b,c=d")
        #expect(try FieldSelector(parsing: "a=b!=c").requirements == [.init(field: "a", equals: true, value: "b!=c")])
        #expect(throws: SelectorError("invalid selector: 'status.podIP in (1.2.3.4)'; can't understand 'status.podIP in (1.2.3.4)'")) {
            try FieldSelector(parsing: "status.podIP in (1.2.3.4)")
        }
    }

    /// The messages a real kube-apiserver v1.36 answered for these selectors
    /// (../shared/fixtures/apiserver-v1.36/020-bad-label-selector.json), and kube's parser for the rest.
    @Test(arguments: [
        ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"),
        ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("a==b==c", "found '==', expected: ',' or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a notin b", "unable to parse requirement: found 'b' expected: '('"),
        ("a=" + String(repeating: "v", count: 70),
         "unable to parse requirement: values[0][a]: Invalid value: \"" + String(repeating: "v", count: 70) + "\": must be no more than 63 bytes"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'"),
        ("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"),
        ("a/b/c", "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"),
    ])
    func refusesWithKubesMessages(_ text: String, _ message: String) {
        #expect(throws: SelectorError(message)) { try LabelSelector(parsing: text) }
    }

    @Test func parsesLikeKube() throws {
        // `in` is a value in a value position; `()` is the empty value; `!=` and `==` lex as one token.
        #expect(try LabelSelector(parsing: "x in (in,,notin)").requirements == [try .init("x", .in, ["", "in", "notin"])])
        #expect(try LabelSelector(parsing: "x notin ()").requirements == [try .init("x", .notIn, [""])])
        #expect(try LabelSelector(parsing: "a!=b,c==d").description == "a!=b,c=d")
        #expect(try LabelSelector(parsing: "a = b , !c").description == "a=b,!c")
    }
}
