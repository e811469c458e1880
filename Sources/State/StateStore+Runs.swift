import Foundation
import SlipwayAPI
import SlipwayCore

extension StateStore {
    /// Records a new run with its stages; returns it with its id and change stamp.
    public func insertRun(_ run: RunRecord, owner: String?, retryOf: RunID? = nil) async throws -> (record: RunRecord, version: Int64) {
        try await write { tx in
            let id: Int64 = try tx.value("""
                INSERT INTO run (pipeline, status, trigger_kind, trigger_actor, created, retry_of, owner)
                VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id
                """, [run.pipeline, run.status.rawValue, run.trigger.kind.rawValue, run.trigger.actor,
                      run.created.timeIntervalSince1970, retryOf?.rawValue, owner]) ?? 0
            var stored = run
            stored.id = RunID(id)
            return (stored, try Self.update(stored, in: tx))
        }
    }

    /// Writes a run's status, commit, times, artifact, release and every stage; returns the
    /// run's new change stamp.
    @discardableResult
    public func updateRun(_ run: RunRecord) async throws -> Int64 {
        try await write { tx in try Self.update(run, in: tx) }
    }

    static func update(_ run: RunRecord, in tx: any StateTransaction) throws -> Int64 {
        try tx.execute("""
            UPDATE run SET status = ?, commit_id = ?, commit_author = ?, commit_time = ?, commit_message = ?,
                started = ?, finished = ?, artifact = ?, release = ? WHERE id = ?
            """, [run.status.rawValue, run.commit?.id, run.commit?.author, run.commit?.time.timeIntervalSince1970,
                  run.commit?.message, run.started?.timeIntervalSince1970, run.finished?.timeIntervalSince1970,
                  run.artifact?.description, run.release?.rawValue, run.id.rawValue])
        for (position, stage) in run.stages.enumerated() {
            try tx.execute("""
                INSERT INTO stage (run, position, name, kind, status, started, finished, detail, build) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run, position) DO UPDATE SET name = excluded.name, kind = excluded.kind, status = excluded.status,
                    started = excluded.started, finished = excluded.finished, detail = excluded.detail, build = excluded.build
                """, [run.id.rawValue, position, stage.name, stage.kind.rawValue, stage.status.rawValue,
                      stage.started?.timeIntervalSince1970, stage.finished?.timeIntervalSince1970, stage.detail,
                      try stage.build.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }])
        }
        return try tx.value("SELECT version FROM run WHERE id = ?", [run.id.rawValue]) ?? 0
    }

    /// One run with its stages, or nil.
    public func run(_ id: RunID) async throws -> RunRecord? {
        try await read { tx in try self.runs(tx, where: "id = ?", [id.rawValue], limit: 1).first }
    }

    /// Runs newest first; `before` pages backwards by id.
    public func runs(pipeline: String?, limit: Int, before: RunID?) async throws -> [RunRecord] {
        var clauses: [String] = [], arguments: [SQLValue] = []
        if let pipeline { clauses.append("pipeline = ?"); arguments.append(.text(pipeline)) }
        if let before { clauses.append("id < ?"); arguments.append(.integer(before.rawValue)) }
        let (clause, values) = (clauses.isEmpty ? "1 = 1" : clauses.joined(separator: " AND "), arguments)
        return try await read { tx in try self.runs(tx, where: clause, values, limit: max(0, limit)) }
    }

    /// Runs of a pipeline for a commit, newest first.
    public func runs(pipeline: String, commit: String) async throws -> [RunRecord] {
        try await read { tx in try self.runs(tx, where: "pipeline = ? AND commit_id = ?", [pipeline, commit], limit: 1000) }
    }

    /// Runs not in a final status, with the process that owns each.
    public func inFlightRuns() async throws -> [(run: RunRecord, owner: String?)] {
        try await read { tx in
            let owners = try tx.rows("SELECT id, owner FROM run WHERE \(Self.inFlight)")
                .reduce(into: [Int64: String?]()) { $0[$1["id"]] = $1["owner"] as String? }
            guard !owners.isEmpty else { return [] }
            let runs = try self.runs(tx, where: Self.inFlight, [], limit: 100_000)
            return runs.map { ($0, owners[$0.id.rawValue] ?? nil) }
        }
    }

    /// Asks the process that owns a run to cancel it.
    public func requestCancel(run: RunID) async throws {
        try await write { tx in try tx.execute("UPDATE run SET cancel_requested = 1 WHERE id = ?", [run.rawValue]) }
    }

    /// Runs of one query with their stages, newest first. Reads the ids and change stamps of
    /// the runs the query selects, then in full (two statements per 500) only those the cache
    /// does not hold at that stamp; all in one read transaction, so one snapshot.
    func runs(_ tx: any StateTransaction, where clause: String, _ arguments: [any SQLArgument], limit: Int) throws -> [RunRecord] {
        let stamps = try tx.rows("SELECT id, version FROM run WHERE \(clause) ORDER BY id DESC LIMIT \(limit)", arguments)
            .map { (id: RunID($0["id"] as Int64), version: $0["version"] as Int64) }
        var entries = runCache.records(for: stamps)
        let missing = stamps.indices.compactMap { entries[$0] == nil ? stamps[$0].id : nil }
        if !missing.isEmpty {
            var fresh: [RunID: RunRecordCache.Entry] = [:]
            for start in stride(from: 0, to: missing.count, by: 500) {
                for entry in try Self.decodeRuns(tx, ids: Array(missing[start..<min(start + 500, missing.count)])) {
                    fresh[entry.value.id] = entry
                }
            }
            runCache.keep(Array(fresh.values))
            for i in stamps.indices where entries[i] == nil { entries[i] = fresh[stamps[i].id] }
        }
        var records: [RunRecord] = []
        records.reserveCapacity(entries.count)
        for case let entry? in entries { records.append(entry.value) }
        return records
    }

    /// Runs by id, with their stages and change stamps.
    static func decodeRuns(_ tx: any StateTransaction, ids: [RunID]) throws -> [RunRecordCache.Entry] {
        let marks = placeholders(ids.count)
        let arguments = ids.map(\.rawValue)
        var stages: [RunID: [StageRecord]] = [:]
        for row in try tx.rows("SELECT * FROM stage WHERE run IN (\(marks)) ORDER BY run, position", arguments) {
            var stage = StageRecord(name: row["name"], kind: StageRecord.Kind(rawValue: row["kind"]) ?? .build,
                                    status: StageStatus(rawValue: row["status"]) ?? .interrupted,
                                    started: date(row["started"]), finished: date(row["finished"]), detail: row["detail"])
            stage.build = (row["build"] as String?).flatMap { try? JSONDecoder().decode(BuildFacts.self, from: Data($0.utf8)) }
            stages[RunID(row["run"] as Int64), default: []].append(stage)
        }
        return try tx.rows("SELECT * FROM run WHERE id IN (\(marks))", arguments).map { row in
            let id = RunID(row["id"] as Int64)
            var commit: CommitInfo?
            if let commitID: String = row["commit_id"] {
                commit = CommitInfo(id: commitID, author: row["commit_author"] ?? "", time: date(row["commit_time"]) ?? Date(timeIntervalSince1970: 0),
                                    message: row["commit_message"] ?? "")
            }
            let record = RunRecord(id: id, pipeline: row["pipeline"], status: RunStatus(rawValue: row["status"]) ?? .interrupted,
                                   trigger: Trigger(Trigger.Kind(rawValue: row["trigger_kind"]) ?? .cli, actor: row["trigger_actor"]),
                                   commit: commit, created: date(row["created"]) ?? Date(timeIntervalSince1970: 0),
                                   started: date(row["started"]), finished: date(row["finished"]), stages: stages[id] ?? [],
                                   artifact: (row["artifact"] as String?).flatMap { try? Digest(parsing: $0) }, release: (row["release"] as String?).map(ReleaseID.init(rawValue:)))
            return RunRecordCache.Entry(record, at: row["version"])
        }
    }

    static func date(_ seconds: Double?) -> Date? { seconds.map(Date.init(timeIntervalSince1970:)) }
}
