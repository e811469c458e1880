import Foundation
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
        try await write { tx in
            var pruned = PrunedRuns()
            let ids = try Self.prunable(tx, pipeline: pipeline, rule: rule, now: now)
            for start in stride(from: 0, to: ids.count, by: 500) {
                let batch = Array(ids[start..<min(start + 500, ids.count)])
                let marks = placeholders(batch.count)
                // The schema cascades these from run; deleted explicitly as well so a database
                // opened without foreign keys never keeps orphans.
                for table in ["log_chunk", "log_cut", "stage", "approval"] {
                    try tx.execute("DELETE FROM \(table) WHERE run IN (\(marks))", batch)
                }
                try tx.execute("DELETE FROM run WHERE id IN (\(marks))", batch)
            }
            pruned.runs = ids.map(RunID.init(rawValue:))
            pruned.oldestKept = Self.date(try tx.value("SELECT MIN(created) FROM run WHERE pipeline = ?", [pipeline]))
            // Cached records of removed runs are never asked for again (ids are not reused);
            // the cache's bound drops them in time.
            return pruned
        }
    }

    /// The artifacts of every run the rules keep (each pipeline's rule, `fallback` for a
    /// pipeline without one): what garbage collection must leave in the store.
    public func retainedArtifacts(rules: [String: RunRetention], fallback: RunRetention, now: Date = Date()) async throws -> Set<Digest> {
        try await read { tx in
            var kept: Set<Digest> = []
            for pipeline in try tx.values("SELECT DISTINCT pipeline FROM run") as [String] {
                let gone = Set(try Self.prunable(tx, pipeline: pipeline, rule: rules[pipeline] ?? fallback, now: now))
                for row in try tx.rows("SELECT id, artifact FROM run WHERE pipeline = ? AND artifact IS NOT NULL", [pipeline])
                    where !gone.contains(row["id"]) {
                    if let digest = try? Digest(parsing: row["artifact"] as String) { kept.insert(digest) }
                }
            }
            return kept
        }
    }

    /// Every pipeline that has runs, registered or not (a removed pipeline keeps its history).
    public func pipelinesWithRuns() async throws -> [String] {
        try await read { tx in try tx.values("SELECT DISTINCT pipeline FROM run ORDER BY pipeline") }
    }

    /// Ids of the pipeline's runs past `rule`: ended, not its newest, and either past the
    /// newest `runs` or finished (created, if it never finished) more than `maxAge` ago.
    static func prunable(_ tx: any StateTransaction, pipeline: String, rule: RunRetention, now: Date) throws -> [Int64] {
        var limits: [String] = []
        var arguments: [any SQLArgument] = [pipeline, pipeline]
        if let runs = rule.runs {
            limits.append("id NOT IN (SELECT id FROM run WHERE pipeline = ? ORDER BY id DESC LIMIT ?)")
            arguments += [pipeline, max(1, runs)]
        }
        if let age = rule.maxAge {
            limits.append("COALESCE(finished, created) < ?")
            arguments.append(now.timeIntervalSince1970 - age)
        }
        guard !limits.isEmpty else { return [] }
        return try tx.values("""
            SELECT id FROM run WHERE pipeline = ? AND NOT (\(inFlight))
                AND id < (SELECT MAX(id) FROM run WHERE pipeline = ?)
                AND (\(limits.joined(separator: " OR "))) ORDER BY id
            """, arguments)
    }
}
