import Foundation

/// Who did what, when: triggers, approvals, cancellations, retries, rollbacks, pipelines
/// removed. What `slipway audit --json` prints and `GET /api/audit` returns.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// What was done; stored as its raw text.
    public enum Action: String, Codable, Sendable, CaseIterable {
        case trigger, approve, reject, cancel, retry, rollback, interrupted
        /// A process took over a run whose owner had stopped (a restart) and carries it on.
        case resumed
        /// A pipeline was removed (`slipway pipeline rm`).
        case remove
        /// A secret set or removed through the service (the detail names it, never its value).
        case secret
    }

    /// The entry's number in the trail: newer entries have larger ones (`before` pages by it).
    public var id: Int64?
    public var time: Date
    public var actor: String
    public var action: Action
    public var pipeline: String?
    public var run: RunID?
    public var detail: String?

    public init(id: Int64? = nil, time: Date = Date(), actor: String, action: Action, pipeline: String?, run: RunID?,
                detail: String? = nil) {
        self.id = id
        self.time = time
        self.actor = actor
        self.action = action
        self.pipeline = pipeline
        self.run = run
        self.detail = detail
    }
}
