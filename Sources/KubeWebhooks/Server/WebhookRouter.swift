import Foundation
import KubeCore
import Logging
import Metrics

/// An HTTP response from ``WebhookRouter``, independent of any HTTP stack.
public struct WebhookHTTPResponse: Sendable, Hashable {
    public var status: Int
    public var contentType: String
    public var body: Data

    public init(status: Int, contentType: String = "application/json", body: Data) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// Routes webhook requests by path and answers them: the part of ``WebhookServer`` that
/// knows no HTTP stack, so the same webhooks can be mounted in an existing Hummingbird
/// or Vapor application (pass the method, path and collected body; write back the
/// status, content type and body).
///
/// Every request gets an answer, never a crash: an unknown path is a 404, a method
/// other than POST a 405; for admission paths, a body that is not an
/// `admission.k8s.io/v1` `AdmissionReview` (malformed JSON, another `apiVersion` or
/// `kind`, no `request`, a body over the limit) is answered like controller-runtime does,
/// with HTTP 200 and a response `allowed: false` whose `status.code` says why (400, 413),
/// echoing the `uid` when one could be read; for conversion paths the same cases are
/// an HTTP 400 or 413 with a `Status` body. A handler that throws or outlives its
/// ``Webhook/timeout`` is a denial (admission) or a `Failure` (conversion).
///
/// Logs one line per review at ``reviewLogLevel`` (webhook, uid, operation, kind,
/// namespace/name, user, result, duration; never object contents) and records the
/// metrics (through `metricsFactory`, the bootstrapped one by default) `kube_webhook_reviews_total` (dimensions `webhook`, `operation`, `result`:
/// `allowed`, `denied`, `patched`, `error`) and `kube_webhook_review_duration_seconds`
/// (dimension `webhook`).
public struct WebhookRouter: Sendable {
    public let webhooks: [String: Webhook]
    /// Bodies larger than this are refused. Default 7 MiB: kube-apiserver accepts request
    /// bodies up to 3 MiB and an UPDATE review carries the object twice (object and
    /// oldObject), plus the envelope.
    public let maxRequestBodyBytes: Int
    public let reviewLogLevel: Logger.Level
    let logger: Logger
    let metricsFactory: any MetricsFactory

    public static let defaultMaxRequestBodyBytes = 7 * 1024 * 1024

    public init(
        webhooks: [Webhook], maxRequestBodyBytes: Int = Self.defaultMaxRequestBodyBytes,
        reviewLogLevel: Logger.Level = .info, logger: Logger = Logger(label: "kube.webhooks"),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.metricsFactory = metricsFactory ?? MetricsSystem.factory
        self.webhooks = Dictionary(webhooks.map { ($0.path, $0) }, uniquingKeysWith: { _, last in last })
        self.maxRequestBodyBytes = maxRequestBodyBytes
        self.reviewLogLevel = reviewLogLevel
        self.logger = logger
    }

    /// Answers one request. `path` may carry a query string (ignored).
    public func respond(method: String, path: String, body: Data) async -> WebhookHTTPResponse {
        let decided = body.withUnsafeBytes { self.plan(method: method, path: path, body: $0) }
        switch decided {
        case .answer(let response):
            return response
        case .review(let review):
            let outcome: Result<@Sendable () -> WebhookHTTPResponse, Failure> = await Self.withTimeout(review.timeout) {
                await review.run()
            }
            switch outcome {
            case .success(let finish): return finish()
            case .failure: return review.timedOut()
            }
        }
    }

    /// The answer to a body over ``maxRequestBodyBytes`` on `path` (for transports that
    /// stop reading at the limit).
    public func tooLarge(path: String) -> WebhookHTTPResponse {
        let message = "request entity is too large; limit is \(maxRequestBodyBytes) bytes"
        if let webhook = webhooks[path], case .admission = webhook.kind {
            record(webhook, operation: "unknown", result: "error", start: .now)
            return Self.admissionAnswer(Self.errored(uid: "", code: 413, message))
        }
        return Self.statusResponse(413, message, reason: "RequestEntityTooLarge")
    }

    /// What answering one request takes, decided synchronously from the request, so a
    /// server can decide where the body is, without copying it.
    enum Plan: Sendable {
        /// Answered without a handler (unknown path, bad method, malformed review).
        case answer(WebhookHTTPResponse)
        /// A review for a handler.
        case review(PendingReview)
    }

    /// A parsed review waiting for its handler.
    struct PendingReview: Sendable {
        let timeout: Duration
        /// Runs the handler. The closure it returns records, logs and encodes the answer;
        /// call it only when the handler finished within ``timeout``.
        let run: @Sendable () async -> @Sendable () -> WebhookHTTPResponse
        /// The answer when the handler did not finish within ``timeout`` (recorded and logged).
        let timedOut: @Sendable () -> WebhookHTTPResponse
    }

    /// The route of a request target: `path` without its query string.
    static func route(_ path: String) -> String {
        guard let query = path.utf8.firstIndex(of: UInt8(ascii: "?")) else { return path }
        return String(path[..<query])
    }

    func plan(method: String, path: String, body: UnsafeRawBufferPointer) -> Plan {
        let route = Self.route(path)
        guard let webhook = webhooks[route] else {
            return .answer(Self.statusResponse(404, "the server could not find the requested resource: \(route)", reason: "NotFound"))
        }
        guard method == "POST" else {
            return .answer(Self.statusResponse(405, "method \(method) is not allowed on \(route); webhooks take POST", reason: "MethodNotAllowed"))
        }
        if body.count > maxRequestBodyBytes { return .answer(tooLarge(path: route)) }
        switch webhook.kind {
        case .admission(let handler): return admission(webhook, handler, body)
        case .conversion(let handler): return conversion(webhook, handler, body)
        }
    }

    // MARK: admission

    private func admission(
        _ webhook: Webhook, _ handler: @escaping @Sendable (ReceivedAdmission, Logger) async throws -> AdmissionReview.Response,
        _ body: UnsafeRawBufferPointer
    ) -> Plan {
        let start = ContinuousClock.now
        let received: ReceivedAdmission
        switch Self.parseAdmission(body) {
        case .success(let parsed):
            received = parsed
        case .failure(let failure):
            record(webhook, operation: "unknown", result: "error", start: start)
            logger.log(level: reviewLogLevel, "malformed admission review", metadata: [
                "webhook": "\(webhook.name)", "error": "\(failure.message)",
            ])
            return .answer(Self.admissionAnswer(Self.errored(uid: failure.uid, code: 400, failure.message)))
        }
        let request = received.request
        let logger = logger
        return .review(PendingReview(
            timeout: webhook.timeout,
            run: { [self] in
                do {
                    let answer = try await handler(received, logger)
                    return { finishAdmission(webhook, request, .success(answer), start: start) }
                } catch {
                    return { finishAdmission(webhook, request, .failure(.threw(error)), start: start) }
                }
            },
            timedOut: { [self] in finishAdmission(webhook, request, .failure(.timedOut), start: start) }))
    }

    private func finishAdmission(
        _ webhook: Webhook, _ request: AdmissionReview.Request, _ outcome: Result<AdmissionReview.Response, Failure>,
        start: ContinuousClock.Instant
    ) -> WebhookHTTPResponse {
        var response: AdmissionReview.Response
        var result: String
        switch outcome {
        case .success(let answer):
            response = answer
            result = answer.allowed ? (answer.patch == nil ? "allowed" : "patched") : "denied"
        case .failure(.timedOut):
            response = Self.errored(uid: request.uid, code: 504, "webhook \(webhook.name) did not answer within \(webhook.timeout)")
            result = "error"
        case .failure(.threw(let error)):
            response = AdmissionReview.Response(uid: request.uid, allowed: false, status: Self.denial(for: error))
            result = error is ObjectCoding.DecodingFailed ? "error" : "denied"
            logger.log(level: reviewLogLevel == .trace ? .trace : .warning, "admission handler threw", metadata: [
                "webhook": "\(webhook.name)", "uid": "\(request.uid)", "error": "\(error)",
            ])
        }
        response.uid = request.uid
        let elapsed = record(webhook, operation: request.operation.rawValue, result: result, start: start)
        // The metadata is built only when the line is written: most reviews are not logged.
        if logger.logLevel <= reviewLogLevel {
            var metadata: Logger.Metadata = [
                "webhook": "\(webhook.name)", "uid": "\(request.uid)", "operation": "\(request.operation)",
                "kind": "\(request.kind.kind)", "object": "\(request.namespace.map { $0 + "/" } ?? "")\(request.name ?? "")",
                "user": "\(request.userInfo.username ?? "")", "dryRun": "\(request.dryRun ?? false)", "result": "\(result)",
                "durationMs": "\(elapsed.milliseconds)",
            ]
            if let message = response.status?.message, !response.allowed { metadata["message"] = "\(message)" }
            logger.log(level: reviewLogLevel, "admission review", metadata: metadata)
        }
        logger.trace("admission review object", metadata: ["uid": "\(request.uid)", "object": "\(request.object ?? .null)"])
        return Self.admissionAnswer(response)
    }

    /// A denial for a thrown error: a ``Status`` as it is, ``AdmissionDenied`` with its
    /// code, an undecodable object 400, anything else 403 with its description.
    static func denial(for error: any Error) -> Status {
        switch error {
        case let status as Status: return status
        case let denied as AdmissionDenied: return Status(message: denied.message, reason: "Forbidden", code: denied.code)
        case let decoding as ObjectCoding.DecodingFailed: return Status(message: decoding.description, reason: "BadRequest", code: 400)
        default: return Status(message: "\(error)", reason: "Forbidden", code: 403)
        }
    }

    static func errored(uid: String, code: Int, _ message: String) -> AdmissionReview.Response {
        AdmissionReview.Response(uid: uid, allowed: false, status: Status(message: message, code: code))
    }

    static func admissionAnswer(_ response: AdmissionReview.Response) -> WebhookHTTPResponse {
        WebhookHTTPResponse(status: 200, body: Data(AdmissionReview.responseBytes(response)))
    }

    struct ParseFailure: Error {
        var uid: String
        var message: String
    }

    /// The review in `body`: read in one pass when it is well formed, else diagnosed
    /// through `JSONValue` and `Codable`, which name what is wrong.
    static func parseAdmission(_ body: UnsafeRawBufferPointer) -> Result<ReceivedAdmission, ParseFailure> {
        if let received = try? AdmissionReview.readRequest(body) { return .success(received) }
        let value: JSONValue
        do {
            value = try JSONValue.read(from: body)
        } catch {
            return .failure(ParseFailure(uid: "", message: "couldn't decode the AdmissionReview: \(error)"))
        }
        let uid = value["request"]?["uid"]?.stringValue ?? ""
        guard value["apiVersion"]?.stringValue == AdmissionReview.apiVersion,
            value["kind"]?.stringValue == AdmissionReview.kind
        else {
            let got = "\(value["apiVersion"]?.stringValue ?? "<none>"), Kind=\(value["kind"]?.stringValue ?? "<none>")"
            return .failure(ParseFailure(uid: uid, message: "unsupported review \(got): this webhook takes \(AdmissionReview.apiVersion) \(AdmissionReview.kind)"))
        }
        guard let request = value["request"], case .object = request else {
            return .failure(ParseFailure(uid: uid, message: "the AdmissionReview has no request"))
        }
        do {
            let decoded = try request.decode(as: AdmissionReview.Request.self)
            return .success(ReceivedAdmission(request: decoded))
        } catch {
            return .failure(ParseFailure(uid: uid, message: "couldn't decode the AdmissionReview request: \(Self.describe(error))"))
        }
    }

    // MARK: conversion

    private func conversion(
        _ webhook: Webhook, _ handler: @escaping @Sendable (ConversionReview.Request, Logger) async -> ConversionReview.Response,
        _ body: UnsafeRawBufferPointer
    ) -> Plan {
        let start = ContinuousClock.now
        let request: ConversionReview.Request
        switch Self.parseConversion(body) {
        case .success(let parsed):
            request = parsed
        case .failure(let failure):
            record(webhook, operation: "convert", result: "error", start: start)
            return .answer(Self.statusResponse(400, failure.message, reason: "BadRequest"))
        }
        let logger = logger
        return .review(PendingReview(
            timeout: webhook.timeout,
            run: { [self] in
                let answer = await handler(request, logger)
                return { finishConversion(webhook, request, answer, start: start) }
            },
            timedOut: { [self] in
                let failed = ConversionReview.Response(
                    uid: request.uid, convertedObjects: [],
                    result: Status(status: "Failure", message: "webhook \(webhook.name) did not answer within \(webhook.timeout)"))
                return finishConversion(webhook, request, failed, start: start)
            }))
    }

    static func parseConversion(_ body: UnsafeRawBufferPointer) -> Result<ConversionReview.Request, ParseFailure> {
        let value: JSONValue
        do {
            value = try JSONValue.read(from: body)
        } catch {
            return .failure(ParseFailure(uid: "", message: "couldn't decode the ConversionReview: \(error)"))
        }
        guard value["apiVersion"]?.stringValue == ConversionReview.apiVersion, value["kind"]?.stringValue == ConversionReview.kind else {
            return .failure(ParseFailure(uid: "", message: "unsupported review: this webhook takes \(ConversionReview.apiVersion) \(ConversionReview.kind)"))
        }
        guard let raw = value["request"] else {
            return .failure(ParseFailure(uid: "", message: "the ConversionReview has no request"))
        }
        if let uid = raw["uid"]?.stringValue, let desired = raw["desiredAPIVersion"]?.stringValue, let objects = raw["objects"]?.arrayValue {
            return .success(ConversionReview.Request(uid: uid, desiredAPIVersion: desired, objects: objects))
        }
        do {
            return .success(try raw.decode(as: ConversionReview.Request.self))
        } catch {
            return .failure(ParseFailure(uid: "", message: "couldn't decode the ConversionReview: \(Self.describe(error))"))
        }
    }

    private func finishConversion(
        _ webhook: Webhook, _ request: ConversionReview.Request, _ answer: ConversionReview.Response, start: ContinuousClock.Instant
    ) -> WebhookHTTPResponse {
        var response = answer
        response.uid = request.uid
        let result = response.result.status == "Success" ? "converted" : "failed"
        let elapsed = record(webhook, operation: "convert", result: result, start: start)
        if logger.logLevel <= reviewLogLevel {
            var metadata: Logger.Metadata = [
                "webhook": "\(webhook.name)", "uid": "\(request.uid)", "desiredAPIVersion": "\(request.desiredAPIVersion)",
                "objects": "\(request.objects.count)", "result": "\(result)", "durationMs": "\(elapsed.milliseconds)",
            ]
            if let message = response.result.message { metadata["message"] = "\(message)" }
            logger.log(level: reviewLogLevel, "conversion review", metadata: metadata)
        }
        guard let result = try? JSONValue(encoding: response.result) else {
            return Self.statusResponse(500, "cannot encode the conversion result", reason: "InternalError")
        }
        let review: JSONValue = [
            "apiVersion": .string(ConversionReview.apiVersion), "kind": .string(ConversionReview.kind),
            "response": ["uid": .string(response.uid), "convertedObjects": .array(response.convertedObjects), "result": result],
        ]
        return WebhookHTTPResponse(status: 200, body: Data(review.jsonBytes))
    }

    // MARK: helpers

    @discardableResult
    private func record(_ webhook: Webhook, operation: String, result: String, start: ContinuousClock.Instant) -> Duration {
        let elapsed = ContinuousClock.now - start
        Counter(label: "kube_webhook_reviews_total", dimensions: [
            ("webhook", webhook.name), ("operation", operation), ("result", result),
        ], factory: metricsFactory).increment()
        Timer(label: "kube_webhook_review_duration_seconds", dimensions: [("webhook", webhook.name)], factory: metricsFactory)
            .recordNanoseconds(elapsed.nanoseconds)
        return elapsed
    }

    static func statusResponse(_ code: Int, _ message: String, reason: String) -> WebhookHTTPResponse {
        let body = (try? JSONEncoder().encode(Status(message: message, reason: reason, code: code))) ?? Data()
        return WebhookHTTPResponse(status: code, body: body)
    }

    static func describe(_ error: any Error) -> String {
        if let decoding = error as? DecodingError {
            switch decoding {
            case .keyNotFound(let key, let context):
                return "missing \(Self.path(context.codingPath + [key]))"
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
                return "invalid \(Self.path(context.codingPath)): \(context.debugDescription)"
            @unknown default:
                return "\(decoding)"
            }
        }
        return "\(error)"
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().drop { $0 == "." }.description
    }

    enum Failure: Error {
        case timedOut
        case threw(any Error)
    }

    /// Runs `operation` with a deadline; on timeout the operation is cancelled and the
    /// answer does not wait for it (a handler that ignores cancellation cannot hold the review).
    static func withTimeout<T: Sendable>(
        _ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async -> Result<T, Failure> {
        let gate = ResultGate<Result<T, Failure>>()
        return await withCheckedContinuation { continuation in
            gate.install(continuation)
            let work = Task {
                do { gate.resolve(.success(try await operation())) } catch { gate.resolve(.failure(.threw(error))) }
            }
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled, gate.resolve(.failure(.timedOut)) { work.cancel() }
            }
            gate.onResolve { timer.cancel() }
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
