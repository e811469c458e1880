import Foundation
import Images
import SlipwayCore
import Specs
import State
import Synchronization

/// Runs pipelines: source → build → [approval] → deploy stages, with their state in the
/// shared SQLite store so every process (a `slipway run`, a `slipway serve`) sees the same
/// runs, and with every change on one event stream.
///
/// Runs this process starts are executed here; another process cancels or approves them
/// through the store (the owner polls it). Runs whose owner died are marked `interrupted`
/// when an orchestrator opens.
public final class Orchestrator: PipelineControl {
    public let home: SlipwayHome
    public let store: StateStore
    let hub = EventHub()
    let active = Mutex<[Int64: ActiveRun]>([:])
    let gates = Mutex<[String: StageGate]>([:])
    /// How often an owner looks for approvals and cancel requests other processes recorded.
    let watchInterval: Duration = .milliseconds(150)

    public init(home: SlipwayHome) throws {
        self.home = home
        store = try StateStore(home: home)
        try markInterrupted()
    }

    /// Registers (or updates) a pipeline from its definition.
    public func register(_ spec: PipelineSpec) throws {
        try store.savePipeline(PipelineRow(name: spec.name, repository: spec.source.repository,
                                           branch: spec.source.branch ?? "HEAD", targets: spec.targets,
                                           definition: try JSONEncoder().encode(spec)))
    }

    /// A registered pipeline's definition.
    public func spec(_ pipeline: String) throws -> PipelineSpec {
        guard let row = try store.pipeline(pipeline) else {
            throw SlipwayError.notFound("no pipeline '\(pipeline)'; see 'slipway pipeline ls'")
        }
        do { return try JSONDecoder().decode(PipelineSpec.self, from: row.definition) } catch {
            throw SlipwayError.corrupt("pipeline '\(pipeline)': its stored definition does not decode (register it again)", cause: error)
        }
    }

    /// Waits until a run reaches a final status and returns it: a run of this process by
    /// awaiting its task, one of another process by polling the store.
    public func wait(run id: Int64) async throws -> RunRecord {
        if let local = active.withLock({ $0[id] }) { await local.ended() }
        while true {
            let record = try record(id)
            if record.status.isFinal { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func events() -> AsyncStream<RunEvent> { hub.subscribe() }

    func gate(_ pipeline: String) -> StageGate {
        gates.withLock { gates in
            if let gate = gates[pipeline] { return gate }
            let gate = StageGate()
            gates[pipeline] = gate
            return gate
        }
    }

    /// Writes a run's new state and tells every subscriber.
    func publish(_ record: RunRecord) {
        do { try store.updateRun(record) } catch { FileHandle.standardError.write(Data("slipway: \(error)\n".utf8)) }
        hub.send(.run(record))
    }

    /// Appends to a run's stored log and tells every subscriber.
    func log(_ run: Int64, stage: String, _ text: String) {
        guard let chunk = try? store.appendLog(run: run, stage: stage, text: text.hasSuffix("\n") ? text : text + "\n") else { return }
        hub.send(.log(chunk))
    }

    func audit(_ actor: String, _ action: String, pipeline: String?, run: Int64?, _ detail: String? = nil) {
        try? store.audit(AuditEntry(actor: actor, action: action, pipeline: pipeline, run: run, detail: detail))
    }

    /// Where a run keeps its checkout while it runs.
    func workspace(_ run: Int64) -> String { home.path + "/runs/\(run)" }
}
