import Foundation
import GRDB

/// A release a run deployed to a target.
public struct DeployedRelease: Codable, Sendable, Equatable {
    public var pipeline: String
    public var target: String
    public var release: String
    public var artifact: String
    public var commit: String?
    public var run: Int64?
    public var time: Date

    public init(pipeline: String, target: String, release: String, artifact: String, commit: String?, run: Int64?, time: Date = Date()) {
        self.pipeline = pipeline
        self.target = target
        self.release = release
        self.artifact = artifact
        self.commit = commit
        self.run = run
        self.time = time
    }
}

extension StateStore {
    public func recordRelease(_ release: DeployedRelease) throws {
        try write { db in
            try db.execute(sql: "INSERT INTO release (pipeline, target, release, artifact, commit_id, run, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [release.pipeline, release.target, release.release, release.artifact, release.commit,
                                       release.run, release.time.timeIntervalSince1970])
        }
    }

    /// A pipeline's deployed releases, newest first.
    public func deployedReleases(pipeline: String) throws -> [DeployedRelease] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM release WHERE pipeline = ? ORDER BY id DESC", arguments: [pipeline]).map {
                DeployedRelease(pipeline: $0["pipeline"], target: $0["target"], release: $0["release"], artifact: $0["artifact"],
                                commit: $0["commit_id"], run: $0["run"], time: Date(timeIntervalSince1970: $0["time"]))
            }
        }
    }
}
