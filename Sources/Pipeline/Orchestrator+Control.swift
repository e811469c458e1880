import Deploy
import Foundation
import SlipwayAPI
import SlipwayCore
import State

extension Orchestrator {
    public func approve(run: RunID, by actor: String, comment: String?) async throws {
        try await decide(run: run, ApprovalDecision(approved: true, actor: actor, comment: comment))
    }

    public func reject(run: RunID, by actor: String, comment: String?) async throws {
        try await decide(run: run, ApprovalDecision(approved: false, actor: actor, comment: comment))
    }

    /// Records the decision; the process running the run sees it at its store watcher's next look.
    private func decide(run id: RunID, _ decision: ApprovalDecision) async throws {
        let record = try await record(id)
        guard record.status == .waitingApproval, let stage = record.stages.first(where: { $0.status == .waitingApproval }) else {
            throw SlipwayError.badInput("run \(id) is not waiting for approval: it \(record.status.sentence)")
        }
        // Past its timeout while no service ran (the run is still recorded as waiting): too late.
        let plan = (try? await spec(record.pipeline)).map(RunPlan.init)
        if let started = stage.started, case let .approval(guarding)? = plan?.stages.first(where: { $0.name == stage.name })?.step {
            let expired = started.addingTimeInterval(guarding.approvalTimeout ?? 7 * 86400)
            if expired < Date() {
                throw SlipwayError.badInput("run \(id): its approval expired at \(Timestamp.format(expired)); the next `slipway serve` fails the run")
            }
        }
        try await store.recordApproval(run: id, stage: stage.name, decision: decision)
        approvals.signal()
        await audit(decision.actor, decision.approved ? .approve : .reject, pipeline: record.pipeline, run: id, decision.comment)
    }

    /// In this process: stops the run at once. Owned by another live process: records a
    /// request that its owner acts on. Owned by nobody (its process stopped): claims it and
    /// marks it cancelled here, so no service resumes it.
    public func cancel(run id: RunID, by actor: String) async throws {
        let record = try await record(id)
        guard !record.status.isFinal else {
            throw SlipwayError.badInput("run \(id) has already ended: it \(record.status.sentence)")
        }
        await audit(actor, .cancel, pipeline: record.pipeline, run: id)
        if let local = active.withLock({ $0[id] }) {
            local.stop(.cancelled(by: actor))
            return
        }
        let owner = try await store.inFlightRuns().first(where: { $0.run.id == id })?.owner
        if let owner, try await runOwners().isAlive(owner) {
            try await store.requestCancel(run: id)
            return
        }
        await announceOwner()
        if try await store.claimRun(id, from: owner, owner: ProcessIdentity.current) {
            try await end(try await self.record(id), .cancelled, stage: .cancelled, note: "cancelled by \(actor)")
        } else {
            // A service took it over a moment ago: it acts on the request.
            try await store.requestCancel(run: id)
        }
    }

    /// A new run of the same commit from the stage that stopped `id`. What it takes over comes
    /// from the run's plan: the stages before that one keep their outputs, and the artifact is
    /// reused exactly when the build is among them.
    public func retry(run id: RunID, by actor: String) async throws -> RunID {
        let old = try await record(id)
        guard [.failed, .cancelled, .interrupted].contains(old.status) else {
            throw SlipwayError.badInput("run \(id) \(old.status.sentence): only a failed, cancelled or interrupted run can be retried")
        }
        let spec = try await spec(old.pipeline)
        let plan = RunPlan(spec)
        // Stages before the one that stopped the run are taken over from it, the rest run again.
        let stopped: Set<StageStatus> = [.failed, .cancelled, .interrupted, .waitingApproval, .running]
        var from = old.stages.firstIndex { stopped.contains($0.status) } ?? old.stages.firstIndex { $0.status != .succeeded } ?? 0
        guard plan.matches(old.stages) || from == 0 else {
            throw SlipwayError.badInput("pipeline \(old.pipeline) changed its stages since run \(id): start a new run instead")
        }
        if !plan.matches(old.stages) { from = 0 }
        let reuse = plan.reuse(from: from, of: old)
        var record = RunRecord(id: 0, pipeline: old.pipeline, status: .queued, trigger: Trigger(.retry, actor: actor),
                               commit: old.commit, created: Date(), stages: reuse.stages)
        record.artifact = reuse.artifact
        await announceOwner()
        let (stored, version) = try await store.insertRun(record, owner: ProcessIdentity.current, retryOf: id)
        await audit(actor, .retry, pipeline: old.pipeline, run: stored.id, "of run \(id) from stage \(plan.stages[reuse.from].name)")
        try await launch(stored, version: version, spec: spec, plan: plan, from: reuse.from)
        return stored.id
    }

    public func rollback(pipeline: String, target: String, to release: String?, by actor: String) async throws -> RollbackSummary {
        let spec = try await spec(pipeline)
        guard let stage = spec.stages.first(where: { $0.targets.contains(target) }) else {
            throw SlipwayError.notFound("pipeline \(pipeline) has no target '\(target)'; its targets: \(spec.targets.joined(separator: ", "))")
        }
        if target.hasPrefix("s3://") { return try await rollbackSite(pipeline: pipeline, target: target, to: release, by: actor) }
        var options = DeployOptions()
        try stage.apply(to: &options)
        options.environment = stage.environment
        options.deploymentGroup = stage.name
        let host = try DeployTarget.parse(target).host(events: { _ in })
        let rollback = Rollback(host: host, options: options)
        let result = try await BlockingPool.stages.run { try rollback.run(to: release) }
        await audit(actor, .rollback, pipeline: pipeline, run: nil,
                    "\(target): \(result.previous ?? "none") → \(result.current) (\(result.status))\(result.error.map { ": " + $0 } ?? "")")
        if let error = result.error { throw SlipwayError.failed("rollback of \(target): \(error)") }
        let current = ReleaseID(result.current)
        // The switch back is recorded as the target's newest, so listings name it current.
        if result.previous != result.current {
            try await store.recordSwitchBack(pipeline: pipeline, target: target, to: current)
        }
        return RollbackSummary(target: target, from: result.previous.map { ReleaseID($0) }, to: current)
    }

    /// Ends a run nobody is executing: its unfinished stages take `stage`. The log line comes
    /// first, so a follower that sees the final status has every line.
    func end(_ record: RunRecord, _ status: RunStatus, stage: StageStatus, note: String) async throws {
        var record = record
        record.status = status
        record.finished = Date()
        for i in record.stages.indices {
            switch record.stages[i].status {
            case .running, .waitingApproval:
                record.stages[i].status = stage
                record.stages[i].note = note
                record.stages[i].finished = Date()
            case .pending: record.stages[i].status = .skipped
            default: break
            }
        }
        await append(record.id, stage: "run", "run \(record.id): \(status.rawValue): \(note)")
        await publish(record)
        removeTree(workspace(record.id))
    }
}
