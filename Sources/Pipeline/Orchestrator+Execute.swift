import Foundation
import SlipwayAPI
import SlipwayCore
import State

/// Why a stage stopped short.
enum StageStop: Error {
    case failed(String)
    case cancelled
}

extension Orchestrator {
    /// Executes a run as a child task of the service: cancelling that task (a shutdown) stops
    /// the run, which then ends `interrupted`.
    func execute(_ run: ActiveRun) async {
        let stages = Task { await self.runStages(run) }
        run.attach(stages)
        await withTaskCancellationHandler { await stages.value } onCancel: { run.stop(.interrupted) }
    }

    /// The run's state machine: each pending stage from the run's first on, one run per stage
    /// at a time; the first failure, cancellation or supersession ends the run. Its log is
    /// written in order, a stage's lines before the stage's status and all of them before the
    /// run's final status.
    private func runStages(_ run: ActiveRun) async {
        let gate = gate(run.record.pipeline)
        var final = RunStatus.succeeded
        for index in run.plan.stages.indices where index >= run.first && run.record.stages[index].status == .pending {
            let name = run.plan.stages[index].name
            if run.stop != nil { final = .cancelled; break }
            switch await gate.enter(name, run: run.id) {
            case .entered: break
            case .superseded: final = .superseded
            case .cancelled: final = .cancelled
            }
            if final != .succeeded { break }
            let waits = run.plan.stages[index].step.kind == .approval
            await publish(run.update { r in
                r.status = waits ? .waitingApproval : .running
                if r.started == nil { r.started = Date() }
                r.stages[index].status = waits ? .waitingApproval : .running
                r.stages[index].started = Date()
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
                case .failure(.cancelled):
                    if case let .cancelled(by) = stop {
                        r.stages[index].status = .cancelled
                        r.stages[index].note = "cancelled by \(by)"
                    } else {
                        r.stages[index].status = .interrupted
                        r.stages[index].note = "the service stopped"
                    }
                }
            })
            if case let .failure(stopped) = outcome {
                if case let .failed(message) = stopped { run.log(name, "\(name) failed: \(message)") }
                final = .failed
                if case .cancelled = stopped { final = .cancelled }
                break
            }
        }
        if final == .cancelled, run.stop == .interrupted { final = .interrupted }
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
