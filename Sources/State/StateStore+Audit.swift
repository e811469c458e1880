import Foundation
import GRDB

/// Who did what, when: triggers, approvals, cancellations, retries, rollbacks.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var time: Date
    public var actor: String
    /// `trigger`, `approve`, `reject`, `cancel`, `retry`, `rollback`, `interrupted`.
    public var action: String
    public var pipeline: String?
    public var run: Int64?
    public var detail: String?

    public init(time: Date = Date(), actor: String, action: String, pipeline: String?, run: Int64?, detail: String? = nil) {
        self.time = time
        self.actor = actor
        self.action = action
        self.pipeline = pipeline
        self.run = run
        self.detail = detail
    }
}

/// A person's decision on a run's approval stage.
public struct ApprovalDecision: Sendable, Equatable {
    public var approved: Bool
    public var actor: String
    public var comment: String?
}

extension StateStore {
    public func audit(_ entry: AuditEntry) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO audit (time, actor, action, pipeline, run, detail) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [entry.time.timeIntervalSince1970, entry.actor, entry.action, entry.pipeline, entry.run, entry.detail])
        }
    }

    /// Audit entries, oldest first: of one run, or of a pipeline.
    public func auditTrail(run: Int64? = nil, pipeline: String? = nil) throws -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit WHERE (? IS NULL OR run = ?) AND (? IS NULL OR pipeline = ?) ORDER BY id
                """, arguments: [run, run, pipeline, pipeline]).map {
                AuditEntry(time: Date(timeIntervalSince1970: $0["time"]), actor: $0["actor"], action: $0["action"],
                           pipeline: $0["pipeline"], run: $0["run"], detail: $0["detail"])
            }
        }
    }

    public func recordApproval(run: Int64, stage: String, approved: Bool, actor: String, comment: String?) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO approval (run, stage, approved, actor, comment, time) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [run, stage, approved, actor, comment, Date().timeIntervalSince1970])
        }
    }

    /// The first decision on a run's approval stage, if any.
    public func approval(run: Int64, stage: String) throws -> ApprovalDecision? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM approval WHERE run = ? AND stage = ? ORDER BY id LIMIT 1", arguments: [run, stage])
                .map { ApprovalDecision(approved: $0["approved"], actor: $0["actor"], comment: $0["comment"]) }
        }
    }
}
