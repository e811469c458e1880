import Foundation
import SlipwayCore

/// A registered pipeline with its latest run.
public struct PipelineSummary: Codable, Sendable, Hashable {
    public var name: String
    public var repository: String
    public var branch: String
    /// Deploy targets in stage order, as written (`/srv/app`, `ssh://host/srv/app`).
    public var targets: [String]
    public var latest: RunRecord?

    public init(name: String, repository: String, branch: String, targets: [String], latest: RunRecord?) {
        self.name = name
        self.repository = repository
        self.branch = branch
        self.targets = targets
        self.latest = latest
    }
}

/// A release of a target as the pipeline's deploys and rollbacks recorded it. The same keys
/// as a release in `slipway releases --json`, which reads the target's own journal.
public struct ReleaseSummary: Codable, Sendable, Hashable {
    /// `published`: deployed and switched to; `bad`: its own deploy failed; `pruned`: removed
    /// from the target by its retention (`keep`), so nothing can roll back to it. (The same
    /// words as a target's own journal, where a manual rollback marks nothing bad.)
    public enum State: String, Codable, Sendable { case published, bad, pruned }

    public var id: ReleaseID
    public var artifact: Digest
    public var commit: String?
    public var state: State
    /// When its deploy was recorded.
    public var created: Date
    /// When it last became current (its deploy, or a rollback back to it).
    public var switched: Date?
    public var current: Bool

    public init(id: ReleaseID, artifact: Digest, commit: String?, state: State, created: Date, switched: Date?, current: Bool) {
        self.id = id
        self.artifact = artifact
        self.commit = commit
        self.state = state
        self.created = created
        self.switched = switched
        self.current = current
    }
}

/// The releases of one deploy target, newest first.
public struct TargetReleases: Codable, Sendable, Hashable {
    public var target: String
    public var releases: [ReleaseSummary]

    public init(target: String, releases: [ReleaseSummary]) {
        self.target = target
        self.releases = releases
    }
}

/// What a rollback switched: from the release that was current to the one that is now.
public struct RollbackSummary: Codable, Sendable, Hashable {
    public var target: String
    public var from: ReleaseID?
    public var to: ReleaseID

    public init(target: String, from: ReleaseID?, to: ReleaseID) {
        self.target = target
        self.from = from
        self.to = to
    }
}
