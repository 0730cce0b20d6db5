import Foundation
import KubeCore

/// `POST /_control/faults` (admin only): the HTTP face of ``FaultInjector``, for
/// clients in other processes (kubectl scripts, the Python client, `kube-test-server`).
extension APIServer {
    var faultInjector: FaultInjector { FaultInjector(state: faults, store: store, tokens: tokens) }

    func handleControl(_ request: ServerRequest) async throws(APIError) -> ServerResponse {
        guard request.path == "/_control/faults" else { throw APIError.pathNotFound }
        guard request.method == "POST" else {
            throw APIError(code: 405, reason: StatusReason.methodNotAllowed, message: "only POST is supported on /_control/faults")
        }
        let body = try JSONWriter.parse(request.body)
        let injector = faultInjector
        guard let action = body["action"]?.stringValue else { throw APIError.badRequest("action: Required value") }
        switch action {
        case "failNextRequests":
            guard let count = body["count"]?.intValue, let status = body["status"]?.intValue, (100...599).contains(status) else {
                throw APIError.badRequest("failNextRequests needs integer count and status (100-599)")
            }
            injector.failNextRequests(Int(count), status: Int(status), retryAfterSeconds: body["retryAfterSeconds"]?.intValue.map(Int.init),
                                      pathContains: body["pathContains"]?.stringValue)
        case "expireNextWatch": injector.expireNextWatch()
        case "dropAllWatches": await injector.dropAllWatches()
        case "setResponseDelay":
            guard let milliseconds = body["milliseconds"]?.intValue, milliseconds >= 0 else {
                throw APIError.badRequest("setResponseDelay needs a non-negative integer milliseconds")
            }
            injector.setResponseDelay(.milliseconds(milliseconds))
        case "compactHistory": await injector.compactHistory()
        case "rotateSigningKey": await injector.rotateSigningKey()
        case "expireAllTokens": await injector.expireAllTokens()
        case "clear": injector.clear()
        case "stallNextResponses", "stallNextResponseBodies", "blackHoleConnections":
            return try await handleHangControl(action, body: body, request: request, injector: injector)
        case "stopListener", "startListener":
            // Call it through another listener: stopping closes this request's connection too.
            guard let index = body["index"]?.intValue else { throw APIError.badRequest("\(action) needs an integer index") }
            guard let control = listenerControl.withLock({ $0 }) else { throw APIError.badRequest("listener control is not available") }
            do {
                try await control(Int(index), action == "startListener")
            } catch {
                throw APIError.badRequest("\(action) \(index): \(error)")
            }
        default:
            throw APIError.badRequest("unknown action \"\(action)\"")
        }
        return .json(200, JSONWriter.encode(Status(status: "Success", message: action, code: 200)))
    }
}

// MARK: - Stalls and black holes

extension APIServer {
    func handleHangControl(_ action: String, body: JSONValue, request: ServerRequest, injector: FaultInjector) async throws(APIError)
        -> ServerResponse
    {
        var message = action
        switch action {
        case "stallNextResponses":
            guard let count = body["count"]?.intValue, count > 0 else { throw APIError.badRequest("stallNextResponses needs a positive integer count") }
            injector.stallNextResponses(Int(count), pathContains: body["pathContains"]?.stringValue, watchesOnly: body["watchesOnly"]?.boolValue ?? false)
        case "stallNextResponseBodies":
            guard let count = body["count"]?.intValue, count > 0, let afterBytes = body["afterBytes"]?.intValue, afterBytes >= 0 else {
                throw APIError.badRequest("stallNextResponseBodies needs a positive integer count and a non-negative integer afterBytes")
            }
            injector.stallNextResponseBodies(Int(count), afterBytes: Int(afterBytes), pathContains: body["pathContains"]?.stringValue)
        default:
            // The connection carrying this request is spared, so the answer arrives.
            let count = await faults.connections.blackHole(listener: body["index"]?.intValue.map(Int.init), except: request.connectionID)
            message = "\(count) connections"
        }
        return .json(200, JSONWriter.encode(Status(status: "Success", message: message, code: 200)))
    }
}
