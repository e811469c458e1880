import Foundation
import Images
import ObjectStorage
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import State
import Testing

/// A service that queues its builds (`buildsOnWorkers`) on a PostgreSQL database, with moto's
/// S3 server as the team's bucket, and real `slipway worker` processes, each on a home of its
/// own, taking the jobs.
final class WorkerFixture: Sendable {
    let pipeline: PipelineFixture
    let url: String
    let bucket: String
    let moto: MotoServer
    var store: StateStore { pipeline.orchestrator.store }

    /// `server`: a PostgreSQL server of the test's own (one it restarts); default the shared one.
    init(buildspec: String, server: PostgresServer? = nil) async throws {
        let server = try server ?? PostgresServer.shared()
        url = server.url(try server.makeDatabase())
        moto = try MotoServer.shared()
        bucket = "s3://\(MotoServer.bucket)/workers-\(UUID().uuidString.prefix(8).lowercased())"
        let artifacts = ArtifactBucket(location: try S3Location(parsing: bucket), settings: try S3Settings.fromEnvironment(moto.environment))
        pipeline = try PipelineFixture(buildspec: buildspec, artifacts: artifacts,
                                       store: try await StateStore.open(try StateLocation(parsing: url)), buildsOnWorkers: true)
    }

    /// A `slipway worker` process; killed with SIGKILL when the test is done with it.
    final class Process: Sendable {
        let name: String
        let process: Foundation.Process
        let log: String
        var pid: pid_t { process.processIdentifier }
        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        init(name: String, process: Foundation.Process, log: String) {
            (self.name, self.process, self.log) = (name, process, log)
        }

        deinit { kill(process.processIdentifier, SIGKILL) }

        func signal(_ signal: Int32) { kill(pid, signal) }

        /// Waits until the worker says `text` (in its standard error).
        func says(_ text: String, within seconds: Double = 60) async throws {
            do {
                _ = try await eventually("worker \(name) to say '\(text)'", timeout: .seconds(seconds), every: .milliseconds(50)) {
                    self.output.contains(text) ? true : nil
                }
            } catch let error as TestFailure {
                throw TestFailure("\(error); it said: \(output)")
            }
        }
    }

    /// Starts `slipway worker --name NAME` on a home of its own holding the busybox image, with
    /// a short lease so that a lost worker's job moves on within seconds.
    func startWorker(_ name: String, lease: String = "2s", _ arguments: [String] = []) throws -> Process {
        let home = SlipwayHome(path: pipeline.root + "/worker-\(name)")
        _ = try ImageStore(home: home).busyboxForTests()
        let log = pipeline.root + "/worker-\(name).log"
        let slipway = SlipwayCommand(home: home.path, environment: moto.environment)
        let process = try slipway.start(["worker", "--database", url, "--artifacts", bucket, "--name", name, "--lease", lease] + arguments,
                                        stderr: log)
        let worker = Process(name: name, process: process, log: log)
        _ = try awaitStarted(worker)
        return worker
    }

    private func awaitStarted(_ worker: Process) throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if worker.output.contains("taking jobs from") { return true }
            guard worker.process.isRunning else { throw TestFailure("worker \(worker.name) ended: \(worker.output)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw TestFailure("worker \(worker.name) did not start: \(worker.output)")
    }

    /// Registers the pipeline, starts worker `name` and a run, and waits until the run's build
    /// has started (on that worker: the only one).
    func runStarted(on name: String, lease: String = "2s") async throws -> (worker: Process, run: RunID) {
        try await pipeline.register()
        let worker = try startWorker(name, lease: lease)
        let id = try #require(try await pipeline.start())
        try await logSays(id, "build-started")
        return (worker, id)
    }

    /// A run whose build started on worker `lost`, which then gets `signal` (SIGKILL, SIGSTOP):
    /// worker `taker` starts and the run succeeds. Both workers, the run, and its log.
    func finishedByAnother(after signal: Int32, from lost: String, to taker: String) async throws
        -> (lost: Process, taker: Process, run: RunID, log: String) {
        let (first, id) = try await runStarted(on: lost)
        first.signal(signal)
        let second = try startWorker(taker)
        return (first, second, id, try await logOfSucceeded(id))
    }

    /// Waits for `run` to finish, expects it to have succeeded; its log.
    func logOfSucceeded(_ run: RunID) async throws -> String {
        let record = try await pipeline.finished(run)
        let log = try await pipeline.log(run)
        #expect(record.status == .succeeded, "\(log)")
        return log
    }

    /// The build jobs of `run`.
    func jobs(_ run: RunID) async throws -> [Job] { try await store.jobs(run: run) }

    /// Waits until the run's log holds `text`.
    func logSays(_ run: RunID, _ text: String, within seconds: Double = 60) async throws {
        _ = try await eventually("run \(run)'s log to say '\(text)'", timeout: .seconds(seconds), every: .milliseconds(50)) {
            try await self.pipeline.log(run).contains(text) ? true : nil
        }
    }
}

/// Builds that `slipway worker` processes take from the queue: spread over several workers,
/// each built once; a killed worker's job finished by another once its lease expires; a paused
/// worker fenced off when it wakes; jobs handed back at SIGTERM; labels; cancellation.
@Suite(.tags(.large, .cluster), .serialized, .enabled(if: PostgresServer.available && MotoServer.available))
struct WorkerTests {
    /// A build that says it started, takes `seconds`, then prints a line its command does not
    /// contain (so the line is counted, not the command echoed in the log).
    static func slowBuildspec(_ seconds: Int) -> String {
        PipelineFixture.siteBuildspec(first: ["echo build-started", "sleep \(seconds)", "echo build-$((40+2))-done"])
    }

    static func count(_ text: String, in log: String) -> Int { log.components(separatedBy: text).count - 1 }

    @Test(.timeLimit(.minutes(5))) func thirtyQueuedBuildsOverThreeWorkersEachRunOnce() async throws {
        let f = try await WorkerFixture(buildspec: PipelineFixture.siteBuildspec(then: [#"echo "$WHO" > site/who.txt"#]))
        let workers = try ["w1", "w2", "w3"].map { try f.startWorker($0, lease: "10s") }
        let names = (1...30).map { "p\($0)" }
        for name in names {
            var spec = PipelineSpec(name: name, source: .init(repository: f.pipeline.repository, branch: "main"))
            spec.build.environment = ["WHO": name]
            spec.stages = [PipelineSpec.DeployStage(name: "live", targets: [f.pipeline.root + "/targets/" + name])]
            try await f.pipeline.orchestrator.register(spec)
        }
        var runs: [String: RunID] = [:]
        for name in names {
            runs[name] = try #require(try await f.pipeline.orchestrator.start(pipeline: name, commit: nil, trigger: Trigger(.api, actor: "tester"), force: false))
        }
        for (name, id) in runs {
            let run = try await f.pipeline.waitFor(id, seconds: 240) { $0.status.isFinal }
            let log = try await f.pipeline.log(id)
            #expect(run.status == .succeeded, "\(name): \(log)")
            // Deployed from the bucket, where the worker put it: the service's own store never built it.
            let served = try? String(contentsOfFile: f.pipeline.root + "/targets/\(name)/current/site/who.txt", encoding: .utf8)
            #expect(served == name + "\n", "\(name)")
            #expect(Self.count("builds it (", in: log) == 1, "\(name): built once")
        }
        let jobs = try await f.store.jobs()
        #expect(jobs.count == 30)
        #expect(jobs.allSatisfy { $0.state == .done && $0.attempts == 1 }, "\(jobs)")
        let byWorker = Dictionary(grouping: jobs) { $0.leaseOwner ?? "?" }.mapValues(\.count)
        #expect(Set(byWorker.keys) == ["w1", "w2", "w3"], "every worker took some: \(byWorker)")
        withExtendedLifetime(workers) {}
    }

    @Test(.timeLimit(.minutes(3))) func aKilledWorkersJobIsFinishedByAnotherOnceItsLeaseExpires() async throws {
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(3))
        let (_, second, id, log) = try await f.finishedByAnother(after: SIGKILL, from: "first", to: "second")
        #expect(log.contains("job 1: the lease of worker 'first' expired at ") && log.contains("queued again for attempt 2 of 3"), "\(log)")
        #expect(log.contains("worker 'second' on ") && log.contains("attempt 2 of 3"), "\(log)")
        #expect(Self.count("build-42-done", in: log) == 1, "the killed attempt never finished: \(log)")
        let jobs = try await f.jobs(id)
        #expect(jobs.count == 1 && jobs[0].state == .done && jobs[0].attempts == 2 && jobs[0].leaseOwner == "second", "\(jobs)")
        #expect(try await f.store.releases(pipeline: "site", targets: [f.pipeline.target]).first?.releases.count == 1, "deployed once")
        #expect(f.pipeline.served() == "one")
        withExtendedLifetime(second) {}
    }

    /// A worker paused past its lease (as a partitioned or frozen machine is) wakes after
    /// another worker finished its job: its late log lines and result are refused.
    @Test(.timeLimit(.minutes(3))) func aPausedWorkerIsFencedOffWhenItWakes() async throws {
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(3))
        let (paused, other, id, _) = try await f.finishedByAnother(after: SIGSTOP, from: "paused", to: "other")
        paused.signal(SIGCONT)
        try await paused.says("fenced off")
        #expect(paused.output.contains("refused writing its log from worker 'paused' with lease epoch 1: the job is already done")
                || paused.output.contains("refused renewing the lease"), "\(paused.output)")
        try await Task.sleep(for: .seconds(1))
        let log = try await f.pipeline.log(id)
        #expect(Self.count("build-42-done", in: log) == 1, "only the worker holding the lease wrote its lines: \(log)")
        let jobs = try await f.jobs(id)
        #expect(jobs.count == 1 && jobs[0].state == .done && jobs[0].leaseOwner == "other", "\(jobs)")
        withExtendedLifetime(other) {}
    }

    @Test(.timeLimit(.minutes(3))) func sigtermHandsTheJobBackWithoutSpendingAnAttempt() async throws {
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(3))
        let (leaving, id) = try await f.runStarted(on: "leaving", lease: "30s")
        leaving.signal(SIGTERM)
        try await leaving.says("handed back")
        try await leaving.says("stopped", within: 30)
        leaving.process.waitUntilExit()
        #expect(leaving.process.terminationStatus == 0, "\(leaving.output)")
        let queued = try await f.jobs(id)
        #expect(queued.count == 1 && queued[0].state == .queued && queued[0].attempts == 0, "\(queued)")
        let staying = try f.startWorker("staying")
        let log = try await f.logOfSucceeded(id)
        #expect(log.contains("worker 'staying' on ") && log.contains("attempt 1 of 3"), "\(log)")
        #expect(log.contains("worker 'leaving' is stopping: it hands the job back"), "\(log)")
        let listed = try f.pipeline.slipway.run(["workers", "--json", "--database", f.url])
        let states = (try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])?
            .reduce(into: [String: String]()) { $0[$1["name"] as? String ?? "?"] = $1["state"] as? String }
        #expect(states?["leaving"] == "stopped" && states?["staying"] == "idle", "\(listed)")
        withExtendedLifetime(staying) {}
    }

    @Test(.timeLimit(.minutes(3))) func aJobGoesOnlyToAWorkerWithAllItsLabels() async throws {
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(2))
        try await f.pipeline.register { $0.build.labels = ["amd64", "large"] }
        let small = try f.startWorker("small", ["--labels", "amd64"])
        let id = try #require(try await f.pipeline.start())
        try await f.logSays(id, "with labels amd64, large")
        try await Task.sleep(for: .seconds(3))
        #expect(try await f.jobs(id).map(\.state) == [.queued], "a worker without 'large' does not take it")
        let large = try f.startWorker("large", ["--labels", "large,amd64,gpu", "--concurrency", "2"])
        try await f.logSays(id, "build-started")
        let listed = try f.pipeline.slipway.run(["workers", "--database", f.url])
        #expect(listed.stdout.contains("large") && listed.stdout.contains("amd64,gpu,large") && listed.stdout.contains("working"), "\(listed)")
        let run = try await f.pipeline.finished(id)
        #expect(run.status == .succeeded)
        #expect(try await f.jobs(id).first?.leaseOwner == "large")
        withExtendedLifetime((small, large)) {}
    }

    @Test(.timeLimit(.minutes(3))) func cancellingTheRunStopsTheWorkersBuild() async throws {
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(300))
        let (worker, id) = try await f.runStarted(on: "busy", lease: "3s")
        try await f.pipeline.orchestrator.cancel(run: id, by: "ada")
        let run = try await f.pipeline.finished(id)
        #expect(run.status == .cancelled)
        let jobs = try await f.jobs(id)
        #expect(jobs.first?.state == .failed && jobs.first?.error?.contains("cancelled by ada") == true, "\(jobs)")
        try await worker.says("fenced off", within: 30)
        #expect(worker.process.isRunning, "the worker goes on taking jobs")
    }

    /// PostgreSQL goes down for 3 s while a worker builds: the worker's heartbeat, log and
    /// result, and the service's wait, all carry on once it is back; nothing is built twice.
    @Test(.timeLimit(.minutes(3))) func aWorkerCarriesOnThroughARestartOfPostgres() async throws {
        let server = try PostgresServer.dedicated()
        let f = try await WorkerFixture(buildspec: Self.slowBuildspec(6), server: server)
        let (worker, id) = try await f.runStarted(on: "steady", lease: "30s")
        try await Task.detached { try server.restart(downFor: .seconds(3)) }.value
        let log = try await f.logOfSucceeded(id)
        #expect(Self.count("build-42-done", in: log) == 1 && Self.count("builds it (", in: log) == 1, "\(log)")
        let jobs = try await f.jobs(id)
        #expect(jobs.count == 1 && jobs[0].attempts == 1 && jobs[0].state == .done, "\(jobs)")
        #expect(f.pipeline.served() == "one")
        withExtendedLifetime(worker) {}
    }

    @Test func badWorkerSettingsAreRefused() throws {
        let moto = try MotoServer.shared()
        let scratch = try ScratchHome("slipway-worker-bad")
        let slipway = scratch.slipway(environment: moto.environment)
        let noBucket = try slipway.run(["worker"], environment: ["SLIPWAY_ARTIFACTS": ""])
        #expect(noBucket.status == 2 && noBucket.stderr.contains("needs --artifacts"), "\(noBucket)")
        let label = try slipway.run(["worker", "--artifacts", "s3://b/p", "--labels", "ok,not ok"])
        #expect(label.status == 2 && label.stderr.contains("'not ok' is not a label"), "\(label)")
        let none = try slipway.run(["worker", "--artifacts", "s3://b/p", "--concurrency", "0"])
        #expect(none.status == 2 && none.stderr.contains("--concurrency must be at least 1"), "\(none)")
        let serve = try slipway.run(["serve", "--workers", "--listen", "127.0.0.1:0"], environment: ["SLIPWAY_ARTIFACTS": ""])
        #expect(serve.status == 2 && serve.stderr.contains("--workers needs --artifacts"), "\(serve)")
    }
}
