import Foundation
import GRDB
import SlipwayAPI

extension StateStore {
    public func audit(_ entry: AuditEntry) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO audit (time, actor, action, pipeline, run, detail) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [entry.time.timeIntervalSince1970, entry.actor, entry.action.rawValue, entry.pipeline,
                                       entry.run?.rawValue, entry.detail])
        }
    }

    /// Audit entries, oldest first: of one run, or of a pipeline. An action this version does
    /// not know (written by a newer one) is left out.
    public func auditTrail(run: RunID? = nil, pipeline: String? = nil) async throws -> [AuditEntry] {
        let id = run?.rawValue
        return try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit WHERE (? IS NULL OR run = ?) AND (? IS NULL OR pipeline = ?) ORDER BY id
                """, arguments: [id, id, pipeline, pipeline]).compactMap(Self.auditEntry)
        }
    }

    /// The newest `limit` audit entries (of a pipeline, or all), newest first; `before` pages
    /// backwards by entry id.
    public func auditEntries(pipeline: String?, limit: Int, before: Int64?) async throws -> [AuditEntry] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM audit WHERE (? IS NULL OR pipeline = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?
                """, arguments: [pipeline, pipeline, before, before, max(0, limit)]).compactMap(Self.auditEntry)
        }
    }

    private static func auditEntry(_ row: Row) -> AuditEntry? {
        AuditEntry.Action(rawValue: row["action"]).map { action in
            AuditEntry(id: row["id"], time: Date(timeIntervalSince1970: row["time"]), actor: row["actor"], action: action,
                       pipeline: row["pipeline"], run: (row["run"] as Int64?).map(RunID.init(rawValue:)), detail: row["detail"])
        }
    }

    public func recordApproval(run: RunID, stage: String, decision: ApprovalDecision) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO approval (run, stage, approved, actor, comment, time) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [run.rawValue, stage, decision.approved, decision.actor, decision.comment, Date().timeIntervalSince1970])
        }
    }

    /// The first decision on a run's approval stage, if any; with `before`, only one recorded
    /// by then (a decision recorded after an approval expired, while no service ran, is late).
    public func approval(run: RunID, stage: String, before: Date? = nil) async throws -> ApprovalDecision? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM approval WHERE run = ? AND stage = ? AND (? IS NULL OR time <= ?) ORDER BY id LIMIT 1",
                             arguments: [run.rawValue, stage, before?.timeIntervalSince1970, before?.timeIntervalSince1970])
                .map { ApprovalDecision(approved: $0["approved"], actor: $0["actor"], comment: $0["comment"]) }
        }
    }
}
