import Deploy
import Foundation

/// A site target's own record, one object (`PREFIX/.slipway/state.json`) rewritten whole at
/// each step (an S3 PUT replaces an object atomically): the journal of its releases, what
/// each key of the live site holds, the objects waiting out their grace period before they
/// are deleted, and the deploy in flight, whose keys are not known until looked at.
public struct SiteState: Codable, Sendable {
    /// The same records a directory target's journal holds, so releases and rollbacks
    /// follow the same rules (`ReleaseHistory`).
    public var records: [JournalRecord] = []
    /// The release whose pages are live.
    public var current: String?
    /// Every object Slipway keeps under the prefix, by path, with what it holds.
    public var live: [String: SiteFile] = [:]
    /// Objects no longer part of the live release, deleted once their grace period is over.
    public var retired: [RetiredObject] = []
    /// Set before the first object of a change is written, cleared when the change is done:
    /// a process killed in between leaves it, and the next one looks at those keys.
    public var inFlight: InFlight?
    /// Content hashes kept under `.slipway/objects/sha256/` for rollbacks (a record, not a
    /// listing: listing keys is the one request not every S3-compatible store signs alike).
    public var kept: Set<String> = []

    public init() {}

    public struct RetiredObject: Codable, Sendable, Equatable {
        public var file: SiteFile
        /// When it left the live release.
        public var since: Date
    }

    public struct InFlight: Codable, Sendable, Equatable {
        public var release: String
        public var started: Date
        /// `host pid N`: who was writing.
        public var owner: String
        /// The keys the change writes or deletes.
        public var keys: [String]
    }

    var history: ReleaseHistory { ReleaseHistory(records: records, current: current) }

    /// Objects waiting out their grace period that `files` has as they are: still there, so
    /// they count as live again instead of being written anew (a rollback soon after a deploy).
    mutating func restoreRetired(_ files: [SiteFile]) {
        let wanted = Dictionary(files.map { ($0.path, $0.sha256) }, uniquingKeysWith: { $1 })
        for object in retired where live[object.file.path] == nil && wanted[object.file.path] == object.file.sha256 {
            live[object.file.path] = object.file
        }
        retired.removeAll { live[$0.file.path] != nil }
    }
}
