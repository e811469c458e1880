import Foundation
import SlipwayAPI
import SlipwayCore
import Deploy
import State

extension Orchestrator {
    public func pipelines() async throws -> [PipelineSummary] {
        var summaries: [PipelineSummary] = []
        for row in try await store.pipelines() {
            summaries.append(PipelineSummary(name: row.name, repository: row.repository, branch: row.branch, targets: row.targets,
                                             latest: try await store.runs(pipeline: row.name, limit: 1, before: nil).first))
        }
        return summaries
    }

    public func runs(pipeline: String?, limit: Int, before: RunID?) async throws -> [RunRecord] {
        try await store.runs(pipeline: pipeline, limit: limit, before: before)
    }

    public func run(_ id: RunID) async throws -> RunRecord { try await record(id) }

    /// A run, or `notFound`.
    func record(_ id: RunID) async throws -> RunRecord {
        guard let record = try await store.run(id) else { throw SlipwayError.notFound("no run \(id); see 'slipway runs'") }
        return record
    }

    /// Runs of a pipeline for a commit, newest first.
    public func runs(pipeline: String, commit: String) async throws -> [RunRecord] {
        try await store.runs(pipeline: pipeline, commit: commit)
    }

    public func logs(run: RunID, after offset: Int64) async throws -> [LogChunk] {
        _ = try await record(run)
        return try await store.logs(run: run, after: offset)
    }

    /// The stored log from `offset`, then the chunks the event hub passes on, until the run's
    /// final record arrives; then what the store has past the last chunk (every line of a run
    /// is stored before its final status). A run of another process is followed through the
    /// store watcher, so `run()` must be running in this process.
    public func followLogs(run id: RunID, after offset: Int64) -> AsyncThrowingStream<LogChunk, any Error> {
        let events = hub.subscribe()
        let store = store
        return AsyncThrowingStream { continuation in
            let task = Task {
                var next = offset
                func drain() async throws {
                    for chunk in try await store.logs(run: id, after: next) where chunk.end > next {
                        continuation.yield(chunk)
                        next = chunk.end
                    }
                }
                do {
                    guard let record = try await store.run(id) else { throw SlipwayError.notFound("no run \(id)") }
                    try await drain()
                    if !record.status.isFinal {
                        for await event in events where event.run == id {
                            switch event {
                            case let .log(chunk) where chunk.offset == next:
                                continuation.yield(chunk)
                                next = chunk.end
                            case let .log(chunk) where chunk.offset > next:
                                try await drain()
                            case let .run(record) where record.status.isFinal:
                                try await drain()
                                continuation.finish()
                                return
                            default:
                                break
                            }
                        }
                        try Task.checkCancellation()
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// From what the deploys and rollbacks of the pipeline recorded in the state database: no
    /// target is contacted.
    /// The releases the pipeline's deploys recorded, per target; on a directory target, those
    /// its own journal says were pruned (and are gone from its disk) are marked so.
    public func releases(pipeline: String) async throws -> [TargetReleases] {
        var recorded = try await store.releases(pipeline: pipeline, targets: try await spec(pipeline).targets)
        for index in recorded.indices {
            guard case let .local(path)? = try? DeployTarget.parse(recorded[index].target) else { continue }
            let gone = try await BlockingPool.git.run { try Self.prunedReleases(at: path) }
            for r in recorded[index].releases.indices where gone.contains(recorded[index].releases[r].id.rawValue) {
                recorded[index].releases[r].state = .pruned
            }
        }
        return recorded
    }

    /// The releases a directory target's journal records as pruned that are no longer on its
    /// disk (none when nothing was ever deployed there).
    static func prunedReleases(at path: String) throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: path + "/.slipway/journal") else { return [] }
        let host = LocalHost(root: path, events: { _ in })
        let onDisk = Set(try host.releaseDirectories())
        return Set(try host.records().filter { $0.event == .pruned && !onDisk.contains($0.release) }.map(\.release))
    }

    /// Every audit entry of a run, oldest first.
    public func auditTrail(run: RunID) async throws -> [AuditEntry] { try await store.auditTrail(run: run) }
}
