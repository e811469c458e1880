import Foundation
import SlipwayCore
import Specs
import State

extension Orchestrator {
    public func start(pipeline: String, commit: String?, trigger: Trigger, force: Bool) async throws -> Int64? {
        let spec = try spec(pipeline)
        let id = try commit ?? GitSource.resolve(repository: spec.source.repository, branch: spec.source.branch)
        // The same commit is not built twice: an earlier run that is in flight, succeeded or
        // failed counts (a failed one is retried, not restarted); cancelled, superseded and
        // interrupted ones do not.
        let counted: Set<RunStatus> = [.queued, .running, .waitingApproval, .succeeded, .failed]
        if !force, try store.runs(pipeline: pipeline, commit: id).contains(where: { counted.contains($0.status) }) {
            return nil
        }
        let record = RunRecord(id: 0, pipeline: pipeline, status: .queued, trigger: trigger,
                               commit: CommitInfo(id: id, author: "", time: Date(timeIntervalSince1970: 0), message: ""),
                               created: Date(), stages: Self.stages(of: spec))
        let stored = try store.insertRun(record, owner: ProcessIdentity.current)
        audit(trigger.actor, "trigger", pipeline: pipeline, run: stored.id, "\(trigger.kind.rawValue) \(id)\(force ? " (forced)" : "")")
        launch(stored, spec: spec, from: 0)
        return stored.id
    }

    public func pushed(repository: String, branch: String, trigger: Trigger) async throws -> [Int64] {
        var started: [Int64] = []
        for row in try store.pipelines() {
            let spec = try spec(row.name)
            guard Self.sameRepository(spec.source.repository, repository) else { continue }
            let watched = try spec.source.branch ?? GitSource.currentBranch(of: spec.source.repository)
            guard watched == branch else { continue }
            if let id = try await start(pipeline: row.name, commit: nil, trigger: trigger, force: false) { started.append(id) }
        }
        return started
    }

    /// A run's stages: source, build, then each deploy stage behind its approval if it has one.
    static func stages(of spec: PipelineSpec) -> [StageRecord] {
        var stages = [StageRecord(name: "source", kind: .source), StageRecord(name: "build", kind: .build)]
        for stage in spec.stages {
            if stage.approval { stages.append(StageRecord(name: "approve-" + stage.name, kind: .approval)) }
            stages.append(StageRecord(name: stage.name, kind: .deploy))
        }
        return stages
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

    /// Starts executing a stored run from stage `first` on a task of its own.
    func launch(_ record: RunRecord, spec: PipelineSpec, from first: Int) {
        let run = ActiveRun(record: record, spec: spec)
        active.withLock { $0[record.id] = run }
        hub.send(.run(record))
        run.attach(Task { await self.execute(run, from: first) })
    }
}
