import Foundation

/// The `type` of a watch event on the wire.
public enum WatchEventType: String, Sendable, Hashable, Codable {
    case added = "ADDED"
    case modified = "MODIFIED"
    case deleted = "DELETED"
    case bookmark = "BOOKMARK"
    case error = "ERROR"
}

/// The object of a `BOOKMARK` event: only a `resourceVersion` (and annotations,
/// such as `k8s.io/initial-events-end`) are meaningful.
public struct Bookmark: Sendable, Hashable, Codable {
    public var resourceVersion: String
    public var annotations: [String: String]

    public init(resourceVersion: String, annotations: [String: String] = [:]) {
        self.resourceVersion = resourceVersion
        self.annotations = annotations
    }

    /// The annotation that ends the initial events of a streaming list (`sendInitialEvents=true`).
    public static let initialEventsEndAnnotation = "k8s.io/initial-events-end"

    /// `true` when this bookmark marks the end of the initial events of a streaming list.
    public var isInitialEventsEnd: Bool { annotations[Self.initialEventsEndAnnotation] == "true" }
}

/// One event of a watch stream (`metav1.WatchEvent`), decoded.
public enum WatchEvent<K: Codable & Sendable>: Sendable {
    case added(K)
    case modified(K)
    case deleted(K)
    case bookmark(Bookmark)
    /// The server ended the watch with a `Status`; code 410 means the resourceVersion is too old.
    case error(Status)

    public var type: WatchEventType {
        switch self {
        case .added: .added
        case .modified: .modified
        case .deleted: .deleted
        case .bookmark: .bookmark
        case .error: .error
        }
    }

    /// The object of an `ADDED`, `MODIFIED` or `DELETED` event.
    public var object: K? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): object
        case .bookmark, .error: nil
        }
    }
}

extension WatchEvent: Codable {
    private enum CodingKeys: String, CodingKey { case type, object }
    private struct BookmarkObject: Codable {
        struct Metadata: Codable {
            var resourceVersion: String?
            var annotations: [String: String]?
        }
        var apiVersion: String?
        var kind: String?
        var metadata: Metadata?
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(WatchEventType.self, forKey: .type)
        switch type {
        case .added: self = .added(try container.decode(K.self, forKey: .object))
        case .modified: self = .modified(try container.decode(K.self, forKey: .object))
        case .deleted: self = .deleted(try container.decode(K.self, forKey: .object))
        case .error: self = .error(try container.decode(Status.self, forKey: .object))
        case .bookmark:
            let object = try container.decode(BookmarkObject.self, forKey: .object)
            self = .bookmark(
                Bookmark(
                    resourceVersion: object.metadata?.resourceVersion ?? "",
                    annotations: object.metadata?.annotations ?? [:]))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        switch self {
        case .added(let object), .modified(let object), .deleted(let object):
            try container.encode(object, forKey: .object)
        case .error(let status):
            try container.encode(status, forKey: .object)
        case .bookmark(let bookmark):
            let object = BookmarkObject(
                metadata: .init(
                    resourceVersion: bookmark.resourceVersion,
                    annotations: bookmark.annotations.isEmpty ? nil : bookmark.annotations))
            try container.encode(object, forKey: .object)
        }
    }
}
