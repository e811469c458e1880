import Foundation
import SlipwayCore

/// What a commit says about itself.
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

/// A run of a pipeline with its stages, as the state database holds it.
public struct RunRecord: Codable, Sendable, Hashable, Identifiable {
    public var id: RunID
    public var pipeline: String
    public var status: RunStatus
    public var trigger: Trigger
    public var commit: CommitInfo?
    public var created: Date
    public var started: Date?
    public var finished: Date?
    public var stages: [StageRecord]
    /// The build's artifact digest once built.
    public var artifact: Digest?
    /// The release id deployed by the last deploy stage that ran.
    public var release: ReleaseID?

    public init(id: RunID, pipeline: String, status: RunStatus, trigger: Trigger, commit: CommitInfo?,
                created: Date, started: Date? = nil, finished: Date? = nil, stages: [StageRecord],
                artifact: Digest? = nil, release: ReleaseID? = nil) {
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

/// A piece of a run's log.
public struct LogChunk: Codable, Sendable, Hashable {
    public var run: RunID
    /// Byte offset of `text` in the run's whole log.
    public var offset: Int64
    public var stage: String
    public var text: String

    public init(run: RunID, offset: Int64, stage: String, text: String) {
        self.run = run
        self.offset = offset
        self.stage = stage
        self.text = text
    }

    /// The byte offset just past this chunk: where the next one starts.
    public var end: Int64 { offset + Int64(text.utf8.count) }
}

/// What the orchestrator tells its subscribers.
public enum RunEvent: Sendable, Hashable {
    /// A run was queued or changed status or a stage changed; carries the whole new record.
    case run(RunRecord)
    case log(LogChunk)

    public var run: RunID {
        switch self {
        case let .run(record): record.id
        case let .log(chunk): chunk.run
        }
    }
}
