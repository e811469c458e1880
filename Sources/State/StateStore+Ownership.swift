import Foundation
import SlipwayAPI

extension StateStore {
    /// Makes `owner` the process running a run in flight, if the run's owner is still
    /// `previous` (nil: nobody, the run was released). One statement, so of two processes
    /// adopting the same orphan exactly one wins; returns whether this one did.
    public func claimRun(_ id: RunID, from previous: String?, owner: String) async throws -> Bool {
        try await write { tx in
            try tx.execute("UPDATE run SET owner = ? WHERE id = ? AND owner IS NOT DISTINCT FROM ? AND \(Self.inFlight)",
                           [owner, id.rawValue, previous]) == 1
        }
    }

    /// Gives up a run in flight that `owner` holds, so that the next adopting process
    /// (`slipway serve`) resumes it.
    public func releaseRun(_ id: RunID, owner: String) async throws {
        try await write { tx in
            try tx.execute("UPDATE run SET owner = NULL WHERE id = ? AND owner = ?", [id.rawValue, owner])
        }
    }
}
