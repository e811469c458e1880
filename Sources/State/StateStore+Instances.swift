import Foundation
import SlipwayCore

/// A process that owns runs, as its heartbeat row says.
public struct InstanceBeat: Sendable, Equatable {
    /// `PID:STARTTIME@MACHINE`, as `run.owner` holds it.
    public var identity: String
    public var host: String
    public var started: Date
    /// Seconds since its last heartbeat, by the database's clock (so machines whose clocks
    /// disagree agree on it).
    public var silentFor: Double
}

/// Heartbeats: every process that owns runs on a shared (PostgreSQL) database writes its row
/// every second, so a service on another machine, which cannot look up its pid, can tell a
/// live owner from one that died (its row goes silent).
extension StateStore {
    /// Records that `identity` is alive now, by the database's clock.
    public func beat(identity: String, host: String) async throws {
        try await write(serialized: false) { tx in
            let now = try Self.clock(nil, tx)
            try tx.execute("""
                INSERT INTO instance (identity, host, started, beat) VALUES (?, ?, ?, ?)
                ON CONFLICT (identity) DO UPDATE SET beat = excluded.beat
                """, [identity, host, now, now])
        }
    }

    /// Removes an instance's row (it stopped, its runs released).
    public func removeInstance(_ identity: String) async throws {
        try await write(serialized: false) { tx in
            try tx.execute("DELETE FROM instance WHERE identity = ?", [identity])
        }
    }

    /// Every instance with a heartbeat row, by identity.
    public func instances() async throws -> [String: InstanceBeat] {
        try await read { tx in
            let now = try Self.clock(nil, tx)
            return try tx.rows("SELECT identity, host, started, beat FROM instance").reduce(into: [:]) { all, row in
                let identity: String = row["identity"], beat: Double = row["beat"]
                all[identity] = InstanceBeat(identity: identity, host: row["host"], started: Date(timeIntervalSince1970: row["started"]),
                                             silentFor: max(0, now - beat))
            }
        }
    }

    /// Removes the rows of instances silent for longer than `seconds` that own no run in
    /// flight (killed long ago, their runs taken over); returns how many.
    @discardableResult
    public func forgetInstances(silentFor seconds: Double) async throws -> Int {
        try await write(serialized: false) { tx in
            let now = try Self.clock(nil, tx)
            return try tx.execute("""
                DELETE FROM instance WHERE beat < ? AND NOT EXISTS (SELECT 1 FROM run WHERE run.owner = instance.identity AND \(Self.inFlight))
                """, [now - seconds])
        }
    }
}
