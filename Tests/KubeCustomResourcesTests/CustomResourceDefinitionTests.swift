import APIServerSemantics
import Foundation
import KubeCore
import KubeCustomResources
import KubeModels
import KubeYAML
import Testing

@Suite("@CustomResource: the KubeResource type and its CustomResourceDefinition", .timeLimit(.minutes(1)))
struct CustomResourceDefinitionTests {
    @Test func resourceStaticsComeFromTheArguments() {
        #expect(Backup.group == "backup.example.com")
        #expect(Backup.version == "v1")
        #expect(Backup.kind == "Backup")
        #expect(Backup.plural == "backups")
        #expect(Backup.namespaced)
        #expect(Backup.apiVersion == "backup.example.com/v1")
        #expect(StoragePolicyV1.kind == "StoragePolicy")
        #expect(!StoragePolicyV1.namespaced)
        #expect(Policy.plural == "policies")
        #expect(Box.plural == "boxes")
        #expect(CustomResourceNames.plural(of: "Gateway") == "gateways")
        #expect(CustomResourceNames.plural(of: "Match") == "matches")
    }

    @Test func theCRDCarriesNamesScopeSubresourcesAndColumns() throws {
        let crd = Backup.customResourceDefinition
        #expect(crd.metadata.name == "backups.backup.example.com")
        #expect(crd.spec.group == "backup.example.com")
        #expect(crd.spec.scope == "Namespaced")
        #expect(crd.spec.names.kind == "Backup")
        #expect(crd.spec.names.listKind == "BackupList")
        #expect(crd.spec.names.singular == "backup")
        #expect(crd.spec.names.shortNames == ["bk"])
        #expect(crd.spec.names.categories == ["all", "backups"])
        #expect(crd.spec.conversion == nil)
        let version = try #require(crd.spec.versions.first)
        #expect(crd.spec.versions.count == 1)
        #expect(version.name == "v1" && version.served && version.storage)
        #expect(version.subresources?.status == .object([:]))
        #expect(version.subresources?.scale?.specReplicasPath == ".spec.replicas")
        #expect(version.subresources?.scale?.statusReplicasPath == ".status.replicas")
        #expect(version.additionalPrinterColumns?.map(\.name) == ["Schedule", "Keep"])
        #expect(version.additionalPrinterColumns?.last?.type == "integer")
        #expect(version.additionalPrinterColumns?.last?.priority == 1)
        #expect(version.selectableFields?.map(\.jsonPath) == [".spec.schedule"])
        let root = try json(try #require(version.schema?.openAPIV3Schema))
        #expect(root["description"] == "A scheduled backup of a bucket.")
        #expect(root["properties"]?.objectValue?.keys.sorted() == ["apiVersion", "kind", "metadata", "spec", "status"])
        #expect(root["properties"]?["metadata"] == ["type": "object"])
        #expect(root["required"] == ["spec"])
        #expect(root["properties"]?["status"]?["properties"]?["conditions"]?["x-kubernetes-list-map-keys"] == ["type"])
        // Without a status type: no subresources, and a defaulted spec is not required.
        let box = Box.customResourceDefinition
        #expect(box.spec.scope == "Cluster")
        #expect(box.spec.versions[0].subresources == nil)
        let boxRoot = try json(try #require(box.spec.versions[0].schema?.openAPIV3Schema))
        #expect(boxRoot["required"] == nil)
        #expect(boxRoot["properties"]?["spec"]?["default"] == [:])
        #expect(boxRoot["properties"]?["data"]?["description"] == "A top-level field beside spec.")
    }

    @Test func everyGeneratedCRDPassesKubeApiserversChecks() throws {
        let all = try CustomResourceDefinitions.definitions(for: [
            Backup.self, StoragePolicyV1alpha1.self, StoragePolicyV1.self, Policy.self, Box.self,
        ])
        #expect(all.map { $0.metadata.name } == ["backups.backup.example.com", "storagepolicies.example.com", "policies.example.com", "boxes.example.com"])
        for crd in all {
            let errors = CRDSchemaCheck.errors(try JSONValue(encoding: crd))
            #expect(errors.isEmpty, "\(crd.metadata.name ?? ""): \(errors)")
        }
    }

    @Test func versionsOfOneResourceBecomeOneCRD() throws {
        let crds = try CustomResourceDefinitions.definitions(for: [StoragePolicyV1alpha1.self, StoragePolicyV1.self])
        let crd = try #require(crds.first)
        #expect(crds.count == 1)
        #expect(crd.spec.versions.map(\.name) == ["v1alpha1", "v1"])
        #expect(crd.spec.versions.map(\.storage) == [false, true])
        #expect(crd.spec.versions.map(\.served) == [true, true])
        #expect(crd.spec.versions[0].deprecated == true)
        #expect(crd.spec.versions[0].deprecationWarning == "example.com/v1alpha1 StoragePolicy is deprecated; use example.com/v1")
        #expect(crd.spec.conversion?.strategy == "Webhook")
        #expect(crd.spec.conversion?.webhook?.conversionReviewVersions == ["v1"])
        #expect(crd.spec.conversion?.webhook?.clientConfig?.service?.name == "policy-webhook")
        #expect(crd.spec.conversion?.webhook?.clientConfig?.service?.namespace == "ops")
        #expect(crd.spec.conversion?.webhook?.clientConfig?.service?.path == "/convert")
        // Each version keeps its own schema.
        let old = try json(try #require(crd.spec.versions[0].schema?.openAPIV3Schema))
        let new = try json(try #require(crd.spec.versions[1].schema?.openAPIV3Schema))
        #expect(old["properties"]?["spec"]?["properties"]?["renamed"] == nil)
        #expect(new["properties"]?["spec"]?["properties"]?["renamed"] != nil)
    }

    @Test func inconsistentVersionsAreTypedErrors() throws {
        #expect {
            _ = try CustomResourceDefinitions.definitions(for: [StoragePolicyV1alpha1.self])
        } throws: { ($0 as? CustomResourceDefinitionError)?.code == .storageVersion }
        #expect {
            _ = try CustomResourceDefinitions.definitions(for: [StoragePolicyV1.self, StoragePolicyV1.self])
        } throws: { ($0 as? CustomResourceDefinitionError)?.code == .duplicateVersion }
        do {
            _ = try CustomResourceDefinitions.definitions(for: [StoragePolicyV1alpha1.self])
        } catch {
            #expect(error.description == "CustomResourceDefinition storagepolicies.example.com: exactly one version must be the storage version (storage: true), found 0: ")
        }
    }

    @Test func objectsEncodeWithApiVersionAndKindAndDecodeBack() throws {
        var backup = Backup(metadata: ObjectMeta(name: "nightly", namespace: "db"), spec: BackupSpec(schedule: "0 3 * * *"))
        backup.status = BackupStatus(observedGeneration: 2)
        let encoded = try JSONValue(encoding: backup)
        #expect(encoded["apiVersion"] == "backup.example.com/v1")
        #expect(encoded["kind"] == "Backup")
        #expect(encoded["metadata"]?["name"] == "nightly")
        #expect(encoded["spec"]?["keep"] == 7)
        #expect(encoded["status"]?["observedGeneration"] == 2)
        let decoded: Backup = try encoded.decode()
        #expect(decoded.spec == backup.spec)
        #expect(decoded.status == backup.status)
        #expect(decoded.metadata.namespace == "db")
        // A missing status and metadata decode as absent / empty; a missing spec with a default takes it.
        let box: Box = try JSONValue.object(["apiVersion": "example.com/v1", "kind": "Box"]).decode()
        #expect(box.spec == EmptySpec())
        #expect(box.metadata.name == nil)
        #expect(throws: DecodingError.self) { let _: Backup = try JSONValue.object(["kind": "Backup"]).decode() }
    }

    /// The YAML for `kubectl apply` reads back (with the YAML reader kube-apiserver's behaviour is modelled on) as the CRD's JSON.
    @Test func yamlOutputReadsBackAsTheCRD() throws {
        let types: [any CustomResource.Type] = [Backup.self, StoragePolicyV1alpha1.self, StoragePolicyV1.self]
        let yaml = try CustomResourceDefinitions.yaml(for: types)
        #expect(yaml.hasPrefix("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: backups.backup.example.com\n"))
        let documents = try YAMLToJSON.documents(yaml)
        let expected = try CustomResourceDefinitions.definitions(for: types).map { try JSONValue(encoding: $0) }
        #expect(documents == expected)
        // Plain scalars where YAML allows them, keys in go-yaml's order below the manifest's leading ones.
        #expect(yaml.contains("jsonPath: .spec.schedule\n"))
        #expect(yaml.contains("name: Schedule\n"))
    }

    @Test func yamlWriterQuotesWhatYAMLWouldReadOtherwise() throws {
        let tricky: JSONValue = [
            "yes": "no", "number": "1.5", "empty": "", "colon": "a: b", "hash": "a #b", "null": "null", "nl": "line\nnext",
            "lead": " x", "dash": "-x", "star": "*x", "ok": "plain text", "list": [[:], [], "x", ["a": 1, "b": [true, nil]]],
            "n": 1.25, "unicode": "ü ✓",
        ]
        let yaml = YAMLWriter.string(tricky, keyOrder: .manifest)
        #expect(try YAMLToJSON.document(yaml) == tricky)
        #expect(yaml.contains("ok: plain text\n"))
        #expect(yaml.contains("\"yes\": \"no\"\n"))
    }

    @Test func theCRDCommandPrintsEveryCRD() throws {
        struct CRD: CustomResourceDefinitionsCommand {
            static let customResources: [any CustomResource.Type] = [Backup.self, Box.self]
        }
        #expect(CRD.configuration.commandName == "crd")
        let yaml = try CRD.render(.yaml)
        #expect(try YAMLToJSON.documents(yaml).count == 2)
        let list = try JSONDecoder().decode(JSONValue.self, from: Data(try CRD.render(.json).utf8))
        #expect(list["kind"] == "List")
        #expect(list["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } == ["backups.backup.example.com", "boxes.example.com"])
        _ = try CRD.parse([])
    }
}
