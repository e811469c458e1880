import Foundation
import SlipwayCore

/// A `slipway worker` process as it announced itself.
public struct WorkerRecord: Sendable, Equatable, Codable {
    public var name: String
    /// The machine it runs on (its host name).
    public var host: String
    public var labels: [String]
    public var concurrency: Int
    /// Seconds a job stays its own without a heartbeat; it beats every third of that.
    public var lease: Double
    public var started: Date
    /// When it last said it was alive.
    public var heartbeat: Date
    /// When it stopped (nil: running, or killed without a word: see `heartbeat`).
    public var stopped: Date?
    /// The jobs it holds a lease on now.
    public var jobs: [Job] = []

    public init(name: String, host: String, labels: [String], concurrency: Int, lease: Double,
                started: Date = Date(), heartbeat: Date = Date()) {
        (self.name, self.host, self.labels, self.concurrency, self.lease) = (name, host, labels, concurrency, lease)
        (self.started, self.heartbeat) = (started, heartbeat)
    }

    /// `working`, `idle`, `stopped`, or `lost` (no heartbeat for a whole lease: killed, or cut off).
    public func state(now: Date) -> String {
        if stopped != nil { return "stopped" }
        if now.timeIntervalSince(heartbeat) > lease { return "lost" }
        return jobs.isEmpty ? "idle" : "working"
    }
}

extension StateStore {
    /// Records a worker starting. A name another worker still uses (a heartbeat within its
    /// lease) is refused, naming that worker's host; a stopped or silent one is replaced.
    /// Workers stopped more than a day ago are forgotten.
    public func registerWorker(_ worker: WorkerRecord) async throws {
        let labels = try Self.checkedLabels(worker.labels, "the worker's labels")
        guard !worker.name.isEmpty else { throw SlipwayError.badInput("a worker needs a name") }
        guard worker.concurrency >= 1 else {
            throw SlipwayError.badInput("a worker's concurrency must be at least 1, not \(worker.concurrency)")
        }
        let encoded = String(decoding: try JSONEncoder().encode(labels), as: UTF8.self)
        try await write(serialized: false) { tx in
            let now = try Self.clock(nil, tx)
            try tx.execute("DELETE FROM worker WHERE stopped < ?", [now - 86_400])
            if let row = try tx.row("SELECT host, heartbeat, lease FROM worker WHERE name = ? AND stopped IS NULL", [worker.name]),
               now - (row["heartbeat"] as Double) < row["lease"] {
                throw SlipwayError.badInput("a worker named '\(worker.name)' is already running on \(row["host"] as String) "
                                            + "(its last heartbeat \(Int(now - (row["heartbeat"] as Double))) s ago): give this one another --name")
            }
            try tx.execute("DELETE FROM worker WHERE name = ?", [worker.name])
            try tx.execute("INSERT INTO worker (name, host, labels, concurrency, lease, started, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [worker.name, worker.host, encoded, worker.concurrency, worker.lease, now, now])
        }
    }

    /// A worker's heartbeat: it is alive now.
    public func workerHeartbeat(_ name: String) async throws {
        try await write(serialized: false) { tx in
            try tx.execute("UPDATE worker SET heartbeat = ? WHERE name = ?", [try Self.clock(nil, tx), name])
        }
    }

    /// A worker stopped on its own (SIGTERM, SIGINT), its jobs handed back.
    public func workerStopped(_ name: String) async throws {
        try await write(serialized: false) { tx in
            let now = try Self.clock(nil, tx)
            try tx.execute("UPDATE worker SET heartbeat = ?, stopped = ? WHERE name = ?", [now, now, name])
        }
    }

    /// Every worker known, by name, each with the jobs it holds now; and the database's time,
    /// which their heartbeats are measured by.
    public func workers() async throws -> (workers: [WorkerRecord], now: Date) {
        try await read { tx in
            let now = Date(timeIntervalSince1970: try Self.clock(nil, tx))
            let held = Dictionary(grouping: try tx.rows("SELECT * FROM job WHERE state = 'leased' ORDER BY id").map(Self.job)) {
                $0.leaseOwner ?? ""
            }
            let workers = try tx.rows("SELECT * FROM worker ORDER BY name").map { row in
                let name: String = row["name"]
                var worker = WorkerRecord(name: name, host: row["host"],
                                          labels: (try? JSONDecoder().decode([String].self, from: Data((row["labels"] as String).utf8))) ?? [],
                                          concurrency: row["concurrency"], lease: row["lease"], started: Date(timeIntervalSince1970: row["started"]),
                                          heartbeat: Date(timeIntervalSince1970: row["heartbeat"]))
                worker.stopped = (row["stopped"] as Double?).map(Date.init(timeIntervalSince1970:))
                worker.jobs = held[name] ?? []
                return worker
            }
            return (workers, now)
        }
    }
}
