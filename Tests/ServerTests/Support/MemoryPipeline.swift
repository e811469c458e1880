import Foundation
import SlipwayAPI
import SlipwayCore

/// A `PipelineControl` held in memory, for the HTTP layer's own tests (routes, errors, the
/// event stream's framing) and for faults the real orchestrator cannot be made to show on
/// demand (a slow answer during shutdown). End-to-end tests use the real orchestrator.
actor MemoryPipeline: PipelineControl {
    struct Pushed: Equatable {
        var repository: String
        var branch: String
    }

    var summaries: [PipelineSummary]
    var records: [RunID: RunRecord] = [:]
    var chunks: [RunID: [LogChunk]] = [:]
    var pushes: [Pushed] = []
    var actions: [String] = []
    /// How long `runs` takes to answer.
    var runsDelay: Duration = .zero
    /// What `releases` throws, to show how the service answers a failure of the machine.
    var releasesError: (any Error)?
    private var followers: [RunID: [AsyncThrowingStream<LogChunk, any Error>.Continuation]] = [:]
    private var subscribers: [AsyncStream<RunEvent>.Continuation] = []

    init(pipelines: [String] = ["web"], repository: String = "/srv/git/web.git") {
        summaries = pipelines.map { PipelineSummary(name: $0, repository: repository, branch: "main", targets: ["/srv/\($0)"], latest: nil) }
    }

    func setRunsDelay(_ delay: Duration) { runsDelay = delay }
    func failReleases(with error: any Error) { releasesError = error }

    // MARK: Driving it from a test

    @discardableResult
    func addRun(pipeline: String = "web", status: RunStatus = .running, message: String = "Initial commit",
                trigger: Trigger = Trigger(.cli, actor: "test")) -> RunRecord {
        let id = RunID((records.keys.max()?.rawValue ?? 0) + 1)
        let commit = CommitInfo(id: String(repeating: "ab", count: 20), author: "A U Thor", time: Date(), message: message)
        let record = RunRecord(id: id, pipeline: pipeline, status: status, trigger: trigger, commit: commit, created: Date(),
                               started: Date(), stages: [StageRecord(name: "build", kind: .build, status: .running, started: Date())])
        update(record)
        return record
    }

    func update(_ record: RunRecord) {
        records[record.id] = record
        subscribers.forEach { $0.yield(.run(record)) }
        if record.status.isFinal {
            followers.removeValue(forKey: record.id)?.forEach { $0.finish() }
        }
    }

    func finish(_ id: RunID, status: RunStatus) {
        guard var record = records[id] else { return }
        record.status = status
        record.finished = Date()
        for i in record.stages.indices {
            record.stages[i].status = status == .succeeded ? .succeeded : .failed
            record.stages[i].finished = record.stages[i].started.map { $0.addingTimeInterval(2) }
        }
        update(record)
    }

    func appendLog(_ id: RunID, _ text: String, stage: String = "build") {
        let offset = chunks[id]?.last.map { $0.offset + Int64($0.text.utf8.count) } ?? 0
        let chunk = LogChunk(run: id, offset: offset, stage: stage, text: text)
        chunks[id, default: []].append(chunk)
        followers[id]?.forEach { $0.yield(chunk) }
        subscribers.forEach { $0.yield(.log(chunk)) }
    }

    // MARK: PipelineControl

    func pipelines() async throws -> [PipelineSummary] {
        summaries.map { summary in
            var summary = summary
            summary.latest = records.values.filter { $0.pipeline == summary.name }.max { $0.id < $1.id }
            return summary
        }
    }

    func runs(pipeline: String?, limit: Int, before: RunID?) async throws -> [RunRecord] {
        try await Task.sleep(for: runsDelay)
        return records.values.filter { (pipeline == nil || $0.pipeline == pipeline) && (before == nil || $0.id < before!) }
            .sorted { $0.id > $1.id }.prefix(limit).map { $0 }
    }

    func run(_ id: RunID) async throws -> RunRecord {
        guard let record = records[id] else { throw SlipwayError.notFound("no run \(id)") }
        return record
    }

    func logs(run: RunID, after offset: Int64) async throws -> [LogChunk] {
        (chunks[run] ?? []).filter { $0.end > offset }
    }

    nonisolated func followLogs(run: RunID, after offset: Int64) -> AsyncThrowingStream<LogChunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: LogChunk.self)
        Task { await self.follow(run: run, after: offset, continuation) }
        return stream
    }

    private func follow(run: RunID, after offset: Int64, _ continuation: AsyncThrowingStream<LogChunk, any Error>.Continuation) {
        (chunks[run] ?? []).filter { $0.end > offset }.forEach { continuation.yield($0) }
        if records[run]?.status.isFinal ?? true { continuation.finish() } else { followers[run, default: []].append(continuation) }
    }

    /// What `releases` lists for a pipeline's one target (`/srv/NAME`), newest first.
    var releaseLists: [String: [ReleaseSummary]] = [:]

    func setReleases(_ releases: [ReleaseSummary], pipeline: String = "web") { releaseLists[pipeline] = releases }

    func releases(pipeline: String) async throws -> [TargetReleases] {
        if let releasesError { throw releasesError }
        guard summaries.contains(where: { $0.name == pipeline }) else { throw SlipwayError.notFound("no pipeline \(pipeline)") }
        return [TargetReleases(target: "/srv/\(pipeline)", releases: releaseLists[pipeline] ?? [])]
    }

    var auditEntries: [AuditEntry] = []

    func addAudit(_ entry: AuditEntry) {
        var entry = entry
        entry.id = Int64(auditEntries.count + 1)
        auditEntries.append(entry)
    }

    var workerList: [WorkerSummary] = []

    func setWorkers(_ workers: [WorkerSummary]) { workerList = workers }

    func workers() async throws -> [WorkerSummary] { workerList }

    func audit(pipeline: String?, limit: Int, before: Int64?) async throws -> [AuditEntry] {
        Array(auditEntries.reversed().filter { (pipeline == nil || $0.pipeline == pipeline) && (before == nil || ($0.id ?? 0) < before!) }
            .prefix(limit))
    }

    func start(pipeline: String, commit: String?, trigger: Trigger, force: Bool) async throws -> RunID? {
        guard summaries.contains(where: { $0.name == pipeline }) else { throw SlipwayError.notFound("no pipeline \(pipeline)") }
        if let commit, !force, records.values.contains(where: { $0.commit?.id == commit }) { return nil }
        return addRun(pipeline: pipeline, status: .queued, trigger: trigger).id
    }

    func pushed(repository: String, branch: String, trigger: Trigger) async throws -> [RunID] {
        pushes.append(Pushed(repository: repository, branch: branch))
        return summaries.filter { $0.repository == repository && $0.branch == branch }
            .map { addRun(pipeline: $0.name, status: .queued, trigger: trigger).id }
    }

    func approve(run: RunID, by actor: String, comment: String?) async throws {
        guard try await self.run(run).status == .waitingApproval else { throw SlipwayError.failed("run \(run) is not waiting for approval") }
        actions.append("approve \(run) by \(actor)")
    }

    func reject(run: RunID, by actor: String, comment: String?) async throws { actions.append("reject \(run) by \(actor)") }
    func cancel(run: RunID, by actor: String) async throws { actions.append("cancel \(run) by \(actor)") }

    func retry(run: RunID, by actor: String) async throws -> RunID {
        let old = try await self.run(run)
        return addRun(pipeline: old.pipeline, status: .queued, trigger: Trigger(.retry, actor: actor)).id
    }

    func rollback(pipeline: String, target: String, to release: String?, by actor: String) async throws -> RollbackSummary {
        actions.append("rollback \(pipeline) \(target) by \(actor)")
        return RollbackSummary(target: target, from: "r2", to: ReleaseID(release ?? "r1"))
    }

    nonisolated func events() -> AsyncStream<RunEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: RunEvent.self)
        Task { await self.subscribe(continuation) }
        return stream
    }

    private func subscribe(_ continuation: AsyncStream<RunEvent>.Continuation) { subscribers.append(continuation) }
}
