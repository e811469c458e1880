import Foundation
import SlipwayAPI

/// Where a store watcher had got to: the runs it follows (those in flight) with their change
/// stamps and log lengths, the newest run and approval it has seen.
public struct WatchPoint: Sendable, Equatable {
    public var versions: [RunID: Int64] = [:]
    public var logEnds: [RunID: Int64] = [:]
    public var lastRun: Int64 = 0
    public var lastApproval: Int64 = 0
}

/// What changed in the store since a `WatchPoint`, whichever process wrote it.
public struct StoreChanges: Sendable {
    /// New chunks of the runs followed, in order per run; all of a run's chunks come before
    /// its record in `runs`.
    public var logs: [LogChunk] = []
    /// Runs that are new or whose stamp moved, each with its stamp.
    public var runs: [(record: RunRecord, version: Int64)] = []
    /// Whether an approval or rejection was recorded.
    public var approvals = false
    /// Runs among those asked about whose cancellation another process requested.
    public var cancelRequested: Set<RunID> = []
}

extension StateStore {
    static let inFlight = "status IN ('queued', 'running', 'waiting_approval')"

    /// The point to watch from: runs in flight now, and nothing of the past reported again.
    public func watchPoint() async throws -> WatchPoint {
        try await read { tx in
            var point = WatchPoint()
            point.lastRun = try tx.value("SELECT MAX(id) FROM run") ?? 0
            point.lastApproval = try tx.value("SELECT MAX(id) FROM approval") ?? 0
            for row in try tx.rows("SELECT id, version FROM run WHERE \(Self.inFlight)") {
                let id = RunID(row["id"] as Int64)
                point.versions[id] = row["version"]
                point.logEnds[id] = try Self.logEnd(tx, run: id)
            }
            return point
        }
    }

    /// Everything that changed since `point`, read in one transaction, and the point to look
    /// from next; `owned` are the runs whose cancel requests the caller acts on.
    public func changes(since point: WatchPoint, owned: [RunID]) async throws -> (StoreChanges, WatchPoint) {
        try await read { tx in
            var changes = StoreChanges(), next = point
            let followed = point.versions.keys.map { String($0.rawValue) }.joined(separator: ",")
            let rows = try tx.rows("""
                SELECT id, version, status FROM run WHERE id > ? OR \(Self.inFlight)\(followed.isEmpty ? "" : " OR id IN (\(followed))")
                """, [point.lastRun])
            var moved: [RunID] = []
            for row in rows {
                let id = RunID(row["id"] as Int64)
                let version: Int64 = row["version"]
                next.lastRun = max(next.lastRun, id.rawValue)
                if point.versions[id] != version { moved.append(id) }
                if RunStatus(rawValue: row["status"])?.isFinal ?? true {
                    next.versions[id] = nil
                } else {
                    next.versions[id] = version
                }
            }
            for id in Set(moved).union(point.versions.keys).sorted() {
                let chunks = try Self.logs(tx, run: id, after: point.logEnds[id] ?? 0)
                changes.logs += chunks
                next.logEnds[id] = chunks.last?.end ?? point.logEnds[id] ?? 0
                if next.versions[id] == nil { next.logEnds[id] = nil }
            }
            if !moved.isEmpty {
                let stamps = Dictionary(uniqueKeysWithValues: rows.map { (RunID($0["id"] as Int64), $0["version"] as Int64) })
                changes.runs = try Self.decodeRuns(tx, ids: moved).map { ($0.value, stamps[$0.value.id] ?? $0.stamp) }
                    .sorted { $0.record.id < $1.record.id }
            }
            let approval: Int64 = try tx.value("SELECT MAX(id) FROM approval") ?? 0
            changes.approvals = approval != point.lastApproval
            next.lastApproval = approval
            if !owned.isEmpty {
                let ids = owned.map { String($0.rawValue) }.joined(separator: ",")
                changes.cancelRequested = Set((try tx.values("SELECT id FROM run WHERE cancel_requested = 1 AND id IN (\(ids))") as [Int64])
                    .map(RunID.init(rawValue:)))
            }
            return (changes, next)
        }
    }

    static func logEnd(_ tx: any StateTransaction, run: RunID) throws -> Int64 {
        try tx.value(#"SELECT "offset" + size FROM log_chunk WHERE run = ? ORDER BY "offset" DESC LIMIT 1"#, [run.rawValue]) ?? 0
    }
}
