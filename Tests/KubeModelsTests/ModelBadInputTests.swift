import Foundation
import KubeCore
import KubeModels
import Testing

@Suite(.timeLimit(.minutes(3))) struct ModelBadInputTests {
    private func decodingError<T: Decodable>(_ type: T.Type, _ json: String) -> DecodingError? {
        do {
            _ = try JSONDecoder().decode(T.self, from: Data(json.utf8))
            return nil
        } catch let error as DecodingError {
            return error
        } catch {
            return nil
        }
    }

    private func path(_ error: DecodingError?) -> String {
        let context: DecodingError.Context? =
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context),
                .dataCorrupted(let context):
                context
            default: nil
            }
        var parts = context?.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" } ?? []
        if case .keyNotFound(let key, _) = error { parts.append(".\(key.stringValue)") }
        return parts.joined()
    }

    @Test func wrongTypeNamesThePath() {
        let error = decodingError(Pod.self, #"{"spec":{"containers":[{"name":"a","ports":[{"containerPort":"eighty"}]}]}}"#)
        guard case .typeMismatch = error else {
            Issue.record("expected a type mismatch, got \(String(describing: error))")
            return
        }
        #expect(path(error) == ".spec.containers[0].ports[0].containerPort")
    }

    @Test func missingRequiredFieldNamesThePath() {
        let error = decodingError(Pod.self, #"{"spec":{"containers":[{"image":"nginx"}]}}"#)
        guard case .keyNotFound = error else {
            Issue.record("expected a missing key, got \(String(describing: error))")
            return
        }
        #expect(path(error) == ".spec.containers[0].name")
        #expect(decodingError(RoleBinding.self, #"{"metadata":{"name":"x"}}"#) != nil)
    }

    @Test func unknownEnumStringsAreKept() throws {
        let json = #"{"metadata":{"name":"p"},"spec":{"containers":[{"name":"a","imagePullPolicy":"Sometimes"}]},"status":{"phase":"Hibernating"}}"#
        let pod = try JSONDecoder().decode(Pod.self, from: Data(json.utf8))
        #expect(pod.status?.phase == "Hibernating")
        #expect(pod.spec?.containers.first?.imagePullPolicy == "Sometimes")
        let again = try JSONDecoder().decode(Pod.self, from: JSONEncoder().encode(pod))
        #expect(again == pod)
    }

    @Test func invalidQuantityIsATypedErrorAtItsPath() {
        let error = decodingError(
            Pod.self, #"{"spec":{"containers":[{"name":"a","resources":{"limits":{"cpu":"lots"}}}]}}"#)
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected corrupted data, got \(String(describing: error))")
            return
        }
        #expect(context.underlyingError is QuantityError)
        #expect(path(error) == ".spec.containers[0].resources.limits.cpu")
    }

    @Test func invalidTimestampIsRejectedAtItsPath() {
        let error = decodingError(Pod.self, #"{"metadata":{"creationTimestamp":"yesterday"}}"#)
        guard case .dataCorrupted = error else {
            Issue.record("expected corrupted data, got \(String(describing: error))")
            return
        }
        #expect(path(error) == ".metadata.creationTimestamp")
        #expect(decodingError(Lease.self, #"{"spec":{"renewTime":"2024-13-01T00:00:00Z"}}"#) != nil)
    }

    @Test func invalidBase64IsRejected() {
        #expect(decodingError(Secret.self, #"{"data":{"k":"not base64!"}}"#) != nil)
    }

    @Test func notAnObject() {
        #expect(decodingError(Deployment.self, "[]") != nil)
        #expect(decodingError(Deployment.self, #"{"spec":"x"}"#) != nil)
    }
}
