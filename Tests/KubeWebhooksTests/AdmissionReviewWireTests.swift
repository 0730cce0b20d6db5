import Foundation
import KubeCore
import Testing

@testable import KubeWebhooks

/// The one-pass review reader and the hand-written response writer agree with `Codable`
/// (what the types declare), field by field, and fall back to the diagnosing path for
/// anything else.
@Suite(.timeLimit(.minutes(1))) struct AdmissionReviewWireTests {
    static func fast(_ body: Data) throws -> ReceivedAdmission? {
        try body.withUnsafeBytes { try AdmissionReview.readRequest($0) }
    }

    @Test func theFastReaderReadsWhatCodableReads() throws {
        let old = Reviews.pod(image: "nginx:1.26", extra: ["status": ["phase": "Running"]])
        let body = Reviews.admission(
            uid: "wire-1", kind: ("apps", "v1", "Deployment"), resource: "deployments", operation: "UPDATE",
            object: Reviews.pod(extra: ["unknownField": [1, 2.5, "x", nil, true]]), oldObject: old, dryRun: true,
            subResource: "status", namespace: "team-a")
        let received = try #require(try Self.fast(body))
        let codable = try #require(try JSONDecoder().decode(AdmissionReview.self, from: body).request)
        #expect(received.request == codable)
        #expect(received.request.userInfo.extra == ["scopes": ["a"]])
        #expect(received.request.dryRun == true && received.request.subResource == "status")
        // The object bytes are the object's own JSON text.
        #expect(try JSONValue.read(from: try #require(received.objectBytes)) == codable.object)
        #expect(try JSONValue.read(from: try #require(received.oldObjectBytes)) == old)
    }

    @Test func nullsAndAbsentOptionalsAreNil() throws {
        let body = Data(
            #"""
            {"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"n","kind":{"group":"","version":"v1","kind":"Pod"},
             "resource":{"group":"","version":"v1","resource":"pods"},"requestKind":null,"name":null,"operation":"DELETE",
             "userInfo":{"username":"bob","groups":null},"object":null,"oldObject":{"kind":"Pod"},"dryRun":null,"options":null,"future":{"x":[1]}}}
            """#.utf8)
        let received = try #require(try Self.fast(body))
        #expect(received.objectBytes == nil && received.request.object == nil)
        #expect(received.request.oldObject == ["kind": "Pod"])
        #expect(received.request.requestKind == nil && received.request.name == nil && received.request.dryRun == nil)
        #expect(received.request.options == nil)
        #expect(received.request.userInfo == UserInfo(username: "bob"))
        let viaCodable = try JSONDecoder().decode(AdmissionReview.self, from: body).request
        #expect(received.request == viaCodable)
    }

    @Test func anythingElseIsLeftToTheDiagnosingPath() throws {
        let cases = [
            #"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}}"#,
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"p1"}}"#,
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}"#,
            #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u"} trailing"#,
            "",
        ]
        for text in cases {
            let fast = try? Self.fast(Data(text.utf8))
            #expect(fast == nil, "\(text)")
            // … which answers each of them with a reason.
            let parsed = Data(text.utf8).withUnsafeBytes { WebhookRouter.parseAdmission($0) }
            guard case .failure(let failure) = parsed else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(!failure.message.isEmpty)
        }
    }

    @Test(arguments: [
        AdmissionReview.Response(uid: "a", allowed: true),
        AdmissionReview.Response(
            uid: "quote\"d", allowed: false, status: Status(message: "no \"latest\"\n", reason: "Forbidden", code: 403),
            warnings: ["w1", "tab\there"]),
        AdmissionReview.Response(
            uid: "p", allowed: true, patch: Data(#"[{"op":"add","path":"/a~1b","value":1}]"#.utf8), patchType: "JSONPatch",
            auditAnnotations: ["team": "payments", "é": "ü"]),
    ])
    func theWrittenResponseDecodesAsCodableDeclaresIt(_ response: AdmissionReview.Response) throws {
        let bytes = AdmissionReview.responseBytes(response)
        let review = try JSONDecoder().decode(AdmissionReview.self, from: Data(bytes))
        #expect(review.apiVersion == "admission.k8s.io/v1" && review.kind == "AdmissionReview" && review.request == nil)
        #expect(review.response == response)
        // Absent optionals are absent, as JSONEncoder leaves them.
        let members = try JSONValue.read(from: bytes)["response"]?.objectValue ?? [:]
        let declared = try JSONValue(encoding: response).objectValue.map { Set($0.keys) } ?? []
        #expect(Set(members.keys) == declared)
    }
}
