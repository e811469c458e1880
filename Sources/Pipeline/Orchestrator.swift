import Foundation
import Images
import Logging
import ObjectStorage
import Secrets
import SlipwayAPI
import SlipwayCore
import Specs
import State
import Synchronization

/// The release id of the run records; Deploy's `ReleaseID` is its helpers for making and
/// reading ids on a target.
typealias ReleaseID = SlipwayAPI.ReleaseID

/// Runs pipelines: source → build → [approval] → deploy stages, with their state in the
/// shared store (SQLite, or PostgreSQL with `--database`) so every process (a `slipway run`, a
/// `slipway serve`) sees the same runs, and with every change on one event stream.
///
/// The orchestrator is a service: `run()` owns the runs this process starts (each a child
/// task of it) and the one store watcher of the process, which feeds the event hub with what
/// other processes write and passes on their cancel requests and approvals. When it is
/// cancelled (a shutdown), its runs are released, not ended: each stays in its state
/// (waiting for approval, queued, its interrupted build back to pending) with no owner.
/// The pipelines' retention rules are applied when it starts, hourly, and when a run ends.
///
/// `run(adopting: true)` also takes over the runs in flight whose owner is gone, released or
/// killed, at its start and from then on (see `Orchestrator+Adoption.swift`); `slipway serve`
/// leaves that to its `Scheduler`, which does it only while its instance is the elected one. Other processes never execute another's runs and leave
/// them as they are.
///
/// Opened `readOnly` (for `slipway runs`, `logs`, `pipeline ls`), it writes nothing.
public final class Orchestrator: PipelineControl {
    public let home: SlipwayHome
    public let store: StateStore
    let logger: Logger
    let hub = EventHub()
    let active = Mutex<[RunID: ActiveRun]>([:])
    let gates = Mutex<[String: StageGate]>([:])
    /// An approval or rejection was recorded, by this process or another.
    let approvals = ChangeSignal()
    /// Run news for the pipelines' `notify:` receivers.
    let notifications = RunNotifications()
    /// Whether the store watcher has its starting point, and who waits for it.
    let watchStart = Mutex<(ready: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    /// How often the store watcher looks for what other processes wrote.
    let watchInterval: Duration = .milliseconds(100)
    /// How often an adopting service looks for runs whose owner stopped.
    let adoptInterval: Duration = .seconds(1)
    /// The first adoption of an adopting service: runs started meanwhile wait for it, so the
    /// runs taken over hold their stages first.
    let firstAdoption = Mutex<Task<Void, Never>?>(nil)
    /// Since when this process has reached the database without a break (its heartbeats), and
    /// its first heartbeat (see `Orchestrator+Owners.swift`).
    let reachableSince = Mutex<ContinuousClock.Instant?>(nil)
    let firstBeat = Mutex<Task<Void, Never>?>(nil)
    /// The bucket every built artifact is pushed to, and deploys fetch from when this
    /// machine's store lacks one (`--artifacts`, `SLIPWAY_ARTIFACTS`).
    let artifacts: ArtifactBucket?
    /// Build stages are queued as jobs for `slipway worker` processes instead of running here
    /// (`slipway serve --workers`); their artifacts come back through `artifacts`.
    let buildsOnWorkers: Bool
    private let launches: AsyncStream<ActiveRun>
    private let launcher: AsyncStream<ActiveRun>.Continuation

    public convenience init(home: SlipwayHome, readOnly: Bool = false, artifacts: ArtifactBucket? = nil,
                            logger: Logger = Logger(label: "slipway.pipeline")) throws {
        self.init(home: home, store: try StateStore(home: home, readOnly: readOnly), artifacts: artifacts, logger: logger)
    }

    /// An orchestrator on a store opened elsewhere (a PostgreSQL database: `--database`).
    public init(home: SlipwayHome, store: StateStore, artifacts: ArtifactBucket? = nil, buildsOnWorkers: Bool = false,
                logger: Logger = Logger(label: "slipway.pipeline")) {
        self.home = home
        self.artifacts = artifacts
        self.buildsOnWorkers = buildsOnWorkers
        self.logger = logger
        self.store = store
        (launches, launcher) = AsyncStream.makeStream(of: ActiveRun.self)
    }

    /// Executes the runs this process starts and watches the store, until cancelled; then
    /// releases every run still going (each stays in its state for the next service to resume)
    /// and returns once all have stopped. `adopting`: also take over the runs of processes that
    /// stopped, now and whenever one stops (`slipway serve`).
    public func run(adopting: Bool = false) async {
        if adopting && !store.isReadOnly {
            let first = Task { await self.adoptOrphans() }
            firstAdoption.withLock { $0 = first }
            await first.value
        }
        await serve(adopting: adopting && !store.isReadOnly)
    }

    /// The runs and the store watcher, until cancelled.
    func serve(adopting: Bool = false) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.watchStore() }
            group.addTask { await self.beatContinually() }
            group.addTask { await self.pruneRegularly() }
            if adopting { group.addTask { await self.adoptContinually() } }
            if adopting && buildsOnWorkers { group.addTask { await self.reapLeasesContinually() } }
            group.addTask {
                await self.notifications.deliver(secrets: SecretStore(home: self.home)) { run, text in
                    await self.append(run, stage: "notify", text)
                }
            }
            for await run in launches {
                group.addTask { await self.execute(run) }
            }
            launcher.finish()
        }
        await retireOwner()
    }

    /// Registers (or updates) a pipeline from its definition.
    public func register(_ spec: PipelineSpec) async throws {
        try await store.savePipeline(PipelineRow(name: spec.name, repository: spec.source.repository,
                                                 branch: spec.source.branch ?? "HEAD", targets: spec.targets,
                                                 definition: try JSONEncoder().encode(spec)))
    }

    /// A registered pipeline's definition.
    public func spec(_ pipeline: String) async throws -> PipelineSpec {
        guard let row = try await store.pipeline(pipeline) else {
            throw SlipwayError.notFound("no pipeline '\(pipeline)'; see 'slipway pipeline ls'")
        }
        do { return try JSONDecoder().decode(PipelineSpec.self, from: row.definition) } catch {
            throw SlipwayError.corrupt("pipeline '\(pipeline)': its stored definition does not decode (register it again)", cause: error)
        }
    }

    /// Waits until a run reaches a final status and returns it: a run of this process by
    /// awaiting its end, one of another process from the events the store watcher sees.
    public func wait(run id: RunID) async throws -> RunRecord {
        if let local = active.withLock({ $0[id] }) {
            await local.ended()
            return try await record(id)
        }
        let events = hub.subscribe()
        let current = try await record(id)
        if current.status.isFinal { return current }
        for await event in events {
            if case let .run(record) = event, record.id == id, record.status.isFinal { return record }
        }
        throw CancellationError()
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

    /// Starts executing a stored run from its first stage to execute, as a child of `run()`.
    /// While this process shuts down nothing starts: the run is released for the next service.
    func launch(_ record: RunRecord, version: Int64, spec: PipelineSpec, plan: RunPlan, from first: Int, resumedDeploy: Date? = nil) async throws {
        let log = RunLog(run: record.id, limit: spec.retention.maxLogBytes, store: store, hub: hub, logger: logger)
        let run = ActiveRun(record: record, spec: spec, plan: plan, first: first, log: log, resumedDeploy: resumedDeploy)
        active.withLock { $0[record.id] = run }
        hub.send(record, version: version)
        if case .terminated = launcher.yield(run) {
            active.withLock { _ = $0.removeValue(forKey: record.id) }
            try await store.releaseRun(record.id, owner: ProcessIdentity.current)
            throw SlipwayError.failed("run \(record.id) was not started: this process is shutting down (the next `slipway serve` runs it)")
        }
    }

    /// Writes a run's new state and tells every subscriber. A cancelled caller (a run being
    /// stopped) still gets its final state written.
    func publish(_ record: RunRecord) async {
        let store = store
        do {
            let version = try await Task { try await store.updateRun(record) }.value
            hub.send(record, version: version)
            if let spec = active.withLock({ $0[record.id]?.spec }) { notifications.published(record, spec: spec) }
        } catch {
            logger.error("cannot record run \(record.id): \(error)")
        }
    }

    /// Appends to a run's stored log and tells every subscriber.
    func append(_ run: RunID, stage: String, _ text: String) async {
        let store = store
        do {
            hub.send(try await Task { try await store.appendLog(run: run, stage: stage, text: text.hasSuffix("\n") ? text : text + "\n") }.value)
        } catch {
            logger.error("cannot append to the log of run \(run): \(error)")
        }
    }

    func audit(_ actor: String, _ action: AuditEntry.Action, pipeline: String?, run: RunID?, _ detail: String? = nil) async {
        let store = store
        do {
            try await Task { try await store.audit(AuditEntry(actor: actor, action: action, pipeline: pipeline, run: run, detail: detail)) }.value
        } catch {
            logger.error("cannot record \(action.rawValue) of run \(run.map(String.init(describing:)) ?? "-") in the audit trail: \(error)")
        }
    }

    /// Where a run keeps its checkout while it runs.
    func workspace(_ run: RunID) -> String { home.path + "/runs/\(run)" }
}
