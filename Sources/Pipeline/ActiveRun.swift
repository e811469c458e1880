import Build
import Foundation
import SlipwayAPI
import Specs
import Synchronization

/// A run this process is executing: its plan, its record as last written, what stops it, and
/// its log in the order it was written.
final class ActiveRun: Sendable {
    /// Why a run stops early.
    enum Stop: Sendable, Equatable {
        /// A person or another process cancelled it.
        case cancelled(by: String)
        /// This process is shutting down: the run is left in its state for the next
        /// `slipway serve` to resume.
        case released
    }

    let id: RunID
    let spec: PipelineSpec
    let plan: RunPlan
    /// The first stage to execute (a retry starts later).
    let first: Int
    /// Taken over in the middle of its deploy stage from a process that stopped: when that
    /// deploy began, so its targets' journals tell what it did (nil: not a resumed deploy).
    let resumedDeploy: Date?
    /// Stops the build's sandbox when the run is cancelled.
    let cancellation = BuildCancellation()
    /// The run's log, written to the store in order, in batches.
    let runLog: RunLog

    private struct State {
        var record: RunRecord
        var stop: Stop?
        var task: Task<Void, Never>?
        var ended = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(record: RunRecord, spec: PipelineSpec, plan: RunPlan, first: Int, log: RunLog, resumedDeploy: Date? = nil) {
        id = record.id
        self.spec = spec
        self.plan = plan
        self.first = first
        runLog = log
        self.resumedDeploy = resumedDeploy
        state = Mutex(State(record: record))
    }

    var record: RunRecord { state.withLock { $0.record } }
    var stop: Stop? { state.withLock { $0.stop } }

    func update(_ change: (inout RunRecord) -> Void) -> RunRecord {
        state.withLock { change(&$0.record); return $0.record }
    }

    /// Queues Slipway's own line about the run (never waits; kept past the log's limit).
    func log(_ stage: String, _ text: String) { runLog.note(stage, text) }

    /// Queues a line of a stage's output; may wait for the log's writer, so only from a
    /// thread that may block (a build's or deploy's event callback).
    func output(_ stage: String, _ line: String) { runLog.output(stage, line) }

    /// Returns once every line queued so far is stored.
    func flushLog() async { await runLog.flush() }

    /// No more lines: returns once the queued ones are stored.
    func closeLog() async { await runLog.close() }

    func attach(_ task: Task<Void, Never>) {
        let stopped = state.withLock { s -> Bool in
            s.task = task
            return s.stop != nil
        }
        if stopped { task.cancel() }
    }

    /// Returns when the run has ended (its final state is stored by then).
    func ended() async {
        await withCheckedContinuation { continuation in
            let done = state.withLock { s -> Bool in
                if s.ended { return true }
                s.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    func markEnded() {
        for waiter in state.withLock({ s -> [CheckedContinuation<Void, Never>] in
            s.ended = true
            defer { s.waiters = [] }
            return s.waiters
        }) { waiter.resume() }
    }

    /// Stops whatever the run is doing: the build's sandbox is killed, a wait at a stage or
    /// for approval ends. The first reason given is the one recorded.
    func stop(_ reason: Stop) {
        let task = state.withLock { s -> Task<Void, Never>? in
            if s.stop == nil { s.stop = reason }
            return s.task
        }
        cancellation.cancel()
        task?.cancel()
    }
}
