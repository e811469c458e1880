import Foundation
import GRDB
import SlipwayAPI

extension StateStore {
    /// Makes `owner` the process running a run in flight, if the run's owner is still
    /// `previous` (nil: nobody, the run was released). One statement, so of two processes
    /// adopting the same orphan exactly one wins; returns whether this one did.
    public func claimRun(_ id: RunID, from previous: String?, owner: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE run SET owner = ? WHERE id = ? AND owner IS ? AND \(Self.inFlight)",
                           arguments: [owner, id.rawValue, previous])
            return db.changesCount == 1
        }
    }

    /// Gives up a run in flight that `owner` holds, so that the next adopting process
    /// (`slipway serve`) resumes it.
    public func releaseRun(_ id: RunID, owner: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE run SET owner = NULL WHERE id = ? AND owner = ?", arguments: [id.rawValue, owner])
        }
    }
}
