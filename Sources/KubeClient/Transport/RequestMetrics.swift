import Metrics

/// Request count and latency, labelled by verb, resource and status code, never by URL
/// (names and namespaces would make the label set unbounded).
enum RequestMetrics {
    static let requestsLabel = "kube_client_requests_total"
    static let durationLabel = "kube_client_request_duration_seconds"

    static func record(verb: String, resource: String, code: String, duration: Duration) {
        let dimensions = [("verb", verb), ("resource", resource), ("code", code)]
        Counter(label: requestsLabel, dimensions: dimensions).increment()
        let (seconds, attoseconds) = duration.components
        Timer(label: durationLabel, dimensions: dimensions).recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

/// What a request path addresses: `/api/v1/namespaces/ns/pods/name/status` → `pods`, `name`, `status`.
struct PathParts: Equatable {
    var resource: String
    var name: String?
    var subresource: String?

    init(resource: String, name: String? = nil, subresource: String? = nil) {
        self.resource = resource
        self.name = name
        self.subresource = subresource
    }

    init(path: String) {
        var segments = path.split(separator: "/").map(String.init)
        // Drop the group-version prefix: api/v1 or apis/group/version.
        if segments.first == "api" { segments.removeFirst(min(2, segments.count)) } else if segments.first == "apis" {
            segments.removeFirst(min(3, segments.count))
        } else {
            self.init(resource: segments.first ?? "")
            return
        }
        // namespaces/<ns>/<resource>... but namespaces/<ns>/status and /finalize are the namespace's own subresources.
        if segments.count > 2, segments[0] == "namespaces", !(segments.count == 3 && ["status", "finalize"].contains(segments[2])) {
            segments.removeFirst(2)
        }
        self.init(
            resource: segments.first ?? "", name: segments.count > 1 ? segments[1] : nil, subresource: segments.count > 2 ? segments[2] : nil)
    }

    /// `pods` or `pods/status`.
    var metricLabel: String { subresource.map { "\(resource)/\($0)" } ?? resource }
}
