import Foundation
import KubeCore
import Logging
import Testing

@testable import KubeWebhooks

/// A custom resource in two versions: v1 says `size: small|large`, v2 says `replicas: N`.
struct WidgetV1: KubeResource, Hashable {
    static let group = "example.com", version = "v1", kind = "Widget", plural = "widgets"
    static let namespaced = true
    var metadata = ObjectMeta()
    var spec = Spec()
    struct Spec: Codable, Sendable, Hashable { var size = "small" }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }
    init(metadata: ObjectMeta = ObjectMeta(), spec: Spec = Spec()) {
        self.metadata = metadata
        self.spec = spec
    }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        spec = try container.decode(Spec.self, forKey: .spec)
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.apiVersion, forKey: .apiVersion)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
    }
}

struct WidgetV2: KubeResource, Hashable {
    static let group = "example.com", version = "v2", kind = "Widget", plural = "widgets"
    static let namespaced = true
    var metadata = ObjectMeta()
    var spec = Spec()
    struct Spec: Codable, Sendable, Hashable { var replicas = 1 }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }
    init(metadata: ObjectMeta = ObjectMeta(), spec: Spec = Spec()) {
        self.metadata = metadata
        self.spec = spec
    }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try container.decode(ObjectMeta.self, forKey: .metadata)
        spec = try container.decode(Spec.self, forKey: .spec)
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.apiVersion, forKey: .apiVersion)
        try container.encode(Self.kind, forKey: .kind)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(spec, forKey: .spec)
    }
}

struct UnknownSize: Error, CustomStringConvertible {
    let size: String
    var description: String { "unknown size \"\(size)\"" }
}

/// The conversion webhook the tests serve: v2 is the hub.
let widgetConversion = Webhook.convert(path: "/convert", hub: WidgetV2.self, versions: [
    .version(WidgetV1.self, toHub: { v1 in
        let replicas: Int
        switch v1.spec.size {
        case "small": replicas = 1
        case "large": replicas = 5
        default: throw UnknownSize(size: v1.spec.size)
        }
        return WidgetV2(metadata: v1.metadata, spec: .init(replicas: replicas))
    }, fromHub: { hub in
        WidgetV1(metadata: hub.metadata, spec: .init(size: hub.spec.replicas > 1 ? "large" : "small"))
    }),
    .version(WidgetV2.self, toHub: { $0 }, fromHub: { $0 }),
])

@Suite("Conversion webhooks (router, no network)", .timeLimit(.minutes(2)))
struct ConversionWebhookTests {
    let router = WebhookRouter(webhooks: [widgetConversion], logger: Logger(label: "test"))

    static func review(uid: String = "c-1", to desired: String, _ objects: [JSONValue]) -> Data {
        Reviews.json([
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "ConversionReview",
            "request": ["uid": .string(uid), "desiredAPIVersion": .string(desired), "objects": .array(objects)],
        ])
    }

    static func widget(_ version: String, name: String, spec: JSONValue) -> JSONValue {
        ["apiVersion": .string("example.com/\(version)"), "kind": "Widget",
         "metadata": ["name": .string(name), "namespace": "default", "uid": "abc", "resourceVersion": "7"], "spec": spec]
    }

    func convert(_ body: Data) async throws -> ConversionReview.Response {
        let http = await router.respond(method: "POST", path: "/convert", body: body)
        #expect(http.status == 200)
        return try #require(try JSONDecoder().decode(ConversionReview.self, from: http.body).response)
    }

    @Test func convertsEachObjectThroughTheHub() async throws {
        let response = try await convert(Self.review(uid: "c-42", to: "example.com/v1", [
            Self.widget("v2", name: "a", spec: ["replicas": 3]),
            Self.widget("v1", name: "b", spec: ["size": "small"]),
            Self.widget("v2", name: "c", spec: ["replicas": 1]),
        ]))
        #expect(response.uid == "c-42")
        #expect(response.result.status == "Success")
        #expect(response.convertedObjects.map { $0["apiVersion"] } == ["example.com/v1", "example.com/v1", "example.com/v1"])
        #expect(response.convertedObjects.map { $0["spec"]?["size"] } == ["large", "small", "small"])
        // Metadata is carried over (kube-apiserver rejects a conversion that changes it).
        #expect(response.convertedObjects[0]["metadata"]?["uid"] == "abc")
        #expect(response.convertedObjects[0]["metadata"]?["resourceVersion"] == "7")
        #expect(response.convertedObjects[1] == Self.widget("v1", name: "b", spec: ["size": "small"]))

        let up = try await convert(Self.review(to: "example.com/v2", [Self.widget("v1", name: "a", spec: ["size": "large"])]))
        #expect(up.convertedObjects.first?["spec"] == ["replicas": 5])
    }

    @Test func anObjectItCannotConvertFailsTheReviewWithAMessage() async throws {
        let response = try await convert(Self.review(uid: "c-bad", to: "example.com/v2", [
            Self.widget("v1", name: "ok", spec: ["size": "small"]),
            Self.widget("v1", name: "odd", spec: ["size": "huge"]),
        ]))
        #expect(response.uid == "c-bad")
        #expect(response.result.status == "Failure")
        #expect(response.convertedObjects.isEmpty)
        #expect(response.result.message == #"object default/odd: conversion from example.com/v1 to example.com/v2 failed: unknown size "huge""#)

        let unknownVersion = try await convert(Self.review(to: "example.com/v3", [Self.widget("v1", name: "a", spec: ["size": "small"])]))
        #expect(unknownVersion.result.status == "Failure")
        #expect(unknownVersion.result.message == "conversion to example.com/v3 is not supported")

        let fromUnknown = try await convert(Self.review(to: "example.com/v2", [Self.widget("v9", name: "a", spec: [:])]))
        #expect(fromUnknown.result.message == "object default/a: conversion from example.com/v9 is not supported")

        let undecodable = try await convert(Self.review(to: "example.com/v2", [Self.widget("v1", name: "a", spec: ["size": 3])]))
        #expect(undecodable.result.status == "Failure")
        #expect(undecodable.result.message?.contains("cannot decode object as WidgetV1") == true)
    }

    @Test func malformedConversionReviewsAreBadRequests() async throws {
        for body in [
            Data("nope".utf8),
            Data(#"{"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"ConversionReview","request":{"uid":"x","desiredAPIVersion":"a","objects":[]}}"#.utf8),
            Data(#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview"}"#.utf8),
            Data(#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","request":{"uid":"x"}}"#.utf8),
        ] {
            let http = await router.respond(method: "POST", path: "/convert", body: body)
            #expect(http.status == 400)
            let status = try JSONDecoder().decode(Status.self, from: http.body)
            #expect(status.code == 400 && status.message?.isEmpty == false)
        }
    }
}
