import Foundation
import KubeCore

/// `apiextensions.k8s.io/v1` `ConversionReview`: what kube-apiserver POSTs to a CRD
/// conversion webhook (`spec.conversion.strategy: Webhook`) and what the webhook answers.
public struct ConversionReview: Codable, Sendable, Hashable {
    public static let apiVersion = "apiextensions.k8s.io/v1"
    public static let kind = "ConversionReview"

    public var apiVersion: String
    public var kind: String
    public var request: Request?
    public var response: Response?

    public init(request: Request? = nil, response: Response? = nil) {
        self.apiVersion = Self.apiVersion
        self.kind = Self.kind
        self.request = request
        self.response = response
    }

    /// `apiextensions/v1.ConversionRequest`.
    public struct Request: Codable, Sendable, Hashable {
        public var uid: String
        /// The version every object must be converted to, for example `example.com/v2`.
        public var desiredAPIVersion: String
        public var objects: [JSONValue]

        public init(uid: String, desiredAPIVersion: String, objects: [JSONValue]) {
            self.uid = uid
            self.desiredAPIVersion = desiredAPIVersion
            self.objects = objects
        }
    }

    /// `apiextensions/v1.ConversionResponse`.
    public struct Response: Codable, Sendable, Hashable {
        /// The request's ``Request/uid``, echoed.
        public var uid: String
        /// The converted objects, in the request's order (empty when ``result`` is a failure).
        public var convertedObjects: [JSONValue]
        /// `status: Success`, or `status: Failure` with a message.
        public var result: Status

        public init(uid: String, convertedObjects: [JSONValue], result: Status) {
            self.uid = uid
            self.convertedObjects = convertedObjects
            self.result = result
        }
    }
}
