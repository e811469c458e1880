import SlipwayAPI
import SlipwayCore
import Specs

/// A run's stages as built once from the pipeline's definition when the run is created:
/// source, build, then each deploy stage behind its approval if it has one. An approval holds
/// the deploy stage it guards, so its timeout and its place come from that stage itself.
struct RunPlan: Sendable {
    enum Step: Sendable {
        case source
        case build
        /// The approval that must be given before `deploy` runs.
        case approval(guarding: PipelineSpec.DeployStage)
        case deploy(PipelineSpec.DeployStage)

        var kind: StageRecord.Kind {
            switch self {
            case .source: .source
            case .build: .build
            case .approval: .approval
            case .deploy: .deploy
            }
        }
    }

    struct Stage: Sendable {
        var name: String
        var step: Step
    }

    let stages: [Stage]

    init(_ spec: PipelineSpec) {
        var stages = [Stage(name: "source", step: .source), Stage(name: "build", step: .build)]
        for deploy in spec.stages {
            if deploy.approval { stages.append(Stage(name: "approve-" + deploy.name, step: .approval(guarding: deploy))) }
            stages.append(Stage(name: deploy.name, step: .deploy(deploy)))
        }
        self.stages = stages
    }

    /// The stage records a new run starts with: every stage pending.
    var records: [StageRecord] { stages.map { StageRecord(name: $0.name, kind: $0.step.kind) } }

    /// Whether `records` (an earlier run's) are this plan's stages, in order and of the same kinds.
    func matches(_ records: [StageRecord]) -> Bool {
        records.map(\.name) == stages.map(\.name) && records.map(\.kind) == stages.map(\.step.kind)
    }

    /// What a retry from stage `from` takes over from the earlier run `old`: every stage
    /// before `from` with the output it had, and the commit and artifact those outputs name.
    /// A stage that must be reused but has no output (a build that stored nothing) makes the
    /// retry start at that stage instead.
    func reuse(from: Int, of old: RunRecord) -> (from: Int, stages: [StageRecord], commit: CommitInfo?, artifact: Digest?) {
        var stages = records
        var artifact: Digest?
        var start = from
        for index in stages.indices where index < from {
            let earlier = old.stages[index]
            let output = earlier.output
            switch stages[index].kind {
            case .build:
                guard let digest = output?.artifact ?? old.artifact else { start = index; break }
                artifact = digest
            case .source, .approval, .deploy:
                break
            }
            if start == index { break }
            stages[index].status = .skipped
            stages[index].output = output
            // The run the work was done in: a stage the earlier run took over itself names
            // its own origin, so a retry of a retry says "done in run 8", once.
            if earlier.status == .skipped, let origin = earlier.note, origin.hasPrefix("done in run ") {
                stages[index].note = origin
            } else {
                stages[index].note = "done in run \(old.id)"
            }
        }
        for index in stages.indices where index >= start {
            stages[index] = StageRecord(name: stages[index].name, kind: stages[index].kind)
        }
        if start <= stages.firstIndex(where: { $0.kind == .build }) ?? 0 { artifact = nil }
        return (start, stages, old.commit, artifact)
    }
}
