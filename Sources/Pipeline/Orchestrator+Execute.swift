import Foundation
import SlipwayAPI
import SlipwayCore
import State

/// Why a stage stopped short.
enum StageStop: Error {
    case failed(String)
    case cancelled
    /// A person must decide how to go on (a resumed deploy whose target moved on): the run
    /// ends `interrupted`.
    case undecided(String)
}

extension Orchestrator {
    /// Executes a run as a child task of the service: cancelling that task (a shutdown) stops
    /// the run and releases it, in its state, for the next service.
    func execute(_ run: ActiveRun) async {
        let stages = Task { await self.runStages(run) }
        run.attach(stages)
        await withTaskCancellationHandler { await stages.value } onCancel: { run.stop(.released) }
    }

    /// The run's state machine: each stage still to do from the run's first on (pending, or
    /// in flight when the run was taken over after a restart), one run per stage at a time;
    /// the first failure, cancellation or supersession ends the run, a shutdown releases it.
    /// Its log is written in order, a stage's lines before the stage's status and all of them
    /// before the run's final status.
    private func runStages(_ run: ActiveRun) async {
        let gate = gate(run.record.pipeline)
        var final = RunStatus.succeeded
        var released: Int?
        let toDo: Set<StageStatus> = [.pending, .running, .waitingApproval]
        for index in run.plan.stages.indices where index >= run.first && toDo.contains(run.record.stages[index].status) {
            let name = run.plan.stages[index].name
            if run.stop == .released { released = index; break }
            if run.stop != nil { final = .cancelled; break }
            switch await gate.enter(name, run: run.id) {
            case .entered: break
            case .superseded: final = .superseded
            case .cancelled: if run.stop == .released { released = index } else { final = .cancelled }
            }
            if released != nil || final != .succeeded { break }
            let waits = run.plan.stages[index].step.kind == .approval
            await publish(run.update { r in
                r.status = waits ? .waitingApproval : .running
                if r.started == nil { r.started = Date() }
                // A stage taken over in flight keeps its start: an approval's timeout counts
                // from the request, a resumed deploy's journal from when it began.
                if r.stages[index].status == .pending || r.stages[index].started == nil { r.stages[index].started = Date() }
                r.stages[index].status = waits ? .waitingApproval : .running
            })
            let outcome: Result<StageOutput, StageStop>
            do { outcome = .success(try await perform(index, of: run)) } catch let stop as StageStop {
                outcome = .failure(run.stop != nil ? .cancelled : stop)
            } catch is CancellationError {
                outcome = .failure(.cancelled)
            } catch {
                outcome = .failure(run.stop != nil ? .cancelled : .failed("\(error)"))
            }
            await run.flushLog()
            gate.leave(name, run: run.id)
            let stop = run.stop
            if case .failure(.cancelled) = outcome, stop == .released {
                released = index
                break
            }
            await publish(run.update { r in
                r.stages[index].finished = Date()
                switch outcome {
                case let .success(output):
                    r.stages[index].status = .succeeded
                    r.stages[index].output = output
                    r.status = .running
                case let .failure(.failed(message)):
                    r.stages[index].status = .failed
                    r.stages[index].note = message
                case let .failure(.undecided(message)):
                    r.stages[index].status = .interrupted
                    r.stages[index].note = message
                case .failure(.cancelled):
                    r.stages[index].status = .cancelled
                    if case let .cancelled(by) = stop { r.stages[index].note = "cancelled by \(by)" }
                }
            })
            if case let .failure(stopped) = outcome {
                switch stopped {
                case let .failed(message):
                    run.log(name, "\(name) failed: \(message)")
                    final = .failed
                case let .undecided(message):
                    run.log(name, "\(name) interrupted: \(message)")
                    final = .interrupted
                case .cancelled:
                    final = .cancelled
                }
                break
            }
        }
        if let index = released {
            await release(run, at: index)
            return
        }
        run.log("run", "run \(run.id): \(final.rawValue)")
        await run.closeLog()
        // Its pipeline's older runs past the retention rule go (this one is still in flight);
        // in a task of its own, so a cancelled run still prunes.
        let pipeline = run.record.pipeline
        await Task { await self.prune(pipeline: pipeline) }.value
        await finish(run, final)
        active.withLock { _ = $0.removeValue(forKey: run.id) }
        removeTree(workspace(run.id))
        run.markEnded()
    }

    /// Leaves a run to the next service when this process shuts down: a stage that waits
    /// (an approval, a place behind another run) stays as it is; a source or build stage
    /// stopped half-way goes back to pending, to run again; a deploy stays running, to be
    /// resumed from its targets' journals. The checkout stays for the next service.
    private func release(_ run: ActiveRun, at index: Int) async {
        let stage = run.plan.stages[index]
        let record = run.update { r in
            if r.stages[index].status == .running, stage.step.kind == .source || stage.step.kind == .build {
                r.stages[index].status = .pending
                r.stages[index].started = nil
            }
        }
        let next: String
        switch record.stages[index].status {
        case .waitingApproval: next = "it still waits for approval"
        case .running: next = "its \(stage.name) deploy resumes from the targets' journals"
        default: next = "it carries on at \(stage.name)"
        }
        run.log("run", "run \(run.id): this process stopped; the next `slipway serve` resumes the run: \(next)")
        await run.closeLog()
        await publish(record)
        let store = store
        do { try await Task { try await store.releaseRun(run.id, owner: ProcessIdentity.current) }.value } catch {
            logger.error("cannot release run \(run.id): \(error)")
        }
        active.withLock { _ = $0.removeValue(forKey: run.id) }
        run.markEnded()
    }

    /// Records a run's final status; stages that never ran are skipped.
    private func finish(_ run: ActiveRun, _ status: RunStatus) async {
        await publish(run.update { r in
            r.status = status
            r.finished = Date()
            for i in r.stages.indices where r.stages[i].status == .pending {
                r.stages[i].status = .skipped
                if status == .superseded { r.stages[i].note = "superseded by a newer run" }
            }
        })
    }
}
