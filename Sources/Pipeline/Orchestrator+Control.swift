import Deploy
import Foundation
import SlipwayCore
import State

extension Orchestrator {
    public func approve(run: Int64, by actor: String, comment: String?) async throws {
        try decide(run: run, approved: true, by: actor, comment: comment)
    }

    public func reject(run: Int64, by actor: String, comment: String?) async throws {
        try decide(run: run, approved: false, by: actor, comment: comment)
    }

    /// Records the decision; the process running the run sees it within `watchInterval`.
    private func decide(run id: Int64, approved: Bool, by actor: String, comment: String?) throws {
        let record = try record(id)
        guard record.status == .waitingApproval, let stage = record.stages.first(where: { $0.status == .waitingApproval }) else {
            throw SlipwayError.badInput("run \(id) is not waiting for approval (it is \(record.status.rawValue))")
        }
        try store.recordApproval(run: id, stage: stage.name, approved: approved, actor: actor, comment: comment)
        audit(actor, approved ? "approve" : "reject", pipeline: record.pipeline, run: id, comment)
    }

    /// In this process: stops the run at once. Owned by another live process: records a
    /// request that its owner acts on. Owned by a dead process: marks it cancelled here.
    public func cancel(run id: Int64, by actor: String) async throws {
        let record = try record(id)
        guard !record.status.isFinal else {
            throw SlipwayError.badInput("run \(id) has already ended (\(record.status.rawValue))")
        }
        audit(actor, "cancel", pipeline: record.pipeline, run: id)
        if let local = active.withLock({ $0[id] }) {
            local.cancel(by: actor)
        } else if let owner = try store.inFlightRuns().first(where: { $0.run.id == id })?.owner, ProcessIdentity.isAlive(owner) {
            try store.requestCancel(run: id)
        } else {
            try end(record, .cancelled, stage: .cancelled, note: "cancelled by \(actor)")
        }
    }

    public func retry(run id: Int64, by actor: String) async throws -> Int64 {
        let old = try record(id)
        guard [.failed, .cancelled, .interrupted].contains(old.status) else {
            throw SlipwayError.badInput("run \(id) is \(old.status.rawValue): only a failed, cancelled or interrupted run can be retried")
        }
        let spec = try spec(old.pipeline)
        // Stages before the one that stopped the run are taken over from it, the rest run again.
        let stopped: Set<StageStatus> = [.failed, .cancelled, .interrupted, .waitingApproval, .running]
        let from = old.stages.firstIndex { stopped.contains($0.status) } ?? old.stages.firstIndex { $0.status != .succeeded } ?? 0
        var stages = Self.stages(of: spec)
        guard stages.map(\.name) == old.stages.map(\.name) || from == 0 else {
            throw SlipwayError.badInput("pipeline \(old.pipeline) changed its stages since run \(id): start a new run instead")
        }
        for i in stages.indices where i < from {
            stages[i].status = .skipped
            stages[i].detail = "done in run \(id): \(old.stages[i].detail ?? "")"
        }
        var record = RunRecord(id: 0, pipeline: old.pipeline, status: .queued, trigger: Trigger(.retry, actor: actor),
                               commit: old.commit, created: Date(), stages: stages)
        record.artifact = from > 1 ? old.artifact : nil
        let stored = try store.insertRun(record, owner: ProcessIdentity.current, retryOf: id)
        audit(actor, "retry", pipeline: old.pipeline, run: stored.id, "of run \(id) from stage \(stages[from].name)")
        launch(stored, spec: spec, from: from)
        return stored.id
    }

    public func rollback(pipeline: String, target: String, to release: String?, by actor: String) async throws -> RollbackSummary {
        let spec = try spec(pipeline)
        guard let stage = spec.stages.first(where: { $0.targets.contains(target) }) else {
            throw SlipwayError.notFound("pipeline \(pipeline) has no target '\(target)'; its targets: \(spec.targets.joined(separator: ", "))")
        }
        var options = DeployOptions()
        options.health = stage.health.flatMap { $0.url.map(HealthCheck.http) ?? $0.command.map(HealthCheck.command) }
        options.healthPolicy.deadline = stage.health?.timeout ?? 30
        let host = try DeployTarget.parse(target).host(events: { _ in })
        let rollback = Rollback(host: host, options: options)
        let result = try await blocking { try rollback.run(to: release) }
        audit(actor, "rollback", pipeline: pipeline, run: nil,
              "\(target): \(result.previous ?? "none") → \(result.current) (\(result.status))\(result.error.map { ": " + $0 } ?? "")")
        if let error = result.error { throw SlipwayError.failed("rollback of \(target): \(error)") }
        return RollbackSummary(target: target, from: result.previous, to: result.current)
    }

    /// Ends a run nobody is executing: its unfinished stages take `stage`.
    func end(_ record: RunRecord, _ status: RunStatus, stage: StageStatus, note: String) throws {
        var record = record
        record.status = status
        record.finished = Date()
        for i in record.stages.indices {
            switch record.stages[i].status {
            case .running, .waitingApproval:
                record.stages[i].status = stage
                record.stages[i].detail = note
                record.stages[i].finished = Date()
            case .pending: record.stages[i].status = .skipped
            default: break
            }
        }
        publish(record)
        log(record.id, stage: "run", "run \(record.id): \(status.rawValue): \(note)")
    }

    /// Runs whose owning process is gone are interrupted: nobody will finish them.
    func markInterrupted() throws {
        for (record, owner) in try store.inFlightRuns() where owner.map({ !ProcessIdentity.isAlive($0) }) ?? true {
            try end(record, .interrupted, stage: .interrupted, note: "the process running it (\(owner ?? "unknown")) stopped")
            audit("slipway", "interrupted", pipeline: record.pipeline, run: record.id, "owner \(owner ?? "unknown") is gone")
        }
    }
}
