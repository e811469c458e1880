import Foundation
import SlipwayAPI
import SlipwayTestSupport
import State
import Testing

/// Several `slipway serve` on one PostgreSQL database (real processes, each on a home of its own
/// and named as a machine of its own): every one answers the API, exactly one schedules, and
/// when that one is killed another takes over within seconds; a run the killed one owned is
/// taken over once its heartbeat has gone silent.
@Suite(.tags(.large, .cluster)) struct SchedulerFailoverTests {
    /// The bound on taking over scheduling after `kill -9` of the scheduler: its socket closes,
    /// the server drops its lock at once, and a standby tries the lock every second.
    static let takeoverBound: Duration = .seconds(5)

    /// Which of two services schedules, once both gauges agree that exactly one does.
    static func roles(_ a: ServeProcess, _ b: ServeProcess) async throws -> (scheduler: ServeProcess, standby: ServeProcess) {
        try await eventually("exactly one of the two services to schedule", timeout: .seconds(20), every: .milliseconds(100)) {
            () async -> (ServeProcess, ServeProcess)? in
            switch (await a.schedulerGauge(), await b.schedulerGauge()) {
            case (1, 0): (a, b)
            case (0, 1): (b, a)
            default: nil
            }
        }
    }

    @Test(.timeLimit(.minutes(4)))
    func twoServicesElectOneSchedulerThatPollsReapsAndIsReplacedWhenKilled() async throws {
        let site = try await SharedSitePipeline(on: try PostgresServer.shared(), homes: 2, pollInterval: 1)
        let a = try await site.serve(0)
        defer { a.kill9() }
        let b = try await site.serve(1)
        defer { b.kill9() }

        // Both serve the API and the dashboard.
        for serve in [a, b] {
            let pipelines = try await serve.get("/api/pipelines")
            #expect(pipelines.status == 200 && pipelines.body.contains(SharedSitePipeline.name), "\(pipelines)")
            #expect(try await serve.get("/").status == 200)
        }
        let (scheduler, standby) = try await Self.roles(a, b)
        try await waitUntil("both to say their role at startup", timeout: .seconds(10)) {
            scheduler.stderr.contains("scheduler: this instance, elected on postgres://") && standby.stderr.contains("scheduler: standing by")
        }
        #expect(standby.stderr.contains("'slipway serve \(scheduler.pid):"), "the standby names the scheduler: \(standby.stderr)")

        // The polled branch: its head starts one run, not one per service.
        let first = try site.repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let run = try await eventually("the poll to start a run", timeout: .seconds(30)) { try await site.runs(of: first).first }
        try await Task.sleep(for: .seconds(3))   // both services poll every second meanwhile
        #expect(try await site.runs(of: first).count == 1)

        // An expired job lease is reaped, by the scheduler only.
        try await Self.expireALease(site.store, run: run.id, worker: "worker-lost-1")
        try await waitUntil("the scheduler to say it reaped the lease", timeout: .seconds(10)) {
            scheduler.stderr.contains("the lease of worker 'worker-lost-1' expired")
        }
        #expect(!standby.stderr.contains("worker-lost-1"))
        _ = try await site.store.reapExpiredLeases()   // whatever is left: nothing may wait for the next scheduler

        // kill -9 of the scheduler: the standby takes over within the bound.
        let killed = ContinuousClock.now
        scheduler.kill9()
        try await waitUntil("the standby to become the scheduler", timeout: .seconds(30), every: .milliseconds(50)) {
            await standby.schedulerGauge() == 1
        }
        let took = ContinuousClock.now - killed
        print("scheduler takeover after kill -9: \(took)")
        #expect(took < Self.takeoverBound, "took \(took)")
        #expect(standby.stderr.contains("scheduler: this instance is now the scheduler"))

        // The new scheduler polls (a new commit: one run) and reaps.
        let second = try site.commit("After the failover")
        _ = try await eventually("the new scheduler to poll the new commit", timeout: .seconds(30)) { try await site.runs(of: second).first }
        try await Task.sleep(for: .seconds(2))
        #expect(try await site.runs(of: second).count == 1)
        try await Self.expireALease(site.store, run: run.id, worker: "worker-lost-2")
        try await waitUntil("the new scheduler to reap the lease", timeout: .seconds(10)) {
            standby.stderr.contains("the lease of worker 'worker-lost-2' expired")
        }
    }

    /// On SQLite (one machine, one service per home) the service is the scheduler from the start.
    @Test func aServiceOnSQLiteIsTheScheduler() async throws {
        let directory = try TemporaryDirectory("slipway-sqlite-scheduler")
        let serve = try await ServeProcess.start(home: directory.home.path)
        defer { serve.kill9() }
        try await waitUntil("the gauge to say it schedules", timeout: .seconds(20)) { await serve.schedulerGauge() == 1 }
        #expect(serve.stderr.contains("scheduler: this instance (polls, fires schedules, reaps job leases, takes over runs)"), "\(serve.stderr)")
    }

    /// A job of `run` leased to `worker` for a moment, and left to expire.
    static func expireALease(_ store: StateStore, run: RunID, worker: String) async throws {
        _ = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "build", maxAttempts: 5))
        _ = try #require(try await store.claimJob(owner: worker, lease: .milliseconds(200)))
    }

    /// A run in flight on a service that is killed is carried on by the other service once
    /// the killed one's heartbeat has been silent for 10 s (it is on another machine: its pid
    /// means nothing here), and never before.
    @Test(.timeLimit(.minutes(4)))
    func aRunOfAServiceKilledOnAnotherMachineIsTakenOverWhenItsHeartbeatStops() async throws {
        let site = try await SharedSitePipeline(on: try PostgresServer.shared(), homes: 2, buildSeconds: 20)
        let a = try await site.serve(0)
        defer { a.kill9() }
        let token = try #require(a.token)
        let b = try await site.serve(1)
        defer { b.kill9() }

        let id = try await site.startBuildingRun(on: a, token: token)
        let owner = try await site.store.inFlightRuns().first { $0.run.id.rawValue == Int64(id) }?.owner
        #expect(owner?.hasSuffix("@machine-0") == true, "\(owner ?? "-")")
        // Alive, its run is left alone, however long.
        try await Task.sleep(for: .seconds(2))
        #expect(!(try await b.get("/api/runs/\(id)/logs/text").body.contains("resumed")))

        let killed = ContinuousClock.now
        a.kill9()
        let outcome = try await b.finalStatus(ofRun: id, timeout: .seconds(90))
        #expect(outcome == RunStatus.succeeded.rawValue)
        let log = try await b.get("/api/runs/\(id)/logs/text").body
        #expect(log.components(separatedBy: "resumed after restart").count == 2, "taken over once: \(log)")
        #expect(log.contains("machine-0") && log.contains("went silent"), "\(log)")
        print("run taken over from a killed service on another machine and finished after \(ContinuousClock.now - killed)")
        #expect(FileManager.default.fileExists(atPath: site.target + "/current/index.html"))
    }
}
