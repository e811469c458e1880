
/// What the CLI and the service ask of the pipeline machinery. The service (the `Server`
/// module) knows only this protocol; one implementation (the orchestrator) serves `slipway run`, `slipway serve`, its API and its dashboard, so
/// every surface sees the same runs, logs and releases.
public protocol PipelineControl: Sendable {
    /// Registered pipelines with their latest run.
    func pipelines() async throws -> [PipelineSummary]
    /// Runs, newest first; `before` pages backwards by run id.
    func runs(pipeline: String?, limit: Int, before: RunID?) async throws -> [RunRecord]
    /// One run with its stages; `SlipwayError.notFound` when there is none.
    func run(_ id: RunID) async throws -> RunRecord
    /// A run's log from a byte offset (chunks in order, offsets increasing).
    func logs(run: RunID, after offset: Int64) async throws -> [LogChunk]
    /// The log from `offset`, live: the stream finishes when the run reaches a final status.
    func followLogs(run: RunID, after offset: Int64) -> AsyncThrowingStream<LogChunk, any Error>
    /// Releases per deploy target of a pipeline, newest first, with which one is current.
    func releases(pipeline: String) async throws -> [TargetReleases]
    /// The audit trail (of one pipeline, or all), newest first; `before` pages backwards by
    /// entry id.
    func audit(pipeline: String?, limit: Int, before: Int64?) async throws -> [AuditEntry]
    /// The `slipway worker` processes that ever took jobs (stopped ones for a day), by name.
    func workers() async throws -> [WorkerSummary]

    /// Queues a run of the pipeline's branch head (or a given commit). Returns nil when that
    /// commit already has a run (the same commit is not built twice) unless `force`.
    func start(pipeline: String, commit: String?, trigger: Trigger, force: Bool) async throws -> RunID?
    /// A push to `repository` (a path or URL as registered) on `branch`: starts runs of every
    /// pipeline watching it. Returns the run ids started.
    func pushed(repository: String, branch: String, trigger: Trigger) async throws -> [RunID]
    func approve(run: RunID, by actor: String, comment: String?) async throws
    func reject(run: RunID, by actor: String, comment: String?) async throws
    /// Cancels a waiting or running run; a running build's sandbox is killed.
    func cancel(run: RunID, by actor: String) async throws
    /// Runs a failed run again from its failed stage (same commit, same artifact if built).
    func retry(run: RunID, by actor: String) async throws -> RunID
    /// Rolls a target of a pipeline back to the previous good release, or `to` a named one.
    func rollback(pipeline: String, target: String, to release: String?, by actor: String) async throws -> RollbackSummary

    /// Every run event as it happens (status changes, stage changes, log chunks).
    func events() -> AsyncStream<RunEvent>
}
