import Foundation
import SlipwayAPI
import SlipwayCore
import Specs
import State

/// Restarts lose nothing: a run in flight whose owner is gone (its process was killed, or
/// released the run when it shut down, or, on another machine, its heartbeat went silent:
/// `Orchestrator+Owners.swift`) is taken over by the next `slipway serve` (at its start, and
/// by a running one within `adoptInterval`; of several services on one database, by the
/// scheduler) and carried on where it stopped:
///
/// - queued, or waiting behind another run at a stage: it waits again, in the same order;
/// - waiting for approval: it waits again, with the timeout still counted from the request;
///   a decision recorded meanwhile takes effect at once, an expired one fails the run;
/// - in source or build: that stage runs again under the same run id (both are repeatable:
///   the checkout is made afresh, and an unchanged build hits the result cache);
/// - in a deploy: it carries on from the targets' journals (`Deployer.resume`).
///
/// A run ends `interrupted` only where a person must decide: its pipeline was removed or
/// changed its stages, or a deploy's target moved on since. The claim is one conditional
/// write, so of two services only one takes a run; the log says "resumed after restart" and
/// the audit trail records a `resumed` entry.
extension Orchestrator {
    /// Takes over every run in flight whose owner is gone, oldest first.
    func adoptOrphans() async {
        let orphans: [(run: RunRecord, owner: String?)]
        let owners: RunOwners
        do {
            owners = try await runOwners()
            orphans = try await store.inFlightRuns().filter { entry in entry.owner.map { !owners.isAlive($0) } ?? true }
                .sorted { $0.run.id < $1.run.id }
        } catch {
            logger.error("cannot look for runs whose process stopped: \(error)")
            return
        }
        for (record, owner) in orphans {
            do { try await adopt(record, from: owner, because: owners.gone(owner)) } catch {
                logger.error("cannot resume run \(record.id): \(error)")
            }
        }
    }

    /// Looks for runs to take over every `adoptInterval` until cancelled: a `slipway run`
    /// killed while `slipway serve` runs leaves its run to the service.
    func adoptContinually() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: adoptInterval)
            if Task.isCancelled { return }
            await adoptOrphans()
        }
    }

    /// Runs started while the service takes over its first runs wait for it to finish.
    func awaitFirstAdoption() async {
        if let first = firstAdoption.withLock({ $0 }) { await first.value }
    }

    /// Claims one run from its gone owner and carries it on; nil owner: it was released.
    /// Returns false when another process claimed it first.
    @discardableResult
    func adopt(_ found: RunRecord, from owner: String?, because gone: String) async throws -> Bool {
        guard active.withLock({ $0[found.id] == nil }) else { return false }
        await announceOwner()
        guard try await store.claimRun(found.id, from: owner, owner: ProcessIdentity.current) else { return false }
        // Re-read after the claim: what the owner wrote last is what counts.
        var record = try await self.record(found.id)
        let spec: PipelineSpec
        do { spec = try await self.spec(record.pipeline) } catch {
            try await undecided(record, "\(gone), and its pipeline cannot be read: \(error)")
            return true
        }
        let plan = RunPlan(spec)
        guard plan.matches(record.stages) else {
            try await undecided(record, "\(gone), and pipeline \(record.pipeline) changed its stages since; start a new run")
            return true
        }
        if let stopped = record.stages.first(where: { [.failed, .cancelled, .interrupted].contains($0.status) }) {
            // The owner stopped between a stage's end and the run's.
            let status: RunStatus = stopped.status == .failed ? .failed : stopped.status == .cancelled ? .cancelled : .interrupted
            try await end(record, status, stage: .skipped, note: "\(gone) before recording the end of the run")
            return true
        }
        let index = record.stages.firstIndex { [.pending, .running, .waitingApproval].contains($0.status) } ?? record.stages.count
        var resumedDeploy: Date?
        let what: String
        if index == record.stages.count {
            what = "every stage is done"
        } else {
            let stage = record.stages[index]
            switch (stage.kind, stage.status) {
            case (.source, .running), (.build, .running):
                record.stages[index].status = .pending
                record.stages[index].started = nil
                what = "\(stage.name) runs again"
            case (.deploy, .running):
                resumedDeploy = stage.started ?? record.started ?? record.created
                what = "the \(stage.name) deploy carries on from its targets' journals"
            case (_, .waitingApproval):
                what = "it still waits for approval"
            default:
                what = record.status == .queued ? "it is queued" : "it goes on at \(stage.name)"
            }
            // The run takes its stage again before any other run can come to wait for it.
            if [.running, .waitingApproval].contains(record.stages[index].status), !gate(record.pipeline).claim(stage.name, run: record.id) {
                record.stages[index].status = .pending
            }
        }
        removeTree(workspace(record.id))
        notifications.adopted(record)
        await audit("slipway", .resumed, pipeline: record.pipeline, run: record.id, "after restart: \(gone); \(what)")
        await append(record.id, stage: "run", "run \(record.id): resumed after restart (\(gone)): \(what)")
        let version = try await store.updateRun(record)
        try await launch(record, version: version, spec: spec, plan: plan, from: index, resumedDeploy: resumedDeploy)
        return true
    }

    /// Ends a run taken over that a person must look at.
    private func undecided(_ record: RunRecord, _ reason: String) async throws {
        try await end(record, .interrupted, stage: .interrupted, note: reason)
        await audit("slipway", .interrupted, pipeline: record.pipeline, run: record.id, reason)
    }
}
