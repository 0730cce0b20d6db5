import KubeCore

extension APIError {
    /// An error answering with `status` as built by `APIServerSemantics` (its `code` is the HTTP status).
    init(status: Status) {
        self.init(code: status.code ?? 500, reason: status.reason ?? StatusReason.internalError, message: status.message ?? "")
        self.status = status
        if self.status.code == nil { self.status.code = 500 }
    }
}
