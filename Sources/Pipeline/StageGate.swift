import Foundation
import SlipwayAPI
import Synchronization

/// One run per stage at a time within a pipeline, CodePipeline's way: a run waits at a busy
/// stage, and when a newer run comes to wait at the same stage the older waiter is superseded.
final class StageGate: Sendable {
    enum Outcome: Sendable { case entered, superseded, cancelled }

    private struct Waiter {
        var run: RunID
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var holders: [String: RunID] = [:]
        var waiters: [String: Waiter] = [:]
    }

    private let state = Mutex(State())

    /// Enters `stage` for `run`, waiting while another run holds it.
    func enter(_ stage: String, run: RunID) async -> Outcome {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                let resume: [(CheckedContinuation<Outcome, Never>, Outcome)] = state.withLock { s in
                    if Task.isCancelled { return [(continuation, .cancelled)] }
                    if s.holders[stage] == nil || s.holders[stage] == run {
                        s.holders[stage] = run
                        return [(continuation, .entered)]
                    }
                    let older = s.waiters[stage]
                    s.waiters[stage] = Waiter(run: run, continuation: continuation)
                    return older.map { [($0.continuation, .superseded)] } ?? []
                }
                for (c, outcome) in resume { c.resume(returning: outcome) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { s in
                guard let w = s.waiters[stage], w.run == run else { return nil }
                s.waiters[stage] = nil
                return w
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }

    /// Seats `run` in `stage` at once if nobody holds it; its `enter` then succeeds. A run
    /// taken over in the middle of a stage (after a restart) holds it again this way before
    /// any other run can come to wait, so runs keep their order. Returns whether it did.
    @discardableResult
    func claim(_ stage: String, run: RunID) -> Bool {
        state.withLock { s in
            guard s.holders[stage] == nil || s.holders[stage] == run else { return false }
            s.holders[stage] = run
            return true
        }
    }

    /// Leaves `stage`; the run waiting for it, if any, enters.
    func leave(_ stage: String, run: RunID) {
        let next: Waiter? = state.withLock { s in
            guard s.holders[stage] == run else { return nil }
            s.holders[stage] = nil
            guard let waiter = s.waiters.removeValue(forKey: stage) else { return nil }
            s.holders[stage] = waiter.run
            return waiter
        }
        next?.continuation.resume(returning: .entered)
    }
}
