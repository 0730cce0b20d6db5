import APIServerSemantics
import Foundation
import KubeCore

/// CustomResourceDefinitions: naming checks, the `Established` status, and turning a
/// CRD into served resources (discovery included).
enum CustomResources {
    static let crdResource = GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions")
    private static let verbs = ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"]

    /// Custom resources accept any name that is a valid path segment; kube still
    /// validates them as DNS subdomains, so this is `false`: kept as a hook for kinds that differ.
    static func allowsAnyPathSegmentName(_ resource: ServedResource) -> Bool { false }

    /// Validates names, applies the spec defaults (`conversion`, `names.singular`,
    /// `names.listKind`) and, for a CRD not established yet, the status kube-apiserver
    /// stores on create (no conditions, empty accepted names, the stored version).
    static func prepare(_ crd: JSONValue, existing: [String: JSONValue], registry: ResourceRegistry) throws(APIError) -> JSONValue {
        var crd = crd
        let name = crd["metadata"]?["name"]?.stringValue ?? ""
        let group = crd["spec"]?["group"]?.stringValue ?? ""
        let names = crd["spec"]?["names"]?.objectValue ?? [:]
        let plural = names["plural"]?.stringValue ?? ""
        let kind = names["kind"]?.stringValue ?? ""
        var causes: [StatusCause] = []
        if group.isEmpty { causes.append(FieldError.required("spec.group", "")) }
        if plural.isEmpty { causes.append(FieldError.required("spec.names.plural", "")) }
        if kind.isEmpty { causes.append(FieldError.required("spec.names.kind", "")) }
        if !plural.isEmpty, !group.isEmpty, name != "\(plural).\(group)" {
            causes.append(FieldError.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"))
        }
        let scope = crd["spec"]?["scope"]?.stringValue ?? ""
        if scope != "Namespaced" && scope != "Cluster" {
            causes.append(StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(scope)\": supported values: \"Cluster\", \"Namespaced\"", field: "spec.scope"))
        }
        let versions = crd["spec"]?["versions"]?.arrayValue ?? []
        if versions.isEmpty { causes.append(FieldError.required("spec.versions", "must have exactly one version marked as storage version")) }
        let storageCount = versions.filter({ $0["storage"]?.boolValue == true }).count
        if storageCount != 1 && !versions.isEmpty {
            causes.append(StatusCause(
                reason: "FieldValueInvalid",
                message: "Invalid value: \(goVersions(versions)): must have exactly one version marked as storage version", field: "spec.versions"))
        }
        causes += conversionErrors(crd["spec"]?["conversion"])
        // Structural schemas, defaults, CEL syntax, selectable fields (apiextensions validation).
        causes += CRDSchemaCheck.errors(crd).map(\.cause)
        if storageCount == 0 && !versions.isEmpty && !isEstablished(crd) {
            causes.append(StatusCause(reason: "FieldValueInvalid", message: "Invalid value: null: must have at least one stored version", field: "status.storedVersions"))
        }
        if !causes.isEmpty {
            throw APIError.invalid(kind: "CustomResourceDefinition", group: "apiextensions.k8s.io", name: name, causes: causes)
        }
        // SetDefaults_CustomResourceDefinitionSpec (type defaults: the writer owns them).
        var spec = crd["spec"]?.objectValue ?? [:]
        var specNames = names
        if specNames["singular"] == nil { specNames["singular"] = .string(kind.lowercased()) }
        if specNames["listKind"] == nil { specNames["listKind"] = .string(kind + "List") }
        spec["names"] = .object(specNames)
        if spec["conversion"] == nil { spec["conversion"] = ["strategy": "None"] }
        crd["spec"] = .object(spec)
        // A new CRD is not established yet: the naming and establishing controllers accept
        // its names right after it is stored (``established(_:)``), as in kube-apiserver.
        if !isEstablished(crd) {
            let storage = versions.first { $0["storage"]?.boolValue == true }?["name"] ?? "v1"
            crd["status"] = ["conditions": .null, "acceptedNames": ["plural": "", "kind": ""], "storedVersions": [storage]]
        }
        return crd
    }

    /// apiextensions validation of `spec.conversion`: `Webhook` needs a client config (a url or
    /// a service, not both) and a ConversionReview version kube-apiserver speaks.
    static func conversionErrors(_ conversion: JSONValue?) -> [StatusCause] {
        guard let conversion, conversion != .null else { return [] }
        let strategy = conversion["strategy"]?.stringValue ?? ""
        guard strategy != "None" else { return [] }
        guard strategy == "Webhook" else {
            return [StatusCause(reason: "FieldValueNotSupported", message: "Unsupported value: \"\(strategy)\": supported values: \"None\", \"Webhook\"",
                                field: "spec.conversion.strategy")]
        }
        guard let client = conversion["webhook"]?["clientConfig"], client != .null else {
            return [FieldError.required("spec.conversion.webhook", "required when strategy is set to Webhook")]
        }
        var causes: [StatusCause] = []
        let hasURL = client["url"]?.stringValue != nil, hasService = client["service"] != nil && client["service"] != .null
        if hasURL == hasService {
            causes.append(FieldError.required("spec.conversion.webhook.clientConfig", "exactly one of url or service is required"))
        }
        let versions = conversion["webhook"]?["conversionReviewVersions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if !versions.contains(where: { $0 == "v1" || $0 == "v1beta1" }) {
            causes.append(StatusCause(
                reason: "FieldValueInvalid", message: "Invalid value: \(goStrings(versions)): must include at least one of v1, v1beta1",
                field: "spec.conversion.webhook.conversionReviewVersions"))
        }
        return causes
    }

    private static func goStrings(_ items: [String]) -> String { "[]string{" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "}" }

    /// The versions as kube prints its internal `[]CustomResourceDefinitionVersion` (`%v` of
    /// the JSON of Go structs); schema, subresources, columns and selectable fields are
    /// `null` there when they are the same for every version (kube hoists them to the spec).
    static func goVersions(_ versions: [JSONValue]) -> String {
        func hoisted(_ key: String) -> Bool {
            Set(versions.map { version in version[key].map { "\($0)" } ?? "-" }).count <= 1
        }
        let rendered = versions.map { version -> String in
            let name = version["name"]?.stringValue ?? ""
            let warning = version["deprecationWarning"]?.stringValue.map { "\"\($0)\"" } ?? "null"
            func bool(_ key: String) -> String { version[key]?.boolValue == true ? "true" : "false" }
            let same = hoisted("schema") && hoisted("subresources") && hoisted("additionalPrinterColumns") && hoisted("selectableFields")
            let rest = same ? "\"Schema\":null,\"Subresources\":null,\"AdditionalPrinterColumns\":null,\"SelectableFields\":null" : "…"
            return "{\"Name\":\"\(name)\",\"Served\":\(bool("served")),\"Storage\":\(bool("storage")),\"Deprecated\":\(bool("deprecated")),"
                + "\"DeprecationWarning\":\(warning),\(rest)}"
        }
        return "[" + rendered.joined(separator: ",") + "]"
    }

    static func isEstablished(_ crd: JSONValue) -> Bool {
        (crd["status"]?["conditions"]?.arrayValue ?? []).contains { $0["type"] == "Established" && $0["status"] == "True" }
    }

    /// What kube-apiserver's naming and establishing controllers write after a CRD is
    /// stored: the accepted names, `NamesAccepted` and `Established`, recorded in
    /// managedFields for manager `kube-apiserver` on the status subresource. `nil` when
    /// the CRD is established already.
    static func established(_ crd: JSONValue) -> JSONValue? {
        guard !isEstablished(crd), let names = crd["spec"]?["names"]?.objectValue else { return nil }
        var crd = crd
        let now = JSONValue.string(Time.now().description)
        var status = crd["status"]?.objectValue ?? [:]
        status["acceptedNames"] = .object(names)
        status["conditions"] = [
            ["type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts", "message": "no conflicts found"],
            ["type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted"],
        ]
        crd["status"] = .object(status)
        let condition: JSONValue = [".": [:], "f:lastTransitionTime": [:], "f:message": [:], "f:reason": [:], "f:status": [:], "f:type": [:]]
        let entry: JSONValue = [
            "manager": "kube-apiserver", "operation": "Update", "apiVersion": "apiextensions.k8s.io/v1", "time": now,
            "fieldsType": "FieldsV1", "subresource": "status",
            "fieldsV1": ["f:status": [
                "f:acceptedNames": .object(Dictionary(uniqueKeysWithValues: names.keys.map { ("f:\($0)", JSONValue.object([:])) })),
                "f:conditions": [#"k:{"type":"Established"}"#: condition, #"k:{"type":"NamesAccepted"}"#: condition],
            ]],
        ]
        var managed = crd["metadata"]?["managedFields"]?.arrayValue ?? []
        managed.removeAll { $0["manager"] == "kube-apiserver" && $0["subresource"] == "status" }
        managed.append(entry)
        crd["metadata"]?["managedFields"] = .array(managed)
        return crd
    }

    /// Starts serving every served version of the CRD.
    static func serve(_ crd: JSONValue, registry: ResourceRegistry) {
        guard let name = crd["metadata"]?["name"]?.stringValue, let group = crd["spec"]?["group"]?.stringValue,
            let plural = crd["spec"]?["names"]?["plural"]?.stringValue, let kind = crd["spec"]?["names"]?["kind"]?.stringValue
        else { return }
        let names = crd["spec"]?["names"]
        let namespaced = crd["spec"]?["scope"]?.stringValue == "Namespaced"
        let singular = names?["singular"]?.stringValue ?? kind.lowercased()
        let shortNames = names?["shortNames"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let categories = names?["categories"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var infos: [APIResourceInfo] = []
        var schemas: [String: CustomResourceSchema] = [:]
        var traits: [String: CustomVersionTraits] = [:]
        for version in crd["spec"]?["versions"]?.arrayValue ?? [] where version["served"]?.boolValue != false {
            guard let versionName = version["name"]?.stringValue else { continue }
            schemas[versionName] = CustomResourceSchema(crd: crd, version: versionName)
            traits[versionName] = versionTraits(crd, version: version)
            infos.append(APIResourceInfo(group: group, version: versionName, kind: kind, name: plural, singularName: singular,
                                         namespaced: namespaced, verbs: verbs, shortNames: shortNames, categories: categories))
            if version["subresources"]?["status"] != nil {
                infos.append(APIResourceInfo(group: group, version: versionName, kind: kind, name: "\(plural)/status", singularName: "",
                                             namespaced: namespaced, verbs: ["get", "patch", "update"]))
            }
            if version["subresources"]?["scale"] != nil {
                infos.append(APIResourceInfo(group: group, version: versionName, kind: "Scale", name: "\(plural)/scale", singularName: "",
                                             namespaced: namespaced, verbs: ["get", "patch", "update"],
                                             kindGroupVersion: GroupVersion(group: "autoscaling", version: "v1")))
            }
        }
        registry.setCustomResources(crdName: name, infos, schemas: schemas, conversion: CustomResourceConversion(crd: crd), traits: traits)
    }

    /// A served version's deprecation warning (kube's default text when the CRD gives none),
    /// selectable fields and scale paths.
    static func versionTraits(_ crd: JSONValue, version: JSONValue) -> CustomVersionTraits {
        var traits = CustomVersionTraits()
        let name = version["name"]?.stringValue ?? ""
        let group = crd["spec"]?["group"]?.stringValue ?? ""
        let kind = crd["spec"]?["names"]?["kind"]?.stringValue ?? ""
        if version["deprecated"]?.boolValue == true {
            if let warning = version["deprecationWarning"]?.stringValue {
                traits.deprecationWarning = warning
            } else {
                // defaultDeprecationWarning: point at the newest served, not deprecated, newer version.
                var message = "\(group)/\(name) \(kind) is deprecated"
                let newer = (crd["spec"]?["versions"]?.arrayValue ?? []).filter { other in
                    guard let otherName = other["name"]?.stringValue else { return false }
                    return other["served"]?.boolValue == true && other["deprecated"]?.boolValue != true
                        && ResourceRegistry.versionPriority(otherName, name)
                }.compactMap { $0["name"]?.stringValue }.sorted(by: ResourceRegistry.versionPriority)
                if let best = newer.first { message += "; use \(group)/\(best) \(kind)" }
                traits.deprecationWarning = message
            }
        }
        // selectableFields sit on the version, or on the spec when every version has the same.
        let fields = version["selectableFields"]?.arrayValue ?? crd["spec"]?["selectableFields"]?.arrayValue ?? []
        traits.selectableFields = Set(fields.compactMap { $0["jsonPath"]?.stringValue }.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 })
        let scale = version["subresources"]?["scale"] ?? crd["spec"]?["subresources"]?["scale"]
        traits.labelSelectorPath = scale?["labelSelectorPath"]?.stringValue
        traits.specReplicasPath = scale?["specReplicasPath"]?.stringValue
        traits.statusReplicasPath = scale?["statusReplicasPath"]?.stringValue
        return traits
    }

    /// Stops serving a deleted CRD; returns the group-resource whose objects must go.
    static func stopServing(_ crd: JSONValue, registry: ResourceRegistry) -> GroupResource? {
        guard let name = crd["metadata"]?["name"]?.stringValue, let group = crd["spec"]?["group"]?.stringValue,
            let plural = crd["spec"]?["names"]?["plural"]?.stringValue
        else { return nil }
        registry.setCustomResources(crdName: name, nil)
        return GroupResource(group: group, resource: plural)
    }
}
