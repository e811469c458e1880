import Foundation

// The records of pipelines, runs, stages, logs and releases: what the state store keeps and
// what the CLI, API and dashboard show.

/// Who or what started something; recorded in the audit trail.
public struct Trigger: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case cli, api, webhook, hook, poll, retry }
    public var kind: Kind
    /// The user, token name or remote address behind it.
    public var actor: String

    public init(_ kind: Kind, actor: String) {
        self.kind = kind
        self.actor = actor
    }
}

public enum RunStatus: String, Codable, Sendable, CaseIterable {
    case queued, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, superseded
    /// The service stopped while the run was in flight.
    case interrupted

    public var isFinal: Bool { ![.queued, .running, .waitingApproval].contains(self) }
}

public enum StageStatus: String, Codable, Sendable, CaseIterable {
    case pending, running
    case waitingApproval = "waiting_approval"
    case succeeded, failed, cancelled, skipped, interrupted
}

public struct StageRecord: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable { case source, build, approval, deploy }
    public var name: String
    public var kind: Kind
    public var status: StageStatus
    public var started: Date?
    public var finished: Date?
    /// What the stage produced or why it stopped: a commit, an artifact digest, a release id,
    /// an error message.
    public var detail: String?

    public init(name: String, kind: Kind, status: StageStatus = .pending, started: Date? = nil,
                finished: Date? = nil, detail: String? = nil) {
        self.name = name
        self.kind = kind
        self.status = status
        self.started = started
        self.finished = finished
        self.detail = detail
    }
}

public struct CommitInfo: Codable, Sendable, Hashable {
    public var id: String
    public var author: String
    public var time: Date
    public var message: String

    public init(id: String, author: String, time: Date, message: String) {
        self.id = id
        self.author = author
        self.time = time
        self.message = message
    }
}

public struct RunRecord: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var pipeline: String
    public var status: RunStatus
    public var trigger: Trigger
    public var commit: CommitInfo?
    public var created: Date
    public var started: Date?
    public var finished: Date?
    public var stages: [StageRecord]
    /// The build's artifact digest once built.
    public var artifact: String?
    /// The release id deployed by the last deploy stage that ran.
    public var release: String?

    public init(id: Int64, pipeline: String, status: RunStatus, trigger: Trigger, commit: CommitInfo?,
                created: Date, started: Date? = nil, finished: Date? = nil, stages: [StageRecord],
                artifact: String? = nil, release: String? = nil) {
        self.id = id
        self.pipeline = pipeline
        self.status = status
        self.trigger = trigger
        self.commit = commit
        self.created = created
        self.started = started
        self.finished = finished
        self.stages = stages
        self.artifact = artifact
        self.release = release
    }
}

public struct LogChunk: Codable, Sendable, Hashable {
    public var run: Int64
    /// Byte offset of `text` in the run's whole log.
    public var offset: Int64
    public var stage: String
    public var text: String

    public init(run: Int64, offset: Int64, stage: String, text: String) {
        self.run = run
        self.offset = offset
        self.stage = stage
        self.text = text
    }
}

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

public struct ReleaseSummary: Codable, Sendable, Hashable {
    public var id: String
    public var artifact: String
    public var commit: String?
    public var state: String
    public var time: Date
    public var current: Bool

    public init(id: String, artifact: String, commit: String?, state: String, time: Date, current: Bool) {
        self.id = id
        self.artifact = artifact
        self.commit = commit
        self.state = state
        self.time = time
        self.current = current
    }
}

public struct TargetReleases: Codable, Sendable, Hashable {
    public var target: String
    public var releases: [ReleaseSummary]

    public init(target: String, releases: [ReleaseSummary]) {
        self.target = target
        self.releases = releases
    }
}

public struct RollbackSummary: Codable, Sendable, Hashable {
    public var target: String
    public var from: String?
    public var to: String

    public init(target: String, from: String?, to: String) {
        self.target = target
        self.from = from
        self.to = to
    }
}

public enum RunEvent: Sendable, Hashable {
    /// A run was queued or changed status or a stage changed; carries the whole new record.
    case run(RunRecord)
    case log(LogChunk)
}
