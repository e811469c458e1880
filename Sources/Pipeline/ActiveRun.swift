import Build
import Specs
import Foundation
import State
import Synchronization

/// A run this process is executing: its record as last written, and what stops it.
final class ActiveRun: Sendable {
    let id: Int64
    let spec: PipelineSpec
    /// Stops the build's sandbox when the run is cancelled.
    let cancellation = BuildCancellation()
    private let state: Mutex<(record: RunRecord, cancelledBy: String?, task: Task<Void, Never>?)>

    init(record: RunRecord, spec: PipelineSpec) {
        id = record.id
        self.spec = spec
        state = Mutex((record, nil, nil))
    }

    var record: RunRecord { state.withLock { $0.record } }
    var cancelledBy: String? { state.withLock { $0.cancelledBy } }

    func update(_ change: (inout RunRecord) -> Void) -> RunRecord {
        state.withLock { change(&$0.record); return $0.record }
    }

    func attach(_ task: Task<Void, Never>) { state.withLock { $0.task = task } }

    /// Returns when the run's task has ended (its final state is stored by then).
    func ended() async { await state.withLock { $0.task }?.value }

    /// Marks the run cancelled and stops whatever it is doing: the build's sandbox is killed,
    /// a wait at a stage or for approval ends.
    func cancel(by actor: String) {
        let task = state.withLock { s -> Task<Void, Never>? in
            if s.cancelledBy == nil { s.cancelledBy = actor }
            return s.task
        }
        cancellation.cancel()
        task?.cancel()
    }
}
