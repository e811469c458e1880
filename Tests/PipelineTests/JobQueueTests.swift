import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// The job queue in the state store: claims that never hand one job to two workers, leases
/// that expire and fence their late holders, attempts that run out, and labels that route.
@Suite(.tags(.small))
struct JobQueueTests {
    static let t0 = Date(timeIntervalSince1970: 1_764_300_000)

    static func run(in store: StateStore) async throws -> RunID {
        try await store.insertRun(StateStoreSurfaceTests.run("site", 1), owner: nil).record.id
    }

    static func leaseLost(_ error: SlipwayError?) -> LeaseLost? {
        error?.chain.lazy.compactMap { $0 as? LeaseLost }.first
    }

    /// 30 jobs, 3 claimers each with its own connections taking jobs at once: every job is
    /// leased exactly once, on its first attempt, and ends done with its claimer's result.
    @Test(.tags(.medium), arguments: StoreBackend.allCases)
    func thirtyJobsOverThreeClaimersEachRunExactlyOnce(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let run = try await Self.run(in: made.store)
        var enqueued: [JobID] = []
        for n in 1...30 { enqueued.append(try await made.store.enqueueJob(NewJob(kind: .build, run: run, stage: "build-\(n)")).id) }
        let claimers = [try await made.reopen(), try await made.reopen(), try await made.reopen()]
        let taken = try await withThrowingTaskGroup(of: [(JobID, String)].self) { group in
            for (n, claimer) in claimers.enumerated() {
                group.addTask {
                    let name = "worker-\(n)"
                    var mine: [(JobID, String)] = []
                    while let job = try await claimer.claimJob(owner: name, lease: .seconds(60)) {
                        mine.append((job.id, name))
                        try await Task.sleep(for: .milliseconds(2))
                        let lease = try #require(job.lease)
                        _ = try await claimer.completeJob(lease, result: "built by \(name)")
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let claims = Dictionary(grouping: taken, by: \.0).mapValues { $0.map(\.1) }
        #expect(claims.keys.sorted() == enqueued)
        #expect(claims.values.allSatisfy { $0.count == 1 }, "\(claims.filter { $0.value.count != 1 })")
        let jobs = try await made.store.jobs(run: run)
        #expect(jobs.count == 30 && jobs.allSatisfy { $0.state == .done && $0.attempts == 1 && $0.leaseEpoch == 1 })
        for job in jobs { #expect(job.result == "built by \(claims[job.id]?.first ?? "?")") }
        #expect(try await made.store.claimJob(owner: "late", lease: .seconds(60)) == nil)
    }

    /// A lease that is renewed lives on; one that expires is taken back for another attempt,
    /// and its old holder is fenced: its heartbeat, result and failure are all refused, saying
    /// what became of the job, while the new holder's result is recorded.
    @Test(arguments: StoreBackend.allCases)
    func anExpiredLeaseIsRequeuedAndItsOldHolderIsFenced(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let run = try await Self.run(in: store)
        let queued = try await store.enqueueJob(NewJob(kind: .deploy, run: run, stage: "deploy"), now: Self.t0)
        #expect(queued.state == .queued && queued.attempts == 0 && queued.leaseEpoch == 0 && queued.lease == nil)

        let first = try #require(try await store.claimJob(owner: "w1", lease: .seconds(30), now: Self.t0))
        var lease = try #require(first.lease)
        #expect(first.id == queued.id && first.state == .leased && first.attempts == 1 && lease.epoch == 1 && lease.owner == "w1")
        #expect(lease.expiry == Self.t0.addingTimeInterval(30))
        #expect(try await store.claimJob(owner: "w2", lease: .seconds(30), now: Self.t0) == nil)

        // A heartbeat at +20 s carries the lease to +50 s: nothing to reap at +40 s.
        lease = try await store.renewLease(lease, lease: .seconds(30), now: Self.t0.addingTimeInterval(20))
        #expect(lease.expiry == Self.t0.addingTimeInterval(50))
        #expect(try await store.reapExpiredLeases(now: Self.t0.addingTimeInterval(40)).isEmpty)
        #expect(try await store.job(queued.id)?.state == .leased)

        // No heartbeat after that: at +51 s the job is queued again, attempt 1 of 3 spent.
        let reaped = try await store.reapExpiredLeases(now: Self.t0.addingTimeInterval(51))
        #expect(reaped.map { "\($0.job) \($0.owner) \($0.epoch) \($0.state) \($0.attempts)" } == ["\(queued.id) w1 1 queued 1"])
        let requeued = try #require(try await store.job(queued.id))
        #expect(requeued.state == .queued && requeued.leaseOwner == nil && requeued.leaseExpiry == nil && requeued.attempts == 1)

        let lateBeat = await #expect(throws: SlipwayError.self) {
            try await store.renewLease(lease, lease: .seconds(30), now: Self.t0.addingTimeInterval(52))
        }
        #expect(lateBeat?.description.contains("queued again (after attempt 1 of 3)") == true, "\(lateBeat?.description ?? "")")
        #expect(Self.leaseLost(lateBeat)?.lease == lease)

        let second = try #require(try await store.claimJob(owner: "w2", lease: .seconds(30), now: Self.t0.addingTimeInterval(53)))
        #expect(second.attempts == 2 && second.leaseEpoch == 2 && second.leaseOwner == "w2")

        // w1 comes back from its partition with a result: refused, the job untouched.
        let late = await #expect(throws: SlipwayError.self) { try await store.completeJob(lease, result: "w1's artifact") }
        let text = late?.description ?? ""
        #expect(text.contains("job \(queued.id.rawValue) refused recording its result from worker 'w1' with lease epoch 1")
                && text.contains("leased again, to 'w2' (epoch 2)"), "\(text)")
        #expect(Self.leaseLost(late)?.now?.leaseOwner == "w2")
        #expect(try await store.job(queued.id)?.state == .leased)

        let done = try await store.completeJob(try #require(second.lease), result: "w2's artifact", now: Self.t0.addingTimeInterval(60))
        #expect(done.state == .done && done.result == "w2's artifact" && done.error == nil && done.finished == Self.t0.addingTimeInterval(60))
        let lateFailure = await #expect(throws: SlipwayError.self) { try await store.failJob(lease, error: "w1 gave up") }
        #expect(lateFailure?.description.contains("already done") == true)
        let twice = await #expect(throws: SlipwayError.self) { try await store.completeJob(try #require(second.lease), result: "again") }
        #expect(twice?.description.contains("already done") == true)
        #expect(try await store.job(queued.id)?.result == "w2's artifact")
    }

    /// Each lost lease spends an attempt; when the last one's lease expires the job fails,
    /// saying whose lease expired, when, and on which attempt, and no worker gets it again. A
    /// worker's own failure ends the job at once.
    @Test(arguments: StoreBackend.allCases)
    func afterItsLastAttemptAJobFailsWithTheReason(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let run = try await Self.run(in: store)
        let job = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "build", maxAttempts: 2), now: Self.t0)
        _ = try #require(try await store.claimJob(owner: "w1", lease: .seconds(10), now: Self.t0))
        #expect(try await store.reapExpiredLeases(now: Self.t0.addingTimeInterval(11)).map(\.state) == [.queued])
        _ = try #require(try await store.claimJob(owner: "w2", lease: .seconds(10), now: Self.t0.addingTimeInterval(12)))
        let reaped = try await store.reapExpiredLeases(now: Self.t0.addingTimeInterval(30))
        #expect(reaped.map { "\($0.job) \($0.owner) \($0.epoch) \($0.state) \($0.attempts)" } == ["\(job.id) w2 2 failed 2"])
        let failed = try #require(try await store.job(job.id))
        #expect(failed.state == .failed && failed.attempts == 2 && failed.finished == Self.t0.addingTimeInterval(30))
        let reason = failed.error ?? ""
        #expect(reason.contains("the lease of worker 'w2' expired at 2025-11-28T03:20:22Z on attempt 2 of 2")
                && reason.contains("no attempts left"), "\(reason)")
        #expect(try await store.claimJob(owner: "w3", lease: .seconds(10), now: Self.t0.addingTimeInterval(31)) == nil)
        #expect(try await store.reapExpiredLeases(now: Self.t0.addingTimeInterval(100)).isEmpty)

        let other = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "test"))
        let claimed = try #require(try await store.claimJob(owner: "w1", lease: .seconds(10)))
        #expect(claimed.id == other.id)
        let given = try await store.failJob(try #require(claimed.lease), error: "make: *** [all] Error 2")
        #expect(given.state == .failed && given.error == "make: *** [all] Error 2" && given.attempts == 1)
        #expect(try await store.jobs(state: .failed).map(\.id) == [job.id, other.id])
    }

    /// Reapers running at once on several connections each take back a different expired
    /// lease: every job is re-queued once, with its attempt counted once.
    @Test(.tags(.medium), arguments: StoreBackend.allCases)
    func concurrentReapersTakeBackEachExpiredLeaseOnce(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let run = try await Self.run(in: made.store)
        for n in 1...12 { _ = try await made.store.enqueueJob(NewJob(kind: .build, run: run, stage: "build-\(n)")) }
        while try await made.store.claimJob(owner: "gone", lease: .seconds(10), now: Self.t0) != nil {}
        let reapers = [try await made.reopen(), try await made.reopen(), try await made.reopen()]
        let reaped = try await withThrowingTaskGroup(of: [JobID].self) { group in
            for reaper in reapers {
                group.addTask {
                    var mine: [JobID] = []
                    for _ in 1...4 { mine += try await reaper.reapExpiredLeases(now: Self.t0.addingTimeInterval(11)).map(\.job) }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(reaped.sorted() == (try await made.store.jobs(run: run)).map(\.id))
        #expect(try await made.store.jobs(run: run).allSatisfy { $0.state == .queued && $0.attempts == 1 && $0.leaseEpoch == 1 })
    }

    /// A worker shutting down hands its job back: queued again at once, the attempt not
    /// counted, the next claim gets it with a new epoch, and the old lease stays fenced.
    @Test(arguments: StoreBackend.allCases)
    func aJobHandedBackIsQueuedWithoutSpendingAnAttempt(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let run = try await Self.run(in: store)
        let job = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "build", maxAttempts: 1))
        let lease = try #require(try await store.claimJob(owner: "w1", lease: .seconds(60))?.lease)
        let back = try await store.handBackJob(lease)
        #expect(back.id == job.id && back.state == .queued && back.attempts == 0 && back.leaseOwner == nil && back.leaseEpoch == 1)
        let again = try #require(try await store.claimJob(owner: "w2", lease: .seconds(60)))
        #expect(again.id == job.id && again.attempts == 1 && again.leaseEpoch == 2)
        let twice = await #expect(throws: SlipwayError.self) { try await store.handBackJob(lease) }
        #expect(twice?.description.contains("refused handing it back from worker 'w1'") == true
                && Self.leaseLost(twice)?.now?.leaseOwner == "w2", "\(twice?.description ?? "")")
        #expect(try await store.completeJob(try #require(again.lease), result: "ok").state == .done)
    }

    /// Without an explicit time, leases are measured by the database's clock: a 60 s lease
    /// taken now expires about 60 s from now, is not reaped before, and is after.
    @Test(arguments: StoreBackend.allCases)
    func leasesAreMeasuredByTheDatabasesClock(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let run = try await Self.run(in: store)
        // Each time is checked against this machine's clock read just before and after the call
        // (the database runs here), with a second's slack: a loaded machine makes calls slow.
        func during<T>(_ call: () async throws -> T) async rethrows -> (T, ClosedRange<Date>) {
            let before = Date()
            let value = try await call()
            return (value, before.addingTimeInterval(-1)...Date().addingTimeInterval(1))
        }
        let (job, enqueued) = try await during { try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "build")) }
        #expect(enqueued.contains(job.created))
        let (claimed, claiming) = try await during { try await store.claimJob(owner: "w1", lease: .seconds(60)) }
        let lease = try #require(claimed?.lease)
        #expect(claiming.contains(lease.expiry.addingTimeInterval(-60)), "\(lease.expiry) vs \(claiming)")
        let (renewed, renewing) = try await during { try await store.renewLease(lease, lease: .seconds(120)) }
        #expect(renewing.contains(renewed.expiry.addingTimeInterval(-120)) && renewed.epoch == lease.epoch)
        #expect(try await store.reapExpiredLeases().isEmpty)
        #expect(try await store.reapExpiredLeases(now: renewed.expiry.addingTimeInterval(1)).count == 1)
        #expect(try await store.jobs(run: run).first?.state == .queued)
    }

    /// A job goes only to a worker that has all its labels (more are fine); a worker without
    /// labels takes only unlabelled jobs; among fitting jobs the oldest goes first. Labels
    /// that are not words are refused.
    @Test(arguments: StoreBackend.allCases)
    func labelsRouteJobsToWorkersThatHaveThem(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let run = try await Self.run(in: store)
        func enqueue(_ stage: String, _ labels: [String]) async throws -> Job {
            try await store.enqueueJob(NewJob(kind: .build, run: run, stage: stage, labels: labels))
        }
        let big = try await enqueue("big", ["large", "amd64", "large"])
        let arm = try await enqueue("arm", ["arm64"])
        let plain = try await enqueue("plain", [])
        let amd = try await enqueue("amd", ["amd64"])
        #expect(big.labels == ["amd64", "large"])

        func claim(_ owner: String, _ labels: [String]) async throws -> JobID? {
            try await store.claimJob(owner: owner, labels: labels, lease: .seconds(60))?.id
        }
        #expect(try await claim("bare", []) == plain.id)
        #expect(try await claim("bare", []) == nil)
        #expect(try await claim("small-amd", ["amd64"]) == amd.id)
        #expect(try await claim("small-amd", ["amd64"]) == nil)
        #expect(try await claim("big-amd", ["gpu", "amd64", "large"]) == big.id)
        #expect(try await claim("big-amd", ["gpu", "amd64", "large"]) == nil)
        #expect(try await claim("arm", ["arm64"]) == arm.id)
        #expect(try await store.jobs(state: .leased).map { $0.leaseOwner ?? "" } == ["big-amd", "arm", "bare", "small-amd"])

        let badJob = await #expect(throws: SlipwayError.self) { try await enqueue("x", ["amd 64"]) }
        #expect(badJob?.kind == .badInput && badJob?.description.contains("the job's labels: 'amd 64' is not a label") == true)
        let badWorker = await #expect(throws: SlipwayError.self) { try await claim("w", ["", "amd64"]) }
        #expect(badWorker?.kind == .badInput && badWorker?.description.contains("the worker's labels: '' is not a label") == true)
        let noAttempts = await #expect(throws: SlipwayError.self) {
            try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "x", maxAttempts: 0))
        }
        #expect(noAttempts?.kind == .badInput)
        let noRun = await #expect(throws: SlipwayError.self) { try await store.enqueueJob(NewJob(kind: .deploy, run: RunID(rawValue: 999), stage: "x")) }
        #expect(noRun?.kind == .notFound && noRun?.description.contains("deploy job for run 999: there is no such run") == true,
                "\(noRun?.description ?? "")")
        let noLease = await #expect(throws: SlipwayError.self) { try await store.claimJob(owner: "w", lease: .zero) }
        #expect(noLease?.kind == .badInput && noLease?.description.contains("longer than 0 s") == true)
        let noName = await #expect(throws: SlipwayError.self) { try await store.claimJob(owner: "", lease: .seconds(1)) }
        #expect(noName?.kind == .badInput)
        #expect(try await store.jobs(run: run).count == 4)
    }

    /// On PostgreSQL a listening worker is woken by an enqueue from another process at once,
    /// not at its fallback poll; an announcement made before the wait counts; a hand-back and a
    /// re-queue wake it too; a dropped listening connection comes back and wakes it (a
    /// notification may have been lost). Without announcements the wait is the poll's timeout.
    @Test(arguments: StoreBackend.allCases)
    func workersAreWokenWhenJobsAreQueued(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let run = try await Self.run(in: made.store)
        let wakeups = try await made.store.jobWakeups()
        defer { Task { await wakeups.close() } }
        let clock = ContinuousClock()
        var start = clock.now
        #expect(await wakeups.next(within: .milliseconds(300)) == false)
        #expect(clock.now - start >= .milliseconds(300))
        guard backend == .postgres else { return }

        let other = try await made.reopen()
        Task { try await Task.sleep(for: .milliseconds(200)); _ = try await other.enqueueJob(NewJob(kind: .build, run: run, stage: "build")) }
        start = clock.now
        #expect(await wakeups.next(within: .seconds(30)) == true)
        #expect(clock.now - start < .seconds(10), "woken only after \(clock.now - start)")
        let lease = try #require(try await made.store.claimJob(owner: "w1", lease: .seconds(30), now: Self.t0)?.lease)

        _ = try await other.handBackJob(lease)
        #expect(await wakeups.next(within: .seconds(30)) == true)
        _ = try #require(try await made.store.claimJob(owner: "w1", lease: .seconds(30), now: Self.t0))
        #expect(try await other.reapExpiredLeases(now: Self.t0.addingTimeInterval(31)).count == 1)
        #expect(await wakeups.next(within: .seconds(30)) == true)
        #expect(await wakeups.next(within: .milliseconds(100)) == false)

        try await made.plainSQL("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
        #expect(await wakeups.next(within: .seconds(30)) == true)
        _ = try await other.enqueueJob(NewJob(kind: .deploy, run: run, stage: "deploy"))
        #expect(await wakeups.next(within: .seconds(30)) == true)

        await wakeups.close()
        start = clock.now
        #expect(await wakeups.next(within: .milliseconds(200)) == false)
    }

    /// A worker's name is its own while it beats: a second worker with it is refused, naming
    /// the first's host; once that one stopped (or went silent past its lease) the name is free.
    @Test(arguments: StoreBackend.allCases)
    func aRunningWorkersNameIsRefusedToAnother(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        // A lease no loaded test machine outlasts: the worker stays alive through the test.
        let worker = WorkerRecord(name: "builder", host: "ci-1", labels: ["large"], concurrency: 2, lease: 3600)
        try await store.registerWorker(worker)
        var twin = worker
        twin.host = "ci-2"
        let error = await #expect(throws: SlipwayError.self) { try await store.registerWorker(twin) }
        #expect(error?.kind == .badInput && error?.message.contains("a worker named 'builder' is already running on ci-1") == true, "\(String(describing: error))")
        let run = try await Self.run(in: store)
        let job = try await store.enqueueJob(NewJob(kind: .build, run: run, stage: "build", labels: ["large"]))
        _ = try #require(try await store.claimJob(owner: "builder", labels: ["large"], lease: .seconds(30)))
        let (listed, now) = try await store.workers()
        #expect(listed.map(\.name) == ["builder"] && listed[0].jobs.map(\.id) == [job.id] && listed[0].state(now: now) == "working")
        try await store.workerStopped("builder")
        #expect(try await store.workers().workers[0].state(now: now) == "stopped")
        try await store.registerWorker(twin)
        #expect(try await store.workers().workers.map(\.host) == ["ci-2"])
        var silent = WorkerRecord(name: "quiet", host: "ci-3", labels: [], concurrency: 1, lease: 30)
        silent.heartbeat = now.addingTimeInterval(-60)
        #expect(silent.state(now: now) == "lost")
    }
}
