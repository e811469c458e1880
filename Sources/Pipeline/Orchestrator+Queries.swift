import Deploy
import Foundation
import SlipwayCore
import State

extension Orchestrator {
    public func pipelines() async throws -> [PipelineSummary] {
        try store.pipelines().map { row in
            PipelineSummary(name: row.name, repository: row.repository, branch: row.branch, targets: row.targets,
                            latest: try store.runs(pipeline: row.name, limit: 1, before: nil).first)
        }
    }

    public func runs(pipeline: String?, limit: Int, before: Int64?) async throws -> [RunRecord] {
        try store.runs(pipeline: pipeline, limit: limit, before: before)
    }

    public func run(_ id: Int64) async throws -> RunRecord { try record(id) }

    /// A run, or `notFound`.
    func record(_ id: Int64) throws -> RunRecord {
        guard let record = try store.run(id) else { throw SlipwayError.notFound("no run \(id); see 'slipway runs'") }
        return record
    }

    public func logs(run: Int64, after offset: Int64) async throws -> [LogChunk] {
        _ = try record(run)
        return try store.logs(run: run, after: offset)
    }

    /// Polls the store, so it follows runs of any process; ends after the run is final and
    /// its last chunk was sent.
    public func followLogs(run: Int64, after offset: Int64) -> AsyncThrowingStream<LogChunk, any Error> {
        let store = self.store
        return AsyncThrowingStream { continuation in
            let task = Task {
                var next = offset
                do {
                    while !Task.isCancelled {
                        guard let record = try store.run(run) else { throw SlipwayError.notFound("no run \(run)") }
                        let chunks = try store.logs(run: run, after: next)
                        for chunk in chunks {
                            continuation.yield(chunk)
                            next = chunk.offset + Int64(chunk.text.utf8.count)
                        }
                        if record.status.isFinal && chunks.isEmpty { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Read from the targets' own journals: they, not the database, say what is live.
    public func releases(pipeline: String) async throws -> [TargetReleases] {
        try spec(pipeline).targets.map { target in
            let host = try DeployTarget.parse(target).host(events: { _ in })
            let releases = try listReleases(on: host).map {
                ReleaseSummary(id: $0.id, artifact: $0.artifact?.description ?? "", commit: $0.commit, state: $0.state.rawValue,
                               time: $0.switched ?? $0.created, current: $0.current)
            }
            return TargetReleases(target: target, releases: releases)
        }
    }

    /// Every audit entry of a run, oldest first.
    public func auditTrail(run: Int64) throws -> [AuditEntry] { try store.auditTrail(run: run) }
}
