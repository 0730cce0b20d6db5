/// Where the generated models deliberately differ from the OpenAPI spec, each with the
/// evidence. The spec's `required` lists what a client must send on create, not what a
/// server returns: kube-apiserver serves objects written through another API version,
/// and Go zero-values (`null`) what that version never had.
enum Overrides {
    /// Fields the spec marks required that real servers leave `null` or absent; generated
    /// as optionals, so one such object does not fail a whole list or watch.
    ///
    /// client-go keeps these as non-pointer structs and decodes `null` as the zero value
    /// (`MicroTime{}`); an optional is the Swift spelling of the same "not set", without a
    /// magic date for callers to compare against.
    static let optionalRequired: [String: Set<String>] = [
        // A legacy core/v1 Event (no eventTime) read through events.k8s.io/v1 comes back with
        // `"eventTime": null` (recordings 115-core-event-read-as-events-v1, 118-events-update-and-defaults;
        // kubernetes-client/python#1829 made the same change for the same reason).
        "io.k8s.api.events.v1.Event": ["eventTime"],
    ]

    /// Optional struct fields that are value structs (not pointers) in k8s.io/api's Go
    /// types, besides `metadata`, `spec` and `status`: they exist in a zero object, so a
    /// create does not add them and their managedFields node has no `"."` entry. The spec
    /// cannot say it (`omitempty` on a value struct does not omit). Evidence: the
    /// recordings' managedFields (`f:strategy` without `"."` beside `f:rollingUpdate` with
    /// it in 042-deployment; `f:updateStrategy` in 043-daemonset; `f:resources` of a PVC in
    /// 053; `f:loadBalancer` in 075; `f:source` of core Events in 094/115; `f:podSelector: {}`
    /// absent in 048 — equal to the zero value) and the Go types for the rest.
    /// `TokenRequestSpec.boundObjectRef` is a pointer in Go, but the token subresource
    /// records it without `"."` all the same (102 step 10, 103 steps 3 and 5); the
    /// recordings show that it does, not why.
    static let valueStructFields: [String: Set<String>] = [
        "io.k8s.api.apps.v1.DeploymentSpec": ["strategy", "template"],
        "io.k8s.api.apps.v1.DaemonSetSpec": ["updateStrategy", "template"],
        "io.k8s.api.apps.v1.StatefulSetSpec": ["updateStrategy", "template"],
        "io.k8s.api.apps.v1.ReplicaSetSpec": ["template"],
        "io.k8s.api.core.v1.PodTemplate": ["template"],
        "io.k8s.api.core.v1.Container": ["resources"],
        "io.k8s.api.core.v1.EphemeralContainer": ["resources"],
        "io.k8s.api.core.v1.PersistentVolumeClaimSpec": ["resources"],
        "io.k8s.api.core.v1.ServiceStatus": ["loadBalancer"],
        "io.k8s.api.core.v1.Event": ["source"],
        "io.k8s.api.events.v1.Event": ["deprecatedSource", "regarding"],
        "io.k8s.api.networking.v1.NetworkPolicySpec": ["podSelector"],
        "io.k8s.api.authentication.v1.TokenRequestSpec": ["boundObjectRef"],
    ]

    /// Fails when an override no longer applies (the schema or field is gone, or the spec
    /// stopped requiring it), so a stale entry is noticed instead of silently doing nothing.
    static func check(_ schemas: [String: [String: Any]]) throws {
        for (schemaName, keys) in optionalRequired {
            guard let schema = schemas[schemaName] else { throw GeneratorError("Overrides: no schema \(schemaName)") }
            for key in keys.sorted() where !schema.required.contains(key) {
                throw GeneratorError("Overrides: \(schemaName).\(key) is not a required field of the spec")
            }
        }
        for (schemaName, keys) in valueStructFields {
            guard let schema = schemas[schemaName] else { throw GeneratorError("Overrides: no schema \(schemaName)") }
            for key in keys.sorted() where schema.properties[key]?.refName == nil {
                throw GeneratorError("Overrides: \(schemaName).\(key) is not a struct field of the spec")
            }
        }
    }

    static func isOptional(_ schemaName: String, _ key: String) -> Bool {
        optionalRequired[schemaName]?.contains(key) == true
    }
}
