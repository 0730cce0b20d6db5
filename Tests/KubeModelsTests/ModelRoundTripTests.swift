import Foundation
import KubeCore
import KubeModels
import Testing

@Suite(.timeLimit(.minutes(3))) struct ModelRoundTripTests {
    /// JSON as a comparable value: `null` members dropped (absent optionals are
    /// omitted on encode, as kube-apiserver omits them), numbers compared by value.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.filter { $0.value != .null }.mapValues(normalized))
        case .array(let items):
            return .array(items.map(normalized))
        case .int(let number):
            return .double(Double(number))
        default:
            return value
        }
    }

    func roundTrip<T: Codable>(_ type: T.Type, _ fixture: String) throws -> T {
        let input = try Fixture.data(fixture)
        let decoded = try JSONDecoder().decode(T.self, from: input)
        let output = try JSONEncoder().encode(decoded)
        let expected = Self.normalized(try JSONDecoder().decode(JSONValue.self, from: input))
        let actual = Self.normalized(try JSONDecoder().decode(JSONValue.self, from: output))
        #expect(actual == expected, "\(fixture) does not round-trip")
        // Decoding the output again gives the same bytes (with sorted keys: map order is not stable).
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        #expect(try sorted.encode(try JSONDecoder().decode(T.self, from: output)) == sorted.encode(decoded))
        return decoded
    }

    @Test func pod() throws {
        let pod = try roundTrip(Pod.self, "pod")
        #expect(pod.metadata.name == "web-7d4b9c8f6d-x2k9p")
        let container = try #require(pod.spec?.containers.first)
        #expect(container.ports?.first?.containerPort == 8080)
        #expect(container.resources?.limits?["memory"] == (try Quantity("256Mi")))
        #expect(container.livenessProbe?.httpGet?.port == .string("http"))
        #expect(container.readinessProbe?.tcpSocket?.port == .int(8080))
        #expect(pod.status?.phase == "Running")
        #expect(pod.status?.containerStatuses?.first?.ready == true)
        #expect(Pod.descriptor == ResourceDescriptor(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true))
    }

    @Test func deployment() throws {
        let deployment = try roundTrip(Deployment.self, "deployment")
        #expect(deployment.spec?.replicas == 3)
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable == .string("25%"))
        #expect(deployment.spec?.strategy?.rollingUpdate?.maxSurge == .int(1))
        #expect(deployment.spec?.selector.matchExpressions?.first?.values == ["frontend", "edge"])
        #expect(Deployment.apiVersion == "apps/v1")
        #expect(Deployment.plural == "deployments")
    }

    @Test func service() throws {
        let service = try roundTrip(Service.self, "service")
        #expect(service.spec?.ports?.first?.targetPort == .int(6443))
        #expect(service.spec?.ports?.last?.targetPort == .string("metrics"))
        #expect(service.spec?.clusterIP == "10.96.0.1")
    }

    @Test func endpointSlice() throws {
        let slice = try roundTrip(EndpointSlice.self, "endpointslice")
        #expect(slice.addressType == "IPv4")
        #expect(slice.endpoints?.count == 2)
        #expect(slice.endpoints?.last?.conditions?.terminating == true)
        #expect(EndpointSlice.group == "discovery.k8s.io")
    }

    @Test func configMapAndSecret() throws {
        let configMap = try roundTrip(ConfigMap.self, "configmap")
        #expect(configMap.data?["settings.yaml"] == "log-level: debug\nreplicas: 3\n")
        #expect(configMap.binaryData?["logo.png"]?.count == 70)
        let secret = try roundTrip(Secret.self, "secret")
        #expect(secret.data?["username"] == Data("admin".utf8))
        #expect(secret.type == "Opaque")
    }

    @Test func lease() throws {
        let lease = try roundTrip(Lease.self, "lease")
        #expect(lease.spec?.holderIdentity == "my-controller-6c9f7b5d4-2xkqz")
        #expect(lease.spec?.leaseDurationSeconds == 15)
        #expect(lease.spec?.renewTime?.description == "2024-05-01T12:34:56.789012Z")
        #expect(Lease.namespaced)
    }

    @Test func roleAndRoleBinding() throws {
        let role = try roundTrip(Role.self, "role")
        #expect(role.rules?.last?.resourceNames == ["my-controller"])
        let binding = try roundTrip(RoleBinding.self, "rolebinding")
        #expect(binding.roleRef.name == "pod-reader")
        #expect(binding.subjects?.count == 2)
    }

    @Test func customResourceDefinition() throws {
        let crd = try roundTrip(CustomResourceDefinition.self, "crd")
        #expect(!CustomResourceDefinition.namespaced)
        let schema = try #require(crd.spec.versions.first?.schema?.openAPIV3Schema)
        let spec = try #require(schema.properties?["spec"])
        #expect(spec.required == ["size"])
        #expect(spec.properties?["port"]?.xKubernetesIntOrString == true)
        #expect(spec.properties?["name"]?.not?.pattern == "^forbidden$")
        #expect(spec.properties?["size"]?.default == .int(3))
        #expect(spec.xKubernetesValidations?.first?.rule == "self.size <= 10")
    }

    @Test func selfSubjectAccessReview() throws {
        let review = try roundTrip(SelfSubjectAccessReview.self, "selfsubjectaccessreview")
        #expect(review.spec.resourceAttributes?.verb == "list")
        #expect(review.status?.allowed == true)
        #expect(!SelfSubjectAccessReview.namespaced)
    }

    @Test func encodingFillsTypeMetaAndOmitsAbsentFields() throws {
        let pod = Pod(metadata: ObjectMeta(name: "a"), spec: Core.V1.PodSpec(containers: [Core.V1.Container(name: "c")]))
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(pod))
        #expect(
            json
                == [
                    "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "a"],
                    "spec": ["containers": [["name": "c"]]],
                ])
    }

    @Test func namespacesKeepClashingKindsApart() throws {
        let core = try JSONDecoder().decode(Core.V1.Event.self, from: Data(#"{"involvedObject":{},"metadata":{}}"#.utf8))
        #expect(core.involvedObject.kind == nil)
        let events = try JSONDecoder().decode(Events.V1.Event.self, from: Data(#"{"eventTime":"2024-05-01T12:00:00.000000Z"}"#.utf8))
        #expect(events.eventTime?.description == "2024-05-01T12:00:00.000000Z")
        #expect(Core.V1.Event.apiVersion == "v1")
        #expect(Events.V1.Event.apiVersion == "events.k8s.io/v1")
        #expect(Autoscaling.V2.HorizontalPodAutoscaler.apiVersion == "autoscaling/v2")
    }
}
