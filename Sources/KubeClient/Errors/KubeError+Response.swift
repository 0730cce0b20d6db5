import Foundation
import KubeCore

extension KubeError {
    /// The error for a non-2xx response, like client-go's `transformResponse` +
    /// `newUnstructuredResponseError`: the body's `Status` when it is one, otherwise a
    /// `Status` synthesized from the HTTP code with client-go's wording.
    static func fromResponse(code: Int, body: Data, retryAfter: Int?, kind: String?, name: String?, verb: String) -> KubeError {
        if let status = try? JSONDecoder().decode(Status.self, from: body), status.kind == "Status" {
            var status = status
            if status.code == nil || status.code == 0 { status.code = code }
            return KubeError(status: status)
        }
        let (reason, message) = synthesized(code: code, body: body, verb: verb)
        var details: StatusDetails?
        if kind != nil || name != nil || retryAfter != nil {
            details = StatusDetails(name: name, kind: kind, retryAfterSeconds: retryAfter)
        }
        var text = message
        if code == 404, let kind, let name, !name.isEmpty { text = "\(kind) \"\(name)\" not found: \(message)" }
        return KubeError(status: Status(message: text, reason: reason, details: details, code: code))
    }

    private static func synthesized(code: Int, body: Data, verb: String) -> (String, String) {
        switch code {
        case 400: return (StatusReason.badRequest, "the server rejected our request for an unknown reason")
        case 401: return (StatusReason.unauthorized, "the server has asked for the client to provide credentials")
        case 403: return (StatusReason.forbidden, "the server does not allow access to the requested resource")
        case 404: return (StatusReason.notFound, "the server could not find the requested resource")
        case 405: return (StatusReason.methodNotAllowed, "the server does not allow this method on the requested resource")
        case 406: return (StatusReason.notAcceptable, "the server was unable to respond with a content type that the client supports")
        case 409: return (StatusReason.conflict, "the server reported a conflict")
        case 410: return (StatusReason.gone, "the server has removed the requested resource")
        case 413: return (StatusReason.requestEntityTooLarge, "the server has rejected the request because it is too large")
        case 415: return (StatusReason.unsupportedMediaType, "the server does not support the media type of the request")
        case 422: return (StatusReason.invalid, "the server rejected our request due to an error in our request")
        case 429: return (StatusReason.tooManyRequests, "the server has received too many requests and has asked us to try again later")
        case 503: return (StatusReason.serviceUnavailable, "the server is currently unable to handle the request")
        case 504:
            return (StatusReason.timeout, "the server was unable to return a response in the time allotted, but may still be processing the request")
        default:
            let snippet = bodySnippet(body)
            let reason = code >= 500 ? StatusReason.internalError : "Unknown"
            return (reason, "an error on the server (\"\(snippet)\") has prevented the request from succeeding (\(verb))")
        }
    }

    /// The start of a non-JSON body (an HTML error page, plain text) as one short line.
    static func bodySnippet(_ body: Data) -> String {
        var text = String(decoding: body.prefix(512), as: UTF8.self)
        if text.contains("<") {
            // An HTML page: keep the text, drop the tags.
            text = text.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        }
        let words = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        if words.isEmpty { return "unknown" }
        return words.count > 200 ? String(words.prefix(200)) + "..." : words
    }

    static func decoding(_ error: any Error, what: String) -> KubeError {
        KubeError(.decoding, "\(what) does not decode: \(DecodingPath.describe(error))")
    }
}

/// Turns a `DecodingError` into a sentence naming the JSON path (`items[3].metadata.name`).
enum DecodingPath {
    static func path(_ codingPath: [any CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += key.stringValue
            }
        }
        return result.isEmpty ? "(root)" : result
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? JSONReadError {
            let path = error.pathDescription == "$" ? "(root)" : error.pathDescription
            return "at \(path): \(error.message) (byte \(error.offset))"
        }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .typeMismatch(let type, let context):
            return "at \(path(context.codingPath)): expected \(typeName(type)) (\(context.debugDescription))"
        case .valueNotFound(let type, let context):
            return "at \(path(context.codingPath)): expected \(typeName(type)) but found null"
        case .keyNotFound(let key, let context):
            return "at \(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return "not valid JSON (\(underlyingDescription(context)))"
            }
            return "at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func underlyingDescription(_ context: DecodingError.Context) -> String {
        if let underlying = context.underlyingError { return "\(underlying)".prefix(200).description }
        return context.debugDescription
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Int32.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : ("\(type)".hasPrefix("Dictionary") ? "an object" : "\(type)")
        }
    }
}
