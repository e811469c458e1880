import Foundation
import SlipwayAPI
import SlipwayCore
import Specs

/// A job's number in the queue.
public struct JobID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { "job \(rawValue)" }
    public static func < (a: JobID, b: JobID) -> Bool { a.rawValue < b.rawValue }
}

/// What a job does for its run's stage.
public enum JobKind: String, Sendable, Codable, CaseIterable {
    case build
    case deploy
}

/// Where a job is: waiting for a worker, held by one under a lease, or finished.
public enum JobState: String, Sendable, Codable, CaseIterable {
    case queued
    case leased
    case done
    case failed
}

/// A job to put in the queue.
public struct NewJob: Sendable, Equatable {
    public var kind: JobKind
    public var run: RunID
    public var stage: String
    /// Labels a worker must all have to take the job (`build.labels` in slipway.yml).
    public var labels: [String]
    /// How many leases the job gets before a lost one fails it.
    public var maxAttempts: Int

    public init(kind: JobKind, run: RunID, stage: String, labels: [String] = [], maxAttempts: Int = 3) {
        self.kind = kind
        self.run = run
        self.stage = stage
        self.labels = labels
        self.maxAttempts = maxAttempts
    }
}

/// A job as the queue holds it.
public struct Job: Sendable, Equatable, Codable {
    public var id: JobID
    public var kind: JobKind
    public var run: RunID
    public var stage: String
    /// Sorted, without repeats.
    public var labels: [String]
    public var state: JobState
    /// Leases taken so far: the current one's number while leased.
    public var attempts: Int
    public var maxAttempts: Int
    public var leaseOwner: String?
    /// Moves with every lease, so a worker that lost its lease is told apart from the one
    /// holding it now.
    public var leaseEpoch: Int64
    public var leaseExpiry: Date?
    public var result: String?
    public var error: String?
    public var created: Date
    public var finished: Date?

    /// What the current holder presents to renew or finish the job.
    public var lease: JobLease? {
        guard state == .leased, let leaseOwner, let leaseExpiry else { return nil }
        return JobLease(job: id, owner: leaseOwner, epoch: leaseEpoch, expiry: leaseExpiry)
    }
}

/// A worker's hold on a job: valid while its epoch is the job's and it is renewed before it
/// expires.
public struct JobLease: Sendable, Equatable, Codable {
    public var job: JobID
    public var owner: String
    public var epoch: Int64
    public var expiry: Date
}

/// Why a worker's renewal or result was refused: its lease is no longer the job's (it
/// expired and the job was re-queued, leased again, or finished). Found as the `cause` of the
/// SlipwayError the store throws.
public struct LeaseLost: Error, Sendable, Equatable, CustomStringConvertible {
    public var lease: JobLease
    /// The job as it is now (nil: deleted with its run).
    public var now: Job?
    /// Nothing of its own: the error it is the cause of says it all.
    public var description: String { "" }
}

/// What reaping did to one job whose lease had expired.
public struct ReapedJob: Sendable, Equatable {
    public var job: JobID
    /// The owner and epoch of the lease that expired.
    public var owner: String
    public var epoch: Int64
    /// `.queued` (another attempt follows) or `.failed` (the attempts are used up).
    public var state: JobState
    public var attempts: Int
}

extension StateStore {
    /// Puts a job in the queue. Labels must be words (letters, digits, `.`, `_`, `-`); the
    /// attempts at least 1; the stage named.
    public func enqueueJob(_ new: NewJob, now: Date? = nil) async throws -> Job {
        let labels = try Self.checkedLabels(new.labels, "the job's labels")
        guard !new.stage.isEmpty else { throw SlipwayError.badInput("a job for run \(new.run) has no stage name") }
        guard new.maxAttempts >= 1 else {
            throw SlipwayError.badInput("a job's maximum attempts must be at least 1, not \(new.maxAttempts)")
        }
        let encoded = String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
        return try await write(serialized: false) { tx in
            guard try tx.row("SELECT 1 FROM run WHERE id = ?", [new.run.rawValue]) != nil else {
                throw SlipwayError.notFound("cannot queue a \(new.kind.rawValue) job for run \(new.run): there is no such run")
            }
            let now = try Self.clock(now, tx)
            guard let row = try tx.row("""
                INSERT INTO job (kind, run, stage, labels, state, max_attempts, created) VALUES (?, ?, ?, ?, 'queued', ?, ?) RETURNING *
                """, [new.kind.rawValue, new.run.rawValue, new.stage, encoded, new.maxAttempts, now]) else {
                throw SlipwayError.failed("enqueueing a job for run \(new.run) returned no row")
            }
            let job = try Self.job(row)
            for label in labels { try tx.execute("INSERT INTO job_label (job, label) VALUES (?, ?)", [job.id.rawValue, label]) }
            try Self.announceJobs(tx)
            return job
        }
    }

    /// Leases the oldest queued job whose labels `labels` all include, for `owner`, until
    /// `now + lease`: the job's attempt count and lease epoch move on. On PostgreSQL the job
    /// is picked with `FOR UPDATE SKIP LOCKED`, so workers claiming at once each get a
    /// different job and none waits for another. Nil when no job fits.
    public func claimJob(owner: String, labels: [String] = [], lease: Duration, now: Date? = nil) async throws -> Job? {
        let labels = try Self.checkedLabels(labels, "the worker's labels")
        guard !owner.isEmpty else { throw SlipwayError.badInput("a worker claiming a job needs a name") }
        try Self.checkLease(lease)
        return try await write(serialized: false) { tx in
            let expiry = try Self.clock(now, tx) + lease.seconds
            let fits = labels.isEmpty
                ? "NOT EXISTS (SELECT 1 FROM job_label l WHERE l.job = job.id)"
                : "NOT EXISTS (SELECT 1 FROM job_label l WHERE l.job = job.id AND l.label NOT IN (\(placeholders(labels.count))))"
            let skipLocked = tx.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let arguments: [any SQLArgument] = [owner, expiry] + labels
            return try tx.row("""
                UPDATE job SET state = 'leased', lease_owner = ?, lease_epoch = lease_epoch + 1, lease_expiry = ?, attempts = attempts + 1
                WHERE id = (SELECT id FROM job WHERE state = 'queued' AND \(fits) ORDER BY id LIMIT 1\(skipLocked))
                RETURNING *
                """, arguments).map(Self.job)
        }
    }

    /// Extends a lease to `now + lease` (a worker's heartbeat). Refused, with `LeaseLost` as
    /// the cause, once the job's epoch moved on or the job left its lease.
    public func renewLease(_ held: JobLease, lease: Duration, now: Date? = nil) async throws -> JobLease {
        try Self.checkLease(lease)
        let renewed: Double? = try await write(serialized: false) { tx in
            let expiry = try Self.clock(now, tx) + lease.seconds
            let changed = try tx.execute("UPDATE job SET lease_expiry = ? WHERE id = ? AND lease_epoch = ? AND state = 'leased'",
                                         [expiry, held.job.rawValue, held.epoch])
            return changed == 1 ? expiry : nil
        }
        guard let expiry = renewed.map(Date.init(timeIntervalSince1970:)) else { throw try await leaseLost(held, doing: "renewing the lease") }
        var lease = held
        lease.expiry = expiry
        return lease
    }

    /// Records a leased job's result and marks it done; refused (`LeaseLost`) for a lease that
    /// is no longer the job's, so a worker fenced off by an expired lease cannot commit late.
    public func completeJob(_ held: JobLease, result: String?, now: Date? = nil) async throws -> Job {
        try await finish(held, state: .done, result: result, error: nil, now: now, doing: "recording its result")
    }

    /// Marks a leased job failed with `error` (no further attempt); refused as `completeJob` is.
    public func failJob(_ held: JobLease, error: String, now: Date? = nil) async throws -> Job {
        try await finish(held, state: .failed, result: nil, error: error, now: now, doing: "recording its failure")
    }

    /// Gives a leased job back to the queue unfinished (a worker shutting down): the next
    /// worker takes it at once, and the attempt is not counted. Refused (`LeaseLost`) for a
    /// lease that is no longer the job's; the epoch stays, so the worker is fenced after.
    public func handBackJob(_ held: JobLease) async throws -> Job {
        let row = try await write(serialized: false) { tx in
            try tx.row("""
                UPDATE job SET state = 'queued', lease_owner = NULL, lease_expiry = NULL, attempts = attempts - 1
                WHERE id = ? AND lease_epoch = ? AND state = 'leased' RETURNING *
                """, [held.job.rawValue, held.epoch]).map { row in
                try Self.announceJobs(tx)
                return row
            }
        }
        guard let row else { throw try await leaseLost(held, doing: "handing it back") }
        return try Self.job(row)
    }

    /// Takes back every job whose lease expired before `now` (its worker died, or lost the
    /// network): queued again for the next attempt, or failed with the reason once its
    /// attempts are used up. The expired lease's epoch is left behind, so its worker's late
    /// result is refused.
    @discardableResult
    public func reapExpiredLeases(now: Date? = nil) async throws -> [ReapedJob] {
        try await write(serialized: false) { tx in
            let now = try Self.clock(now, tx)
            let skipLocked = tx.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
            let expired = try tx.rows("""
                SELECT id, run, stage, attempts, max_attempts, lease_owner, lease_epoch, lease_expiry FROM job
                WHERE state = 'leased' AND lease_expiry < ? ORDER BY id\(skipLocked)
                """, [now])
            let reaped = try expired.map { row in
                let id: Int64 = row["id"], attempts: Int = row["attempts"], maxAttempts: Int = row["max_attempts"]
                let owner: String = row["lease_owner"], epoch: Int64 = row["lease_epoch"]
                let expiry = Date(timeIntervalSince1970: row["lease_expiry"])
                if attempts >= maxAttempts {
                    let reason = "the lease of worker '\(owner)' expired at \(Self.timestamp(expiry)) on attempt \(attempts) of "
                        + "\(maxAttempts) (the worker stopped renewing it: killed, or cut off); no attempts left"
                    try tx.execute("""
                        UPDATE job SET state = 'failed', lease_owner = NULL, lease_expiry = NULL, error = ?, finished = ?
                        WHERE id = ? AND lease_epoch = ?
                        """, [reason, now, id, epoch])
                    return ReapedJob(job: JobID(rawValue: id), owner: owner, epoch: epoch, state: .failed, attempts: attempts)
                }
                try tx.execute("UPDATE job SET state = 'queued', lease_owner = NULL, lease_expiry = NULL WHERE id = ? AND lease_epoch = ?",
                               [id, epoch])
                // The run's log says so, in the same transaction as the re-queue.
                let note = "job \(id): the lease of worker '\(owner)' expired at \(Self.timestamp(expiry)) (it stopped renewing it: "
                    + "killed, or cut off); queued again for attempt \(attempts + 1) of \(maxAttempts)\n"
                _ = try Self.append(tx, run: RunID(row["run"] as Int64), [LogPiece(stage: row["stage"], text: note, limited: false)], limit: nil)
                return ReapedJob(job: JobID(rawValue: id), owner: owner, epoch: epoch, state: .queued, attempts: attempts)
            }
            if reaped.contains(where: { $0.state == .queued }) { try Self.announceJobs(tx) }
            return reaped
        }
    }

    public func job(_ id: JobID) async throws -> Job? {
        try await read { tx in try tx.row("SELECT * FROM job WHERE id = ?", [id.rawValue]).map(Self.job) }
    }

    /// Jobs, oldest first: a run's, or those in `state`, or all.
    public func jobs(run: RunID? = nil, state: JobState? = nil) async throws -> [Job] {
        var filter = Filter()
        filter.add("run = ?", run?.rawValue)
        filter.add("state = ?", state?.rawValue)
        let (clause, arguments) = (filter.clause, filter.arguments)
        return try await read { tx in try tx.rows("SELECT * FROM job WHERE \(clause) ORDER BY id", arguments).map(Self.job) }
    }

    private func finish(_ held: JobLease, state: JobState, result: String?, error: String?, now: Date?, doing: String) async throws -> Job {
        let row = try await write(serialized: false) { tx in
            try tx.row("""
                UPDATE job SET state = ?, result = ?, error = ?, finished = ?, lease_expiry = NULL
                WHERE id = ? AND lease_epoch = ? AND state = 'leased' RETURNING *
                """, [state.rawValue, result, error, try Self.clock(now, tx), held.job.rawValue, held.epoch])
        }
        guard let row else { throw try await leaseLost(held, doing: doing) }
        return try Self.job(row)
    }

    /// Ends a queued or leased job as failed with `reason` (its run was cancelled): a worker
    /// holding it is fenced off, and learns it at its next heartbeat or write. Nil when the
    /// job had already finished.
    @discardableResult
    public func cancelJob(_ id: JobID, reason: String) async throws -> Job? {
        try await write(serialized: false) { tx in
            try tx.row("""
                UPDATE job SET state = 'failed', error = ?, finished = ?, lease_expiry = NULL
                WHERE id = ? AND state IN ('queued', 'leased') RETURNING *
                """, [reason, try Self.clock(nil, tx), id.rawValue]).map(Self.job)
        }
    }

    /// Throws `LeaseLost` unless `held` is still its job's lease; on PostgreSQL the job's row
    /// stays share-locked to the end of `tx`, so no reaper takes the job back meanwhile.
    static func requireLease(_ held: JobLease, _ tx: any StateTransaction, doing: String) throws {
        let lock = tx.dialect == .postgres ? " FOR SHARE" : ""
        guard try tx.row("SELECT 1 FROM job WHERE id = ? AND lease_epoch = ? AND state = 'leased'\(lock)",
                         [held.job.rawValue, held.epoch]) == nil else { return }
        throw leaseLost(held, now: try tx.row("SELECT * FROM job WHERE id = ?", [held.job.rawValue]).map(Self.job), doing: doing)
    }

    /// The refusal of a lease that is no longer the job's, saying what became of the job.
    private func leaseLost(_ held: JobLease, doing: String) async throws -> SlipwayError {
        Self.leaseLost(held, now: try await job(held.job), doing: doing)
    }

    static func leaseLost(_ held: JobLease, now: Job?, doing: String) -> SlipwayError {
        let what: String = switch (now?.state, now) {
        case (nil, _), (_, nil): "the job no longer exists (its run was deleted)"
        case let (.leased?, job?) where job.leaseEpoch != held.epoch:
            "the lease expired and the job was leased again, to '\(job.leaseOwner ?? "?")' (epoch \(job.leaseEpoch))"
        case let (.queued?, job?): "the lease expired and the job was queued again (after attempt \(job.attempts) of \(job.maxAttempts))"
        case (.done?, _): "the job is already done"
        case let (.failed?, job?): "the job has failed: \(job.error ?? "no reason recorded")"
        case (.leased?, _): "the lease is not the job's"
        }
        return SlipwayError.failed("\(held.job) refused \(doing) from worker '\(held.owner)' with lease epoch \(held.epoch): \(what)",
                                   cause: LeaseLost(lease: held, now: now))
    }

    /// The time leases are measured by, in seconds since 1970: `given`, or else the database
    /// server's clock, so workers on machines whose clocks disagree still agree on when a
    /// lease expires.
    static func clock(_ given: Date?, _ tx: any StateTransaction) throws -> Double {
        if let given { return given.timeIntervalSince1970 }
        let sql = switch tx.dialect {
        case .postgres: "SELECT EXTRACT(EPOCH FROM clock_timestamp())::DOUBLE PRECISION"
        case .sqlite: "SELECT (julianday('now') - 2440587.5) * 86400.0"
        }
        guard let now: Double = try tx.value(sql) else { throw SlipwayError.failed("the state database did not tell its time") }
        return now
    }

    static func checkLease(_ lease: Duration) throws {
        guard lease > .zero else { throw SlipwayError.badInput("a job's lease must last longer than 0 s, not \(lease.spoken)") }
    }

    static func checkedLabels(_ labels: [String], _ whose: String) throws -> [String] {
        for label in labels where !PipelineSpec.Build.isLabel(label) {
            throw SlipwayError.badInput("\(whose): '\(label)' is not a label (use letters, digits, '.', '_' and '-')")
        }
        return Array(Set(labels)).sorted()
    }

    static func job(_ row: SQLRow) throws -> Job {
        let id: Int64 = row["id"]
        guard let kind = JobKind(rawValue: row["kind"]), let state = JobState(rawValue: row["state"]) else {
            throw SlipwayError.corrupt("job \(id) in the state database has kind '\(row["kind"] as String)' and state '\(row["state"] as String)'")
        }
        let labels = (try? JSONDecoder().decode([String].self, from: Data((row["labels"] as String).utf8))) ?? []
        return Job(id: JobID(rawValue: id), kind: kind, run: RunID(rawValue: row["run"]), stage: row["stage"], labels: labels,
                   state: state, attempts: row["attempts"], maxAttempts: row["max_attempts"], leaseOwner: row["lease_owner"],
                   leaseEpoch: row["lease_epoch"], leaseExpiry: (row["lease_expiry"] as Double?).map(Date.init(timeIntervalSince1970:)),
                   result: row["result"], error: row["error"], created: Date(timeIntervalSince1970: row["created"]),
                   finished: (row["finished"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
