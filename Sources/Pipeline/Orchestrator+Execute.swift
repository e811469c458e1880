import Foundation
import SlipwayCore
import State

/// Why a stage stopped short.
enum StageStop: Error {
    case failed(String)
    case cancelled
}

extension Orchestrator {
    /// The run's state machine: each pending stage from `first` on, one run per stage at a
    /// time; the first failure, cancellation or supersession ends the run.
    func execute(_ run: ActiveRun, from first: Int) async {
        let watcher = Task { await watchRequests(run) }
        defer {
            watcher.cancel()
            active.withLock { _ = $0.removeValue(forKey: run.id) }
            removeTree(workspace(run.id))
        }
        let gate = gate(run.record.pipeline)
        var final = RunStatus.succeeded
        for index in run.record.stages.indices where index >= first && run.record.stages[index].status == .pending {
            let name = run.record.stages[index].name
            if run.cancelledBy != nil { final = .cancelled; break }
            switch await gate.enter(name, run: run.id) {
            case .entered: break
            case .superseded: final = .superseded
            case .cancelled: final = .cancelled
            }
            if final != .succeeded { break }
            publish(run.update { r in
                r.status = r.stages[index].kind == .approval ? .waitingApproval : .running
                if r.started == nil { r.started = Date() }
                r.stages[index].status = r.stages[index].kind == .approval ? .waitingApproval : .running
                r.stages[index].started = Date()
            })
            let outcome: Result<String, StageStop>
            do { outcome = .success(try await perform(index, of: run)) } catch let stop as StageStop {
                outcome = .failure(run.cancelledBy != nil ? .cancelled : stop)
            } catch is CancellationError {
                outcome = .failure(.cancelled)
            } catch {
                outcome = .failure(run.cancelledBy != nil ? .cancelled : .failed("\(error)"))
            }
            gate.leave(name, run: run.id)
            let cancelledBy = run.cancelledBy ?? "?"
            publish(run.update { r in
                r.stages[index].finished = Date()
                switch outcome {
                case let .success(detail):
                    r.stages[index].status = .succeeded
                    r.stages[index].detail = detail
                    r.status = .running
                case let .failure(.failed(message)):
                    r.stages[index].status = .failed
                    r.stages[index].detail = message
                case .failure(.cancelled):
                    r.stages[index].status = .cancelled
                    r.stages[index].detail = "cancelled by \(cancelledBy)"
                }
            })
            if case let .failure(stop) = outcome {
                if case let .failed(message) = stop { log(run.id, stage: name, "\(name) failed: \(message)") }
                final = { if case .cancelled = stop { return .cancelled } else { return .failed } }()
                break
            }
        }
        finish(run, final)
    }

    /// Records a run's final status; stages that never ran are skipped.
    func finish(_ run: ActiveRun, _ status: RunStatus) {
        let record = run.update { r in
            r.status = status
            r.finished = Date()
            for i in r.stages.indices where r.stages[i].status == .pending {
                r.stages[i].status = .skipped
                if status == .superseded { r.stages[i].detail = "superseded by a newer run" }
            }
        }
        publish(record)
        log(run.id, stage: "run", "run \(run.id): \(status.rawValue)")
    }

    /// Picks up what other processes asked of this run: a cancel recorded in the store.
    func watchRequests(_ run: ActiveRun) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: watchInterval)
            if let requested = try? store.cancelRequests(among: [run.id]), !requested.isEmpty, run.cancelledBy == nil {
                run.cancel(by: "a cancel request")
                return
            }
        }
    }

    /// Runs blocking work (a build, a deploy) on a thread of its own, off the cooperative pool.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}
