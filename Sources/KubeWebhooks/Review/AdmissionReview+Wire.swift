import Foundation
import KubeCore

/// An admission review as read from the wire, with the JSON text of its objects, so that a
/// typed handler decodes them straight from the text.
struct ReceivedAdmission: Sendable {
    var request: AdmissionReview.Request

    var objectBytes: [UInt8]? { request.rawObject.map { $0.bytes ?? $0.value.jsonBytes } }
    var oldObjectBytes: [UInt8]? { request.rawOldObject.map { $0.bytes ?? $0.value.jsonBytes } }
}

extension AdmissionReview {
    /// Reads an `admission.k8s.io/v1` `AdmissionReview` with a request in one pass of the
    /// fast reader (no `Codable`, no `JSONEncoder`). Returns `nil`, or throws, for anything
    /// else; the caller then diagnoses the body with the slower path that names the problem.
    static func readRequest(_ buffer: UnsafeRawBufferPointer) throws(JSONReadError) -> ReceivedAdmission? {
        var reader = JSONReader(buffer)
        var apiVersion: String?
        var kind: String?
        var received: ReceivedAdmission?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "apiVersion": apiVersion = try Self.optionalString(&reader)
            case "kind": kind = try Self.optionalString(&reader)
            case "request": received = try reader.readNull() ? nil : Self.readRequestBody(&reader)
            default: try reader.skipValue()
            }
        }
        try reader.expectEnd()
        guard apiVersion == Self.apiVersion, kind == Self.kind else { return nil }
        return received
    }

    private static func readRequestBody(_ reader: inout JSONReader) throws(JSONReadError) -> ReceivedAdmission? {
        var uid: String?
        var kind: GroupVersionKind?
        var resource: GroupVersionResource?
        var subResource: String?
        var requestKind: GroupVersionKind?
        var requestResource: GroupVersionResource?
        var requestSubResource: String?
        var name: String?
        var namespace: String?
        var operation: String?
        var userInfo: UserInfo?
        var object: RawJSON?
        var oldObject: RawJSON?
        var dryRun: Bool?
        var options: JSONValue?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "uid": uid = try reader.readString()
            case "kind": kind = try Self.readKind(&reader)
            case "resource": resource = try Self.readResource(&reader)
            case "subResource": subResource = try Self.optionalString(&reader)
            case "requestKind": requestKind = try reader.readNull() ? nil : Self.readKind(&reader)
            case "requestResource": requestResource = try reader.readNull() ? nil : Self.readResource(&reader)
            case "requestSubResource": requestSubResource = try Self.optionalString(&reader)
            case "name": name = try Self.optionalString(&reader)
            case "namespace": namespace = try Self.optionalString(&reader)
            case "operation": operation = try reader.readString()
            case "userInfo": userInfo = try Self.readUserInfo(&reader)
            case "object": object = try reader.readNull() ? nil : RawJSON(reading: &reader)
            case "oldObject": oldObject = try reader.readNull() ? nil : RawJSON(reading: &reader)
            case "dryRun": dryRun = try reader.readNull() ? nil : reader.readBool()
            case "options":
                // Not a ternary: `nil` there would be the literal `JSONValue.null`.
                if !reader.readNull() { options = try reader.readValue() }
            default: try reader.skipValue()
            }
        }
        guard let uid, let kind, let resource, let operation, let userInfo else { return nil }
        var request = AdmissionReview.Request(
            uid: uid, kind: kind, resource: resource, subResource: subResource, requestKind: requestKind,
            requestResource: requestResource, requestSubResource: requestSubResource, name: name, namespace: namespace,
            operation: AdmissionOperation(rawValue: operation), userInfo: userInfo, dryRun: dryRun, options: options)
        // The objects stay text until someone asks (a typed handler decodes the text itself).
        request.rawObject = object
        request.rawOldObject = oldObject
        return ReceivedAdmission(request: request)
    }

    private static func optionalString(_ reader: inout JSONReader) throws(JSONReadError) -> String? {
        try reader.readNull() ? nil : reader.readString()
    }

    private static func readKind(_ reader: inout JSONReader) throws(JSONReadError) -> GroupVersionKind? {
        var group: String?, version: String?, kind: String?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "group": group = try reader.readString()
            case "version": version = try reader.readString()
            case "kind": kind = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let group, let version, let kind else { return nil }
        return GroupVersionKind(group: group, version: version, kind: kind)
    }

    private static func readResource(_ reader: inout JSONReader) throws(JSONReadError) -> GroupVersionResource? {
        var group: String?, version: String?, resource: String?
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "group": group = try reader.readString()
            case "version": version = try reader.readString()
            case "resource": resource = try reader.readString()
            default: try reader.skipValue()
            }
        }
        guard let group, let version, let resource else { return nil }
        return GroupVersionResource(group: group, version: version, resource: resource)
    }

    private static func readUserInfo(_ reader: inout JSONReader) throws(JSONReadError) -> UserInfo {
        var info = UserInfo()
        try reader.readObject { (reader: inout JSONReader, key: JSONKey) throws(JSONReadError) in
            switch key {
            case "username": info.username = try Self.optionalString(&reader)
            case "uid": info.uid = try Self.optionalString(&reader)
            case "groups": info.groups = try reader.readNull() ? nil : reader.readStringArray()
            case "extra": info.extra = try reader.readNull() ? nil : [String: [String]](reading: &reader)
            default: try reader.skipValue()
            }
        }
        return info
    }

    /// `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{…}}` written
    /// by hand: every review is answered with one, so it skips `JSONEncoder`. The members
    /// are those `JSONEncoder` writes for ``Response`` (absent optionals omitted; `patch` in base64).
    static func responseBytes(_ response: Response) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(192)
        out.append(contentsOf: #"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"#.utf8)
        JSONValue.writeJSONString(response.uid, into: &out)
        out.append(contentsOf: (response.allowed ? #","allowed":true"# : #","allowed":false"#).utf8)
        if let status = response.status {
            out.append(contentsOf: #","status":"#.utf8)
            if let value = try? JSONValue(encoding: status) {
                value.writeJSON(into: &out)
            } else {
                out.append(contentsOf: "{}".utf8)
            }
        }
        if let patch = response.patch {
            out.append(contentsOf: #","patch":""#.utf8)
            out.append(contentsOf: patch.base64EncodedString().utf8)
            out.append(UInt8(ascii: "\""))
        }
        if let patchType = response.patchType {
            out.append(contentsOf: #","patchType":"#.utf8)
            JSONValue.writeJSONString(patchType, into: &out)
        }
        if let annotations = response.auditAnnotations {
            out.append(contentsOf: #","auditAnnotations":"#.utf8)
            JSONValue.object(annotations.mapValues(JSONValue.string)).writeJSON(into: &out)
        }
        if let warnings = response.warnings {
            out.append(contentsOf: #","warnings":"#.utf8)
            JSONValue.array(warnings.map(JSONValue.string)).writeJSON(into: &out)
        }
        out.append(contentsOf: "}}".utf8)
        return out
    }
}
