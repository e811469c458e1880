import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// Everything else the store keeps (pipelines, approvals, audit, pushes, releases, run
/// ownership, the watcher's changes), its schema versions and a copy between stores, on both
/// backends.
@Suite(.tags(.small))
struct StateStoreSurfaceTests {
    static func run(_ pipeline: String, _ n: Int, status: RunStatus = .running) -> RunRecord {
        RunRecord(id: 0, pipeline: pipeline, status: status, trigger: Trigger(.webhook, actor: "octocat"),
                  commit: CommitInfo(id: String(format: "%040x", n), author: "Ada", time: Date(timeIntervalSince1970: 1_764_300_000),
                                     message: "change \(n)"),
                  created: Date(timeIntervalSince1970: 1_764_300_000 + Double(n)), started: nil, finished: nil,
                  stages: [StageRecord(name: "build", kind: .build, status: .pending),
                           StageRecord(name: "approve", kind: .approval, status: .pending)])
    }

    @Test(arguments: StoreBackend.allCases)
    func pipelinesAreSavedReplacedListedAndRemoved(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let definition = Data(#"{"name":"site"}"#.utf8)
        try await store.savePipeline(PipelineRow(name: "site", repository: "/srv/git/site", branch: "main", targets: ["/srv/a"], definition: definition))
        try await store.savePipeline(PipelineRow(name: "api", repository: "/srv/git/api", branch: "HEAD", targets: [], definition: Data("{}".utf8)))
        try await store.savePipeline(PipelineRow(name: "site", repository: "/srv/git/site", branch: "prod", targets: ["/srv/a", "/srv/b"],
                                                 definition: definition))
        #expect(try await store.pipelines().map(\.name) == ["api", "site"])
        #expect(try await store.pipeline("site") == PipelineRow(name: "site", repository: "/srv/git/site", branch: "prod",
                                                                 targets: ["/srv/a", "/srv/b"], definition: definition))
        let kept = try await store.insertRun(Self.run("site", 1), owner: nil).record
        try await store.recordRelease(DeployedRelease(pipeline: "site", target: "/srv/a", release: "r1",
                                                      artifact: try Digest(parsing: "sha256:" + String(repeating: "1", count: 64)),
                                                      commit: nil, run: kept.id))
        let kept1 = try #require(try await store.removePipeline("api", purge: false))
        #expect(kept1.pipeline == "api" && kept1.runs == 0 && kept1.releases == 0)
        #expect(try await store.removePipeline("api", purge: false) == nil)
        #expect(try await store.hasRuns(pipeline: "site"))
        let purged = try #require(try await store.removePipeline("site", purge: true))
        #expect(purged.pipeline == "site" && purged.runs == 1 && purged.releases == 1)
        #expect(try await store.run(kept.id) == nil)
        #expect(!(try await store.hasRuns(pipeline: "site")))
    }

    @Test(arguments: StoreBackend.allCases)
    func approvalsAuditAndPushesRoundTrip(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let id = try await store.insertRun(Self.run("site", 1, status: .waitingApproval), owner: nil).record.id
        #expect(try await store.approval(run: id, stage: "approve") == nil)
        try await store.recordApproval(run: id, stage: "approve", decision: ApprovalDecision(approved: true, actor: "boss", comment: "ship it"))
        try await store.recordApproval(run: id, stage: "approve", decision: ApprovalDecision(approved: false, actor: "late", comment: nil))
        #expect(try await store.approval(run: id, stage: "approve") == ApprovalDecision(approved: true, actor: "boss", comment: "ship it"))
        #expect(try await store.approval(run: id, stage: "approve", before: Date(timeIntervalSinceNow: -3600)) == nil)

        for (n, action) in [AuditEntry.Action.trigger, .approve, .cancel].enumerated() {
            try await store.audit(AuditEntry(time: Date(timeIntervalSince1970: 1_764_300_000 + Double(n)), actor: "ada", action: action,
                                             pipeline: n == 2 ? "other" : "site", run: n == 2 ? nil : id, detail: "n\(n)"))
        }
        #expect(try await store.auditTrail(run: id).map(\.action) == [.trigger, .approve])
        #expect(try await store.auditTrail(pipeline: "other").map(\.detail) == ["n2"])
        let newest = try await store.auditEntries(pipeline: nil, limit: 2, before: nil)
        #expect(newest.map(\.action) == [.cancel, .approve])
        #expect(try await store.auditEntries(pipeline: nil, limit: 10, before: newest.last?.id).map(\.action) == [.trigger])
        #expect(try await store.auditEntries(pipeline: "site", limit: 10, before: nil).count == 2)

        try await store.recordPush(PushNotice(repository: "/srv/git/site", branch: "main", actor: "ada"))
        try await store.recordPush(PushNotice(repository: "/srv/git/api", branch: "dev", actor: "bob"))
        #expect(try await store.takePushes().map(\.branch) == ["main", "dev"])
        #expect(try await store.takePushes().isEmpty)
    }

    @Test(arguments: StoreBackend.allCases)
    func releasesNameTheCurrentOnePerTarget(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let digest = try Digest(parsing: "sha256:" + String(repeating: "2", count: 64))
        for (n, release) in ["r1", "r2", "r1"].enumerated() {
            try await store.recordRelease(DeployedRelease(pipeline: "site", target: "/srv/a", release: ReleaseID(release), artifact: digest,
                                                          commit: "c\(n)", run: nil, time: Date(timeIntervalSince1970: 1_764_300_000 + Double(n))))
        }
        let releases = try #require(try await store.releases(pipeline: "site", targets: ["/srv/a", "/srv/b"]).first)
        #expect(releases.releases.map(\.id) == ["r2", "r1"])
        #expect(releases.releases.first { $0.current }?.id == "r1")
        #expect(try await store.deployedReleases(pipeline: "site").map(\.commit) == ["c2", "c1", "c0"])
    }

    /// Of two processes adopting the same orphan exactly one wins, on both backends.
    @Test(arguments: StoreBackend.allCases)
    func aRunIsClaimedByExactlyOneOfManyAdopters(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let id = try await made.store.insertRun(Self.run("site", 1), owner: "1:1").record.id
        try await made.store.releaseRun(id, owner: "1:1")
        let adopters = [made.store, try await made.reopen(), try await made.reopen()]
        let wins = await withTaskGroup(of: Bool.self) { group in
            for (n, adopter) in adopters.enumerated() {
                group.addTask { (try? await adopter.claimRun(id, from: nil, owner: "\(n + 2):1")) ?? false }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(wins == 1)
        #expect(try await made.store.inFlightRuns().first?.owner?.hasSuffix(":1") == true)
        #expect(!(try await made.store.claimRun(id, from: nil, owner: "9:9")))
    }

    /// The watcher sees what another opener wrote: new runs, moved stamps, log chunks, an
    /// approval, a cancel request.
    @Test(arguments: StoreBackend.allCases)
    func theWatcherSeesWhatAnotherOpenerWrote(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let (watcher, writer) = (made.store, try await made.reopen())
        var followed = try await writer.insertRun(Self.run("site", 1), owner: "1:1").record
        let point = try await watcher.watchPoint()
        #expect(point.versions.keys.contains(followed.id))
        try await writer.appendLog(run: followed.id, stage: "build", text: "compiling\n")
        followed.stages[0].status = .running
        try await writer.updateRun(followed)
        let fresh = try await writer.insertRun(Self.run("site", 2), owner: "1:1").record
        try await writer.recordApproval(run: fresh.id, stage: "approve", decision: ApprovalDecision(approved: true, actor: "boss", comment: nil))
        try await writer.requestCancel(run: followed.id)
        let (changes, next) = try await watcher.changes(since: point, owned: [followed.id])
        #expect(changes.logs.map(\.text) == ["compiling\n"])
        #expect(changes.runs.map(\.record.id) == [followed.id, fresh.id])
        #expect(changes.runs.first?.record.stages[0].status == .running)
        #expect(changes.approvals && changes.cancelRequested == [followed.id])
        let (quiet, _) = try await watcher.changes(since: next, owned: [])
        #expect(quiet.runs.isEmpty && quiet.logs.isEmpty && !quiet.approvals)
    }

    /// A database a newer Slipway migrated (a migration this one does not know) is refused,
    /// naming both versions, by writers and readers alike; nothing is changed.
    @Test(arguments: StoreBackend.allCases)
    func aSchemaNewerThanThisSlipwayIsRefused(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let version = try await made.store.schemaVersion()
        #expect(version.database == version.known && version.known >= 3)
        let table = made.store.dialect == .sqlite ? "grdb_migrations" : "schema_migrations"
        try await made.plainSQL("INSERT INTO \(table) (identifier) VALUES ('from-the-future')")
        for readOnly in [false, true] {
            let error = await #expect(throws: SlipwayError.self) { try await made.reopen(readOnly: readOnly) }
            let text = error?.description ?? ""
            #expect(text.contains("schema version \(version.known + 1)") && text.contains("this Slipway's \(version.known)")
                    && text.contains("from-the-future"), "\(text)")
        }
        #expect(try await made.plainValue("SELECT COUNT(*) FROM \(table)") == String(version.known + 1))
    }

    /// A copy takes every kind of row with its id, says how many of each, and leaves the
    /// destination usable (new ids continue after the copied ones); a destination that is not
    /// empty is refused untouched.
    @Test(arguments: [(StoreBackend.sqlite, StoreBackend.postgres), (.postgres, .sqlite), (.sqlite, .sqlite)])
    func aCopyTakesEveryRowAndCountsThem(_ from: StoreBackend, _ to: StoreBackend) async throws {
        let source = try await from.makeStore().store
        try await source.savePipeline(PipelineRow(name: "site", repository: "/srv/git/site", branch: "main", targets: ["/srv/a"],
                                                  definition: Data("{}".utf8)))
        var runs: [RunRecord] = []
        for n in 1...3 { runs.append(try await source.insertRun(Self.run("site", n), owner: nil).record) }
        _ = try await source.appendLog(run: runs[0].id, [LogPiece(stage: "build", text: "a\nb\n", limited: true),
                                                         LogPiece(stage: "build", text: String(repeating: "x", count: 50) + "\n", limited: true)],
                                       limit: 20)
        try await source.appendLog(run: runs[1].id, stage: "build", text: "héllo\n")
        try await source.recordApproval(run: runs[2].id, stage: "approve", decision: ApprovalDecision(approved: false, actor: "boss", comment: "no"))
        try await source.audit(AuditEntry(time: Date(), actor: "ada", action: .trigger, pipeline: "site", run: runs[0].id, detail: nil))
        try await source.recordRelease(DeployedRelease(pipeline: "site", target: "/srv/a", release: "r1",
                                                       artifact: try Digest(parsing: "sha256:" + String(repeating: "3", count: 64)),
                                                       commit: "abc", run: runs[0].id))
        try await source.recordPush(PushNotice(repository: "/srv/git/site", branch: "main", actor: "ada"))
        let job = try await source.enqueueJob(NewJob(kind: .build, run: runs[0].id, stage: "build", labels: ["large", "amd64"]))
        try await source.registerWorker(WorkerRecord(name: "builder-1", host: "ci-1", labels: ["amd64"], concurrency: 2, lease: 30))

        let destination = try await to.makeStore().store
        let copied = try await source.copy(into: destination, pageSize: 2)
        #expect(copied == (try await source.counts()))
        #expect(copied.map(\.kind) == ["pipelines", "runs", "stages", "log chunks", "log cuts", "releases", "approvals", "audit entries", "pushes", "jobs",
                                      "job labels", "workers"])
        #expect(copied.map(\.count) == [1, 3, 6, 3, 1, 1, 1, 1, 1, 1, 2, 1])
        #expect(try await destination.workers().workers.map(\.name) == ["builder-1"])
        #expect(try await destination.runs(pipeline: nil, limit: 10, before: nil) == (try await source.runs(pipeline: nil, limit: 10, before: nil)))
        for run in runs {
            #expect(try await destination.logs(run: run.id, after: 0) == (try await source.logs(run: run.id, after: 0)))
        }
        #expect(try await destination.approval(run: runs[2].id, stage: "approve")?.comment == "no")
        #expect(try await destination.auditTrail(run: runs[0].id).count == 1)
        #expect(try await destination.releases(pipeline: "site", targets: ["/srv/a"]).first?.releases.map(\.id) == ["r1"])
        #expect(try await destination.takePushes().count == 1)
        #expect(try await destination.job(job.id) == job)
        #expect(try await destination.enqueueJob(NewJob(kind: .deploy, run: runs[0].id, stage: "deploy")).id.rawValue == job.id.rawValue + 1)
        // The cut is copied: a later limited append is dropped.
        #expect(try await destination.appendLog(run: runs[0].id, [LogPiece(stage: "build", text: "more\n", limited: true)], limit: 20).cut)
        let next = try await destination.insertRun(Self.run("site", 4), owner: nil).record
        #expect(next.id.rawValue == runs[2].id.rawValue + 1)

        let error = await #expect(throws: SlipwayError.self) { try await source.copy(into: destination) }
        #expect(error?.kind == .badInput && error?.description.contains("not empty") == true)
        #expect(try await destination.counts().first { $0.kind == "runs" }?.count == 4)
    }
}
