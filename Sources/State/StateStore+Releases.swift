import Foundation
import SlipwayAPI
import SlipwayCore

/// A release a run deployed to a target, or one a rollback switched a target back to.
public struct DeployedRelease: Codable, Sendable, Equatable {
    public var pipeline: String
    public var target: String
    public var release: ReleaseID
    public var artifact: Digest
    public var commit: String?
    public var run: RunID?
    public var time: Date

    public init(pipeline: String, target: String, release: ReleaseID, artifact: Digest, commit: String?, run: RunID?, time: Date = Date()) {
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
    /// Records that a target now serves `release`: a deploy's new release, or an earlier one a
    /// rollback went back to (then recorded again, so the newest row names what is current).
    public func recordRelease(_ release: DeployedRelease) async throws {
        try await write { tx in
            try tx.execute("INSERT INTO release (pipeline, target, release, artifact, commit_id, run, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [release.pipeline, release.target, release.release.rawValue, release.artifact.description, release.commit,
                                       release.run?.rawValue, release.time.timeIntervalSince1970])
        }
    }

    /// Records that a target switched back to `release`, recorded there before (a rollback):
    /// its newest entry again, now, so the newest row names what is current. Nothing when the
    /// target never recorded that release.
    public func recordSwitchBack(pipeline: String, target: String, to release: ReleaseID) async throws {
        try await write { tx in
            _ = try tx.execute("""
                INSERT INTO release (pipeline, target, release, artifact, commit_id, run, time)
                SELECT pipeline, target, release, artifact, commit_id, run, ? FROM release
                WHERE pipeline = ? AND target = ? AND release = ? ORDER BY id DESC LIMIT 1
                """, [Date().timeIntervalSince1970, pipeline, target, release.rawValue])
        }
    }

    /// A pipeline's recorded switches, newest first.
    public func deployedReleases(pipeline: String) async throws -> [DeployedRelease] {
        try await read { tx in
            try tx.rows("SELECT * FROM release WHERE pipeline = ? ORDER BY id DESC", [pipeline]).compactMap {
                guard let artifact = try? Digest(parsing: $0["artifact"] as String) else { return nil }
                return DeployedRelease(pipeline: $0["pipeline"], target: $0["target"], release: ReleaseID($0["release"] as String),
                                artifact: artifact, commit: $0["commit_id"], run: ($0["run"] as Int64?).map(RunID.init(rawValue:)),
                                time: Date(timeIntervalSince1970: $0["time"]))
            }
        }
    }

    /// The releases of each of `targets`, newest first, as the deploys and rollbacks recorded
    /// them: the newest switch names the current one. A release a manual rollback left stays
    /// good, as in the target's journal (only a deploy that failed marks its release bad, and
    /// such a release is never recorded here).
    public func releases(pipeline: String, targets: [String]) async throws -> [TargetReleases] {
        let switches = try await deployedReleases(pipeline: pipeline)
        return targets.map { target in
            let history = switches.filter { $0.target == target }.reversed()   // oldest first
            var order: [ReleaseID] = [], first: [ReleaseID: DeployedRelease] = [:], last: [ReleaseID: Date] = [:]
            var current: ReleaseID?
            for entry in history {
                if first[entry.release] == nil {
                    first[entry.release] = entry
                    order.append(entry.release)
                }
                last[entry.release] = entry.time
                current = entry.release
            }
            let releases = order.reversed().compactMap { id in
                first[id].map { entry in
                    ReleaseSummary(id: id, artifact: entry.artifact, commit: entry.commit, state: .published,
                                   created: entry.time, switched: last[id], current: id == current)
                }
            }
            return TargetReleases(target: target, releases: releases)
        }
    }
}
