import Foundation
import KubeCore
import KubeModels

/// A custom resource type: a ``KubeResource`` whose CustomResourceDefinition comes from the
/// type itself. `@CustomResource` conforms a struct; the requirements are what it generates.
public protocol CustomResource: KubeResource, KubeSchemaType {
    /// Everything of the CRD that is not in the ``KubeResource`` statics or the schema.
    static var customResourceOptions: CustomResourceOptions { get }
}

extension CustomResource {
    /// `<plural>.<group>`, the name kube-apiserver requires for the CRD.
    public static var customResourceDefinitionName: String { "\(plural).\(group)" }

    /// The CRD of this type alone (one version, served and stored). Several Swift types for
    /// versions of one resource combine with ``CustomResourceDefinitions/definitions(for:)``.
    public static var customResourceDefinition: CustomResourceDefinition {
        CustomResourceDefinitions.definition(names: self, versions: [customResourceDefinitionVersion], conversion: customResourceOptions.conversion)
    }

    /// This type's entry in `spec.versions`: schema, subresources, printer columns.
    public static var customResourceDefinitionVersion: APIExtensions.V1.CustomResourceDefinitionVersion {
        let options = customResourceOptions
        var subresources: APIExtensions.V1.CustomResourceSubresources?
        if options.hasStatus || options.scale != nil {
            subresources = APIExtensions.V1.CustomResourceSubresources(
                scale: options.scale.map {
                    APIExtensions.V1.CustomResourceSubresourceScale(
                        labelSelectorPath: $0.labelSelectorPath, specReplicasPath: $0.specReplicasPath, statusReplicasPath: $0.statusReplicasPath)
                },
                status: options.hasStatus ? .object([:]) : nil)
        }
        return APIExtensions.V1.CustomResourceDefinitionVersion(
            additionalPrinterColumns: options.printerColumns.isEmpty ? nil : options.printerColumns.map(\.model),
            deprecated: options.deprecationWarning == nil ? nil : true, deprecationWarning: options.deprecationWarning,
            name: version, schema: APIExtensions.V1.CustomResourceValidation(openAPIV3Schema: kubeSchema),
            selectableFields: options.selectableFields.isEmpty ? nil : options.selectableFields.map { APIExtensions.V1.SelectableField(jsonPath: $0) },
            served: options.served, storage: options.storage, subresources: subresources)
    }
}

/// The parts of a CRD that `@CustomResource`'s arguments give (see that macro for each).
public struct CustomResourceOptions: Sendable, Hashable {
    public var hasStatus: Bool
    public var singular: String?
    public var shortNames: [String]
    public var categories: [String]
    public var scale: ScaleSubresource?
    public var printerColumns: [PrinterColumn]
    public var selectableFields: [String]
    public var served: Bool
    public var storage: Bool
    public var deprecationWarning: String?
    public var conversion: ConversionStrategy

    public init(
        hasStatus: Bool = false, singular: String? = nil, shortNames: [String] = [], categories: [String] = [],
        scale: ScaleSubresource? = nil, printerColumns: [PrinterColumn] = [], selectableFields: [String] = [],
        served: Bool = true, storage: Bool = true, deprecationWarning: String? = nil, conversion: ConversionStrategy = .none
    ) {
        self.hasStatus = hasStatus
        self.singular = singular
        self.shortNames = shortNames
        self.categories = categories
        self.scale = scale
        self.printerColumns = printerColumns
        self.selectableFields = selectableFields
        self.served = served
        self.storage = storage
        self.deprecationWarning = deprecationWarning
        self.conversion = conversion
    }
}

/// The scale subresource (`kubectl scale`, the HorizontalPodAutoscaler): where the replica
/// counts live, as `.spec.replicas`-style paths.
public struct ScaleSubresource: Sendable, Hashable {
    public var specReplicasPath: String
    public var statusReplicasPath: String
    public var labelSelectorPath: String?

    public init(specReplicasPath: String = ".spec.replicas", statusReplicasPath: String = ".status.replicas", labelSelectorPath: String? = nil) {
        self.specReplicasPath = specReplicasPath
        self.statusReplicasPath = statusReplicasPath
        self.labelSelectorPath = labelSelectorPath
    }
}

/// An additional printer column of `kubectl get`.
public struct PrinterColumn: Sendable, Hashable {
    /// The column's OpenAPI type.
    public enum ColumnType: String, Sendable, Hashable {
        case string, integer, number, boolean, date
    }

    public var name: String
    public var type: ColumnType
    public var jsonPath: String
    public var description: String?
    public var format: String?
    /// 0 shows in `kubectl get`; higher only with `-o wide`.
    public var priority: Int32?

    public init(name: String, type: ColumnType, jsonPath: String, description: String? = nil, format: String? = nil, priority: Int32? = nil) {
        self.name = name
        self.type = type
        self.jsonPath = jsonPath
        self.description = description
        self.format = format
        self.priority = priority
    }

    var model: APIExtensions.V1.CustomResourceColumnDefinition {
        APIExtensions.V1.CustomResourceColumnDefinition(
            description: description, format: format, jsonPath: jsonPath, name: name, priority: priority, type: type.rawValue)
    }
}

/// How kube-apiserver converts objects between the versions of a CRD.
public enum ConversionStrategy: Sendable, Hashable {
    /// Only `apiVersion` changes (every version must then have the same fields).
    case none
    /// A conversion webhook (KubeWebhooks' conversion server): a Service in the cluster, or a URL.
    case webhook(WebhookEndpoint, caBundle: Data? = nil, conversionReviewVersions: [String] = ["v1"])

    /// Where kube-apiserver sends `ConversionReview`s.
    public enum WebhookEndpoint: Sendable, Hashable {
        case service(namespace: String, name: String, path: String? = nil, port: Int32? = nil)
        case url(String)
    }

    var model: APIExtensions.V1.CustomResourceConversion {
        switch self {
        case .none:
            return APIExtensions.V1.CustomResourceConversion(strategy: "None")
        case .webhook(let endpoint, let caBundle, let versions):
            let client: APIExtensions.V1.WebhookClientConfig
            switch endpoint {
            case .service(let namespace, let name, let path, let port):
                client = APIExtensions.V1.WebhookClientConfig(
                    caBundle: caBundle, service: APIExtensions.V1.ServiceReference(name: name, namespace: namespace, path: path, port: port))
            case .url(let url):
                client = APIExtensions.V1.WebhookClientConfig(caBundle: caBundle, url: url)
            }
            return APIExtensions.V1.CustomResourceConversion(
                strategy: "Webhook", webhook: APIExtensions.V1.WebhookConversion(clientConfig: client, conversionReviewVersions: versions))
        }
    }
}

/// Kubernetes' naming of resources.
public enum CustomResourceNames {
    /// The plural resource name of `kind`: lower-cased, `s` added (`es` after s, x, z, ch, sh;
    /// `ies` for a consonant and y), as kubebuilder's and kube-rs's defaults do.
    public static func plural(of kind: String) -> String {
        let lower = kind.lowercased()
        if ["s", "x", "z", "ch", "sh"].contains(where: { lower.hasSuffix($0) }) { return lower + "es" }
        if lower.hasSuffix("y"), let before = lower.dropLast().last, !"aeiou".contains(before) { return lower.dropLast() + "ies" }
        return lower + "s"
    }
}
