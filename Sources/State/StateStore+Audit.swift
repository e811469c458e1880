import Foundation
import SlipwayAPI

extension StateStore {
    public func audit(_ entry: AuditEntry) async throws {
        try await write { tx in
            try tx.execute("INSERT INTO audit (time, actor, action, pipeline, run, detail) VALUES (?, ?, ?, ?, ?, ?)",
                           [entry.time.timeIntervalSince1970, entry.actor, entry.action.rawValue, entry.pipeline,
                            entry.run?.rawValue, entry.detail])
        }
    }

    /// Audit entries, oldest first: of one run, or of a pipeline. An action this version does
    /// not know (written by a newer one) is left out.
    public func auditTrail(run: RunID? = nil, pipeline: String? = nil) async throws -> [AuditEntry] {
        var filter = Filter()
        filter.add("run = ?", run?.rawValue)
        filter.add("pipeline = ?", pipeline)
        let (clause, arguments) = (filter.clause, filter.arguments)
        return try await read { tx in
            try tx.rows("SELECT * FROM audit WHERE \(clause) ORDER BY id", arguments).compactMap(Self.auditEntry)
        }
    }

    /// The newest `limit` audit entries (of a pipeline, or all), newest first; `before` pages
    /// backwards by entry id.
    public func auditEntries(pipeline: String?, limit: Int, before: Int64?) async throws -> [AuditEntry] {
        var filter = Filter()
        filter.add("pipeline = ?", pipeline)
        filter.add("id < ?", before)
        let (clause, arguments) = (filter.clause, filter.arguments + [max(0, limit)])
        return try await read { tx in
            try tx.rows("SELECT * FROM audit WHERE \(clause) ORDER BY id DESC LIMIT ?", arguments).compactMap(Self.auditEntry)
        }
    }

    private static func auditEntry(_ row: SQLRow) -> AuditEntry? {
        AuditEntry.Action(rawValue: row["action"]).map { action in
            AuditEntry(id: row["id"], time: Date(timeIntervalSince1970: row["time"]), actor: row["actor"], action: action,
                       pipeline: row["pipeline"], run: (row["run"] as Int64?).map(RunID.init(rawValue:)), detail: row["detail"])
        }
    }

    public func recordApproval(run: RunID, stage: String, decision: ApprovalDecision) async throws {
        try await write { tx in
            try tx.execute("INSERT INTO approval (run, stage, approved, actor, comment, time) VALUES (?, ?, ?, ?, ?, ?)",
                           [run.rawValue, stage, decision.approved, decision.actor, decision.comment, Date().timeIntervalSince1970])
        }
    }

    /// The first decision on a run's approval stage, if any; with `before`, only one recorded
    /// by then (a decision recorded after an approval expired, while no service ran, is late).
    public func approval(run: RunID, stage: String, before: Date? = nil) async throws -> ApprovalDecision? {
        var filter = Filter()
        filter.add("run = ?", run.rawValue)
        filter.add("stage = ?", stage)
        filter.add("time <= ?", before?.timeIntervalSince1970)
        let (clause, arguments) = (filter.clause, filter.arguments)
        return try await read { tx in
            try tx.row("SELECT * FROM approval WHERE \(clause) ORDER BY id LIMIT 1", arguments)
                .map { ApprovalDecision(approved: $0["approved"], actor: $0["actor"], comment: $0["comment"]) }
        }
    }
}
