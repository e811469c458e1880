import Foundation
import SlipwayAPI
import SlipwayCore
import Specs
import State

extension Orchestrator {
    public func start(pipeline: String, commit: String?, trigger: Trigger, force: Bool) async throws -> RunID? {
        let spec = try await spec(pipeline)
        let id: String
        if let commit {
            id = commit
        } else {
            let (repository, branch) = (spec.source.repository, spec.source.branch)
            id = try await BlockingPool.git.run { try GitSource.resolve(repository: repository, branch: branch) }
        }
        await awaitFirstAdoption()
        // The same commit is not built twice: an earlier run that is in flight, succeeded or
        // failed counts (a failed one is retried, not restarted); cancelled, superseded and
        // interrupted ones do not. One in flight whose process stopped is taken over here and
        // carried on (a `slipway run` killed and started again goes on where it was).
        let counted: Set<RunStatus> = [.queued, .running, .waitingApproval, .succeeded, .failed]
        let earlier = force ? [] : try await store.runs(pipeline: pipeline, commit: id)
        if let orphan = earlier.first(where: { !$0.status.isFinal }),
           let owner = try await store.inFlightRuns().first(where: { $0.run.id == orphan.id }).map({ $0.owner }) {
            let owners = try await runOwners()
            if owner.map({ !owners.isAlive($0) }) ?? true, try await adopt(orphan, from: owner, because: owners.gone(owner)) {
                return orphan.id
            }
        }
        if earlier.contains(where: { counted.contains($0.status) }) { return nil }
        let plan = RunPlan(spec)
        let record = RunRecord(id: 0, pipeline: pipeline, status: .queued, trigger: trigger,
                               commit: CommitInfo(id: id, author: "", time: Date(timeIntervalSince1970: 0), message: ""),
                               created: Date(), stages: plan.records)
        await announceOwner()
        let (stored, version) = try await store.insertRun(record, owner: ProcessIdentity.current)
        await audit(trigger.actor, .trigger, pipeline: pipeline, run: stored.id, "\(trigger.kind.rawValue) \(id)\(force ? " (forced)" : "")")
        try await launch(stored, version: version, spec: spec, plan: plan, from: 0)
        return stored.id
    }

    public func pushed(repository: String, branch: String, trigger: Trigger) async throws -> [RunID] {
        var started: [RunID] = []
        for row in try await store.pipelines() {
            let spec = try await spec(row.name)
            guard Self.sameRepository(spec.source.repository, repository) else { continue }
            let watched: String
            if let branch = spec.source.branch {
                watched = branch
            } else {
                let repository = spec.source.repository
                watched = try await BlockingPool.git.run { try GitSource.currentBranch(of: repository) }
            }
            guard watched == branch else { continue }
            if let id = try await start(pipeline: row.name, commit: nil, trigger: trigger, force: false) { started.append(id) }
        }
        return started
    }

    /// Paths compare after resolving `.`/`..` and a trailing `/` or `.git`; URLs as written.
    static func sameRepository(_ a: String, _ b: String) -> Bool {
        func normal(_ s: String) -> String {
            var p = s.hasPrefix("/") ? URL(fileURLWithPath: s).standardizedFileURL.path : s
            while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
            if p.hasSuffix("/.git") { p.removeLast(5) }
            return p
        }
        return normal(a) == normal(b)
    }
}
