import APIServerSemantics
import Foundation
import KubeCore
import KubeCustomResources
import KubeModels
import Testing

/// A schema as JSON, the form kube-apiserver reads.
func json(_ schema: JSONSchemaProps) throws -> JSONValue { try JSONValue(encoding: schema) }

@Suite("Schemas derived from Swift types, per type and per marker", .timeLimit(.minutes(1)))
struct SchemaDerivationTests {
    let spec: JSONValue
    let properties: JSONValue

    init() throws {
        spec = try json(BackupSpec.kubeSchema)
        properties = try #require(spec["properties"])
    }

    @Test func scalarsMapToOpenAPITypesAndFormats() throws {
        #expect(properties["schedule"]?["type"] == "string")
        #expect(properties["keep"]?["type"] == "integer")
        #expect(properties["keep"]?["format"] == "int64")
        #expect(properties["minKeep"]?["format"] == "int32")
        #expect(properties["retentionDays"]?["format"] == "int64")
        #expect(properties["ratio"]?["type"] == "number")
        #expect(properties["ratio"]?["format"] == "double")
        #expect(properties["sample"]?["format"] == "float")
        #expect(properties["suspend"]?["type"] == "boolean")
        #expect(properties["notBefore"] == ["type": "string", "format": "date-time"])
    }

    @Test func collectionsNestedStructsAndEnums() throws {
        #expect(properties["tags"]?["type"] == "array")
        #expect(properties["tags"]?["items"] == ["type": "string"])
        #expect(properties["matrix"]?["items"]?["items"] == ["type": "integer", "format": "int64"])
        #expect(properties["uniqueNames"]?["x-kubernetes-list-type"] == "set")
        #expect(properties["labels"]?["type"] == "object")
        #expect(properties["labels"]?["additionalProperties"] == ["type": "string"])
        let target = try #require(properties["target"])
        #expect(target["type"] == "object")
        #expect(target["description"] == "Where a backup goes.")
        #expect(target["required"] == ["bucket"])
        #expect(target["properties"]?["prefix"] == ["type": "string"])
        #expect(properties["frequency"]?["type"] == "string")
        #expect(properties["frequency"]?["enum"] == ["hourly", "daily", "Weekly"])
        #expect(properties["frequency"]?["description"] == "How often a backup runs.")
        #expect(properties["ports"]?["items"]?["required"] == ["name", "port"])
    }

    @Test func kubernetesValueTypes() throws {
        #expect(properties["window"]?["x-kubernetes-int-or-string"] == true)
        #expect(properties["window"]?["anyOf"] == [["type": "integer"], ["type": "string"]])
        #expect(properties["window"]?["type"] == nil)
        #expect(properties["size"]?["x-kubernetes-int-or-string"] == true)
        #expect(properties["size"]?["pattern"]?.stringValue?.hasPrefix("^(\\+|-)?") == true)
        #expect(properties["raw"] == ["x-kubernetes-preserve-unknown-fields": true])
    }

    @Test func optionalsAndDefaultsAreNotRequired() throws {
        // schedule has no default and is not optional; keep, minKeep, suspend, frequency have defaults.
        #expect(spec["required"] == ["schedule"])
        #expect(properties["keep"]?["default"] == 7)
        #expect(properties["minKeep"]?["default"] == 1)
        #expect(properties["retries"]?["default"] == 3)
        #expect(properties["suspend"]?["default"] == false)
        #expect(properties["frequency"]?["default"] == "daily")
        #expect(properties["target"]?["default"] == nil)
    }

    @Test func descriptionsComeFromDocComments() throws {
        #expect(spec["description"] == "What a Backup should do.\nA second paragraph.")
        #expect(properties["schedule"]?["description"] == "A cron schedule, in five fields.")
        #expect(properties["keep"]?["description"] == "How many backups to keep.")
        #expect(properties["comment"]?["description"] == "Free text.")
        #expect(properties["ratio"]?["description"] == nil)
        #expect(properties["target"]?["properties"]?["bucket"]?["description"] == "The bucket's name.")
    }

    @Test func numericAndLengthMarkers() throws {
        #expect(properties["keep"]?["minimum"] == 1)
        #expect(properties["keep"]?["maximum"] == 100)
        #expect(properties["keep"]?["exclusiveMinimum"] == nil)
        #expect(properties["sample"]?["minimum"] == 0)
        #expect(properties["sample"]?["exclusiveMinimum"] == true)
        #expect(properties["sample"]?["exclusiveMaximum"] == true)
        #expect(properties["retentionDays"]?["multipleOf"] == 5)
        #expect(properties["schedule"]?["minLength"] == 9)
        let bucket = properties["target"]?["properties"]?["bucket"]
        #expect(bucket?["minLength"] == 3)
        #expect(bucket?["maxLength"] == 63)
        #expect(bucket?["pattern"] == "^[a-z0-9.-]+$")
        #expect(properties["target"]?["properties"]?["endpoint"]?["format"] == "uri")
        #expect(properties["tags"]?["minItems"] == 1)
        #expect(properties["tags"]?["maxItems"] == 5)
        #expect(properties["labels"]?["maxProperties"] == 10)
        #expect(properties["note"]?["nullable"] == true)
    }

    @Test func listAndMapTypes() throws {
        #expect(properties["tags"]?["x-kubernetes-list-type"] == "set")
        #expect(properties["ports"]?["x-kubernetes-list-type"] == "map")
        #expect(properties["ports"]?["x-kubernetes-list-map-keys"] == ["name"])
        #expect(properties["labels"]?["x-kubernetes-map-type"] == "atomic")
        #expect(properties["extra"]?["x-kubernetes-preserve-unknown-fields"] == true)
    }

    @Test func celRulesOnTypesAndProperties() throws {
        #expect(spec["x-kubernetes-validations"] == [[
            "rule": "self.keep >= self.minKeep", "message": "keep must be at least minKeep", "fieldPath": ".keep",
            "reason": "FieldValueInvalid",
        ]])
        #expect(properties["region"]?["x-kubernetes-validations"] == [["rule": "self == oldSelf", "message": "region is immutable"]])
        let rule = try #require(StructuralSchema(json: properties["region"]!).validations.first)
        #expect(rule.isTransitionRule)
    }

    @Test func computedAndStaticPropertiesAreLeftOut() throws {
        #expect(properties["computed"] == nil)
        #expect(properties["ignored"] == nil)
        #expect(properties.objectValue?.count == 24)
    }

    @Test func codingKeysNameTheJSONMembers() throws {
        let renamed = try json(Renamed.kubeSchema)
        #expect(renamed["properties"]?.objectValue?.keys.sorted() == ["display-name"])
        #expect(renamed["required"] == ["display-name"])
        let encoded = try JSONValue(encoding: Renamed(displayName: "x"))
        #expect(encoded == ["display-name": "x"])
    }

    @Test func everyCorpusSchemaIsStructural() throws {
        let schemas: [(String, JSONSchemaProps)] = [
            ("BackupSpec", BackupSpec.kubeSchema), ("BackupStatus", BackupStatus.kubeSchema), ("Target", Target.kubeSchema),
            ("Frequency", Frequency.kubeSchema), ("Renamed", Renamed.kubeSchema), ("Backup", Backup.kubeSchema),
            ("StoragePolicyV1", StoragePolicyV1.kubeSchema), ("Box", Box.kubeSchema),
        ]
        for (name, schema) in schemas {
            let errors = CRDSchemaCheck.structuralErrors(try json(schema), path: name)
            #expect(errors.isEmpty, "\(name): \(errors)")
        }
    }

    /// The schema describes what the type encodes: a full value validates, and survives pruning unchanged.
    @Test func encodedValuesValidateAgainstTheirSchema() throws {
        var value = BackupSpec(schedule: "0 3 * * *")
        value.target = Target(bucket: "my-bucket", prefix: "db", endpoint: "https://s3.example.com")
        value.tags = ["a", "b"]
        value.ports = [NamedPort(name: "http", port: 80)]
        value.labels = ["team": "db"]
        value.notBefore = Time(Date(timeIntervalSince1970: 1_700_000_000))
        value.window = "25%"
        value.size = try Quantity("10Gi")
        value.raw = ["anything": [1, "two"]]
        value.matrix = [[1, 2], [3]]
        value.uniqueNames = ["x"]
        let encoded = try JSONValue(encoding: value)
        let schema = StructuralSchema(json: try json(BackupSpec.kubeSchema))
        #expect(schema.validate(encoded).isEmpty)
        #expect(schema.prune(encoded).unknownFields.isEmpty)
        #expect(schema.prune(encoded).object == encoded)

        var bad = value
        bad.keep = 0
        bad.target?.bucket = "UPPER"
        let errors = schema.validate(try JSONValue(encoding: bad)).map(\.field)
        #expect(errors.contains { $0.hasSuffix("keep") })
        #expect(errors.contains { $0.hasSuffix("target.bucket") })
    }
}
