import Foundation
import KubeCore
import Testing

@testable import APIServerSemantics

@Suite("Object validation", .timeLimit(.minutes(3)))
struct ObjectValidationTests {
    static let subdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    @Test func badConfigMapNameGivesKubesMessage() {
        let object = json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Bad_Name","namespace":"default"}}"#)
        let errors = ObjectValidation.validateMetadata(object, nameRule: .dns1123Subdomain, namespaced: true)
        #expect(errors.count == 1)
        let status = FieldError.invalidStatus(kind: "ConfigMap", group: "", name: "Bad_Name", errors: errors)
        #expect(status.message == #"ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": "# + Self.subdomainMessage)
        #expect(status.code == 422)
        #expect(status.reason == "Invalid")
        #expect(status.details?.kind == "ConfigMap")
        #expect(status.details?.causes == [StatusCause(
            reason: "FieldValueInvalid", message: #"Invalid value: "Bad_Name": "# + Self.subdomainMessage, field: "metadata.name")])
    }

    // Cases from apimachinery validation_test.go TestIsDNS1123Subdomain / TestIsDNS1123Label / TestIsDNS1035Label.
    @Test func nameRules() {
        for good in ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "012", "1a", "1-a", "1--a--b--2", "a.a",
                     "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1", "a.b.c.d.e", "aa.bb.cc.dd.ee", "1.2.3.4.5",
                     "11.22.33.44.55", String(repeating: "a", count: 253)] {
            #expect(ObjectValidation.isDNS1123Subdomain(good).isEmpty, "\(good)")
        }
        for bad in ["", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a", "1-", "-1", "_", "a_", "_a", "a_b", "1_",
                    "_1", "1_2", ".", "a.", ".a", "a..b", "1.", ".1", "1..2", " ", "a ", " a", "a b", "1 ", " 1", "1 2",
                    "A.a", "aB.a", "ab.A", "A1.a", "a1.A", "A.1", "aB.1", "A1.1", "1A.1", "0.A", "01.A", "012.A", "1A.a",
                    "1a.A", "A.B.C.D.E", "AA.BB.CC.DD.EE", "a.B.c.d.e", "aa.bB.cc.dd.ee", "a@b", "a,b", "a_b", "a;b",
                    "a:b", "a%b", "a?b", "a$b", String(repeating: "a", count: 254)] {
            #expect(!ObjectValidation.isDNS1123Subdomain(bad).isEmpty, "\(bad)")
        }
        #expect(ObjectValidation.isDNS1123Label("my-name").isEmpty)
        #expect(ObjectValidation.isDNS1123Label("123-abc").isEmpty)
        #expect(ObjectValidation.isDNS1123Label("a.b") == ["a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"])
        #expect(ObjectValidation.isDNS1123Label(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
        #expect(ObjectValidation.isDNS1035Label("abc-123").isEmpty)
        #expect(ObjectValidation.isDNS1035Label("1abc").count == 1)
        #expect(ObjectValidation.validateName("system:basic-user", rule: .pathSegment, prefix: false).isEmpty)
        #expect(ObjectValidation.validateName("..", rule: .pathSegment, prefix: false) == ["may not be '..'"])
        #expect(ObjectValidation.validateName("a/b%", rule: .pathSegment, prefix: false) == ["may not contain '/'", "may not contain '%'"])
        #expect(ObjectValidation.nameRule(resource: "services", group: "") == .serviceName)
        // v1.36 (016-invalid-name): "1svc" is accepted, a dotted name is not.
        #expect(ObjectValidation.validateName("1svc", rule: .serviceName, prefix: false).isEmpty)
        #expect(ObjectValidation.validateName("svc.dotted", rule: .serviceName, prefix: false) == ["must not contain dots"])
        #expect(ObjectValidation.nameRule(resource: "namespaces", group: "") == .dns1123Label)
        #expect(ObjectValidation.nameRule(resource: "clusterroles", group: "rbac.authorization.k8s.io") == .pathSegment)
        #expect(ObjectValidation.nameRule(resource: "widgets", group: "example.com") == .dns1123Subdomain)
    }

    @Test func requiredNameNamespaceAndGenerateName() {
        let missing = ObjectValidation.validateMetadata(json(#"{"metadata":{}}"#), nameRule: .dns1123Subdomain, namespaced: true)
        #expect(missing.map(\.description) == ["metadata.name: Required value: name or generateName is required",
                                                "metadata.namespace: Required value"])
        let status = FieldError.invalidStatus(kind: "Deployment", group: "apps", name: "", errors: missing)
        #expect(status.message == #"Deployment.apps "" is invalid: [metadata.name: Required value: name or generateName is required, metadata.namespace: Required value]"#)
        #expect(status.details?.causes?.map(\.reason) == ["FieldValueRequired", "FieldValueRequired"])

        let generated = json(#"{"metadata":{"generateName":"web-","name":"web-x7k2p","namespace":"ns"}}"#)
        #expect(ObjectValidation.validateMetadata(generated, nameRule: .dns1123Subdomain, namespaced: true).isEmpty)
        let badPrefix = json(#"{"metadata":{"generateName":"Web-","name":"Web-x7k2p","namespace":"ns"}}"#)
        #expect(ObjectValidation.validateMetadata(badPrefix, nameRule: .dns1123Subdomain, namespaced: true).map(\.field)
            == ["metadata.generateName", "metadata.name"])
        let clusterScoped = json(#"{"metadata":{"name":"n","namespace":"ns"}}"#)
        #expect(ObjectValidation.validateMetadata(clusterScoped, nameRule: .dns1123Subdomain, namespaced: false).map(\.description)
            == ["metadata.namespace: Forbidden: not allowed on this type"])
        let badLabels = json(#"{"metadata":{"name":"n","labels":{"a":1}}}"#)
        #expect(ObjectValidation.validateMetadata(badLabels, nameRule: .dns1123Subdomain, namespaced: false).map(\.description)
            == ["metadata.labels[a]: Invalid value: 1: must be a string"])
        let service = json(#"{"metadata":{"name":"1svc","namespace":"ns"}}"#)
        #expect(ObjectValidation.validateMetadata(service, nameRule: .dns1035Label, namespaced: true).count == 1)
    }

    @Test func generatedNames() {
        var generator = SystemRandomNumberGenerator()
        let name = ObjectValidation.generatedName(from: "web-", using: &generator)
        #expect(name.count == 9)
        #expect(name.hasPrefix("web-"))
        #expect(name.dropFirst(4).allSatisfy { "bcdfghjklmnpqrstvwxz2456789".contains($0) })
        #expect(ObjectValidation.generatedName(from: String(repeating: "a", count: 80), using: &generator).count == 63)
    }

    @Test func typeMetaAgainstThePath() throws {
        let configMap = GroupVersionKind(group: "", version: "v1", kind: "ConfigMap")
        #expect(try ObjectValidation.checkTypeMeta(json(#"{"metadata":{"name":"a"}}"#), expected: configMap).get()
            == json(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}"#))
        guard case .failure(let version) = ObjectValidation.checkTypeMeta(json(#"{"apiVersion":"apps/v1","kind":"ConfigMap"}"#), expected: configMap) else {
            Issue.record("expected a failure")
            return
        }
        #expect(version.message == "the API version in the data (apps/v1) does not match the expected API version (v1)")
        #expect(version.code == 400)
        guard case .failure(let kind) = ObjectValidation.checkTypeMeta(json(#"{"apiVersion":"v1","kind":"Pod"}"#), expected: configMap) else {
            Issue.record("expected a failure")
            return
        }
        #expect(kind.message?.hasPrefix(#"Pod in version "v1" cannot be handled as a ConfigMap"#) == true)
        #expect(kind.reason == "BadRequest")
        if case .success = ObjectValidation.checkTypeMeta(json("[1]"), expected: configMap) { Issue.record("a list is not an object") }
    }

    @Test func nameAndNamespaceAgainstThePath() throws {
        let object = json(#"{"metadata":{"name":"a"}}"#)
        #expect(try ObjectValidation.checkNameAndNamespace(object, urlNamespace: "ns", urlName: nil).get()
            == json(#"{"metadata":{"name":"a","namespace":"ns"}}"#))
        guard case .failure(let namespace) = ObjectValidation.checkNameAndNamespace(
            json(#"{"metadata":{"name":"a","namespace":"other"}}"#), urlNamespace: "ns", urlName: nil)
        else {
            Issue.record("expected a failure")
            return
        }
        #expect(namespace.message == "the namespace of the provided object does not match the namespace sent on the request")
        guard case .failure(let name) = ObjectValidation.checkNameAndNamespace(object, urlNamespace: "ns", urlName: "b") else {
            Issue.record("expected a failure")
            return
        }
        #expect(name.message == "the name of the object (a) does not match the name on the URL (b)")
    }
}
