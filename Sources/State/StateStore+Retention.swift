import Foundation
import GRDB
import SlipwayAPI
import SlipwayCore

/// How much of one pipeline's run history stays: the newest `runs`, none finished more than
/// `maxAge` seconds ago; nil lifts that limit. Runs in progress or waiting and the newest run
/// of the pipeline always stay.
public struct RunRetention: Sendable, Equatable {
    public var runs: Int?
    public var maxAge: TimeInterval?

    public init(runs: Int?, maxAge: TimeInterval?) {
        self.runs = runs
        self.maxAge = maxAge
    }
}

/// What pruning a pipeline's runs removed.
public struct PrunedRuns: Sendable, Equatable {
    public var runs: [RunID] = []
    /// When the oldest run still kept was created (nil: the pipeline has no runs): every
    /// build of a kept run started after it.
    public var oldestKept: Date?

    public init(runs: [RunID] = [], oldestKept: Date? = nil) {
        self.runs = runs
        self.oldestKept = oldestKept
    }
}

extension StateStore {
    /// Removes the pipeline's runs past `rule` with their stages, logs and approvals, in one
    /// transaction; audit entries and recorded releases stay (they describe what happened
    /// and what targets hold).
    public func pruneRuns(pipeline: String, rule: RunRetention, now: Date = Date()) async throws -> PrunedRuns {
        try await write { db in
            var pruned = PrunedRuns()
            let ids = try Self.prunable(db, pipeline: pipeline, rule: rule, now: now)
            for start in stride(from: 0, to: ids.count, by: 500) {
                let batch = Array(ids[start..<min(start + 500, ids.count)])
                let marks = databaseQuestionMarks(count: batch.count)
                // The schema cascades these from run; deleted explicitly as well so a database
                // opened without foreign keys never keeps orphans.
                for table in ["log_chunk", "log_cut", "stage", "approval"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE run IN (\(marks))", arguments: StatementArguments(batch))
                }
                try db.execute(sql: "DELETE FROM run WHERE id IN (\(marks))", arguments: StatementArguments(batch))
            }
            pruned.runs = ids.map(RunID.init(rawValue:))
            pruned.oldestKept = Self.date(try Double.fetchOne(db, sql: "SELECT MIN(created) FROM run WHERE pipeline = ?", arguments: [pipeline]))
            // Cached records of removed runs are never asked for again (ids are not reused);
            // the cache's bound drops them in time.
            return pruned
        }
    }

    /// The artifacts of every run the rules keep (each pipeline's rule, `fallback` for a
    /// pipeline without one): what garbage collection must leave in the store.
    public func retainedArtifacts(rules: [String: RunRetention], fallback: RunRetention, now: Date = Date()) async throws -> Set<Digest> {
        try await read { db in
            var kept: Set<Digest> = []
            for pipeline in try String.fetchAll(db, sql: "SELECT DISTINCT pipeline FROM run") {
                let gone = Set(try Self.prunable(db, pipeline: pipeline, rule: rules[pipeline] ?? fallback, now: now))
                for row in try Row.fetchAll(db, sql: "SELECT id, artifact FROM run WHERE pipeline = ? AND artifact IS NOT NULL",
                                            arguments: [pipeline]) where !gone.contains(row["id"]) {
                    if let digest = try? Digest(parsing: row["artifact"] as String) { kept.insert(digest) }
                }
            }
            return kept
        }
    }

    /// Every pipeline that has runs, registered or not (a removed pipeline keeps its history).
    public func pipelinesWithRuns() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "SELECT DISTINCT pipeline FROM run ORDER BY pipeline") }
    }

    /// Ids of the pipeline's runs past `rule`: ended, not its newest, and either past the
    /// newest `runs` or finished (created, if it never finished) more than `maxAge` ago.
    static func prunable(_ db: Database, pipeline: String, rule: RunRetention, now: Date) throws -> [Int64] {
        var limits: [String] = []
        var arguments: [String: (any DatabaseValueConvertible)?] = ["pipeline": pipeline]
        if let runs = rule.runs {
            limits.append("id NOT IN (SELECT id FROM run WHERE pipeline = :pipeline ORDER BY id DESC LIMIT :runs)")
            arguments["runs"] = max(1, runs)
        }
        if let age = rule.maxAge {
            limits.append("COALESCE(finished, created) < :cutoff")
            arguments["cutoff"] = now.timeIntervalSince1970 - age
        }
        guard !limits.isEmpty else { return [] }
        return try Int64.fetchAll(db, sql: """
            SELECT id FROM run WHERE pipeline = :pipeline AND NOT (\(inFlight))
                AND id < (SELECT MAX(id) FROM run WHERE pipeline = :pipeline)
                AND (\(limits.joined(separator: " OR "))) ORDER BY id
            """, arguments: StatementArguments(arguments))
    }
}
