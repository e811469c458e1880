import Foundation
import SlipwayAPI
import SlipwayCore
import State

extension Orchestrator {
    /// Unregisters a pipeline: no more runs, polls, schedules or pushes start for it. Its runs,
    /// logs and recorded releases stay as history unless `purge`; the audit trail always stays
    /// and records the removal. A pipeline with a run in flight (owned by a live process) is
    /// refused, unless `force`: those runs are cancelled first, and the removal waits (up to
    /// `wait`) until they have ended.
    public func remove(pipeline: String, purge: Bool, force: Bool, by actor: String,
                       wait: Duration = .seconds(60)) async throws -> PipelineRemoval {
        _ = try await spec(pipeline)
        let owners = try await runOwners()
        let active = try await store.inFlightRuns()
            .filter { $0.run.pipeline == pipeline && ($0.owner.map(owners.isAlive) ?? false) }.map(\.run)
        if !active.isEmpty {
            let list = active.map { "run \($0.id) \($0.status.rawValue)" }.joined(separator: ", ")
            guard force else {
                throw SlipwayError.failed("pipeline \(pipeline) has \(active.count == 1 ? "a run" : "runs") in flight (\(list)): "
                                          + "let \(active.count == 1 ? "it" : "them") end, cancel (slipway cancel \(active[0].id)), "
                                          + "or remove with --force, which cancels \(active.count == 1 ? "it" : "them")")
            }
            // A run that ends meanwhile refuses the cancel: it is ended, which is what is waited for.
            for run in active { try? await cancel(run: run.id, by: actor) }
            let deadline = ContinuousClock.now + wait
            for run in active {
                while !(try await record(run.id)).status.isFinal {
                    guard ContinuousClock.now < deadline else {
                        throw SlipwayError.failed("run \(run.id) of pipeline \(pipeline) did not stop within \(wait); the pipeline was not removed")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        guard let removal = try await store.removePipeline(pipeline, purge: purge) else {
            throw SlipwayError.notFound("no pipeline '\(pipeline)'; see 'slipway pipeline ls'")
        }
        await audit(actor, .remove, pipeline: pipeline, run: nil,
                    purge ? "purged \(removal.runs) runs and \(removal.releases) recorded releases" : "runs, logs and releases kept")
        return removal
    }

    /// The audit trail, newest first: of one pipeline (registered or removed) or of all.
    public func audit(pipeline: String?, limit: Int, before: Int64?) async throws -> [AuditEntry] {
        let entries = try await store.auditEntries(pipeline: pipeline, limit: limit, before: before)
        if let pipeline, entries.isEmpty, before == nil { try await requireKnown(pipeline) }
        return entries
    }

    /// Throws `notFound` unless the pipeline is registered or has recorded runs (a removed
    /// pipeline's history can still be listed).
    public func requireKnown(_ pipeline: String) async throws {
        guard try await store.pipeline(pipeline) == nil, !(try await store.hasRuns(pipeline: pipeline)) else { return }
        let names = try await store.pipelines().map(\.name)
        throw SlipwayError.notFound("no pipeline '\(pipeline)'" + (names.isEmpty ? "; none is registered (slipway pipeline add)"
                                                                              : "; registered: \(names.joined(separator: ", "))"))
    }
}
