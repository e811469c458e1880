import Foundation
import SlipwayCore

/// A release's life: created → prepared → published → (bad | pruned).
public enum ReleaseState: String, Codable, Sendable {
    case created, prepared, published, bad, pruned
}

/// One release of a target, as its journal tells it.
public struct Release: Codable, Sendable, Equatable {
    public var id: String
    public var artifact: Digest?
    public var commit: String?
    public var state: ReleaseState
    public var created: Date
    /// When it last became current.
    public var switched: Date?
    public var current: Bool
}

/// A target's releases folded from its journal; pure, so the same rules apply to local and
/// remote targets.
public struct ReleaseHistory: Sendable {
    public let records: [JournalRecord]
    public private(set) var releases: [String: Release] = [:]
    /// Every switch in order: (to, from).
    public private(set) var switches: [(to: String, from: String?)] = []

    public init(records: [JournalRecord], current: String? = nil) {
        self.records = records
        for r in records {
            switch r.event {
            case .created:
                releases[r.release] = Release(id: r.release, artifact: r.artifact, commit: r.commit,
                                              state: .created, created: r.time, switched: nil, current: false)
            case .prepared:
                releases[r.release]?.state = .prepared
            case .switched:
                switches.append((r.release, r.previous))
                releases[r.release]?.switched = r.time
                if releases[r.release]?.state != .bad { releases[r.release]?.state = .published }
            case .bad:
                releases[r.release]?.state = .bad
            case .pruned:
                releases[r.release]?.state = .pruned
            case .lockTakenOver:
                break
            }
        }
        if let current { releases[current]?.current = true }
    }

    /// Releases oldest first.
    public var ordered: [Release] {
        releases.values.sorted { ReleaseID.sequence(of: $0.id) < ReleaseID.sequence(of: $1.id) || ($0.id < $1.id && ReleaseID.sequence(of: $0.id) == ReleaseID.sequence(of: $1.id)) }
    }

    /// The sequence number for the next release.
    public var nextSequence: Int {
        (records.map { ReleaseID.sequence(of: $0.release) }.max() ?? 0) + 1
    }

    /// Where a plain rollback from `current` goes, as Capistrano's does: the newest good
    /// (published, not bad or pruned) release older than `current`, so rollbacks in a row
    /// walk back one good release at a time. With no current, the newest good release.
    public func rollbackCandidate(from current: String?) -> String? {
        let all = ordered
        let older = all.firstIndex { $0.id == current }.map { all[..<$0] } ?? all[...]
        return older.last { $0.state == .published }?.id
    }
}
