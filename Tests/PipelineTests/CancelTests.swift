import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// Pids of processes whose command line is exactly `words`.
func processes(running words: [String]) -> [Int32] {
    let wanted = Data((words.joined(separator: "\0") + "\0").utf8)
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
        guard let pid = Int32(name), FileManager.default.contents(atPath: "/proc/\(name)/cmdline") == wanted else { return nil }
        return pid
    }
}

@Suite(.tags(.large), .serialized)
struct CancelTests {
    static let sleeper = "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 600\n"

    @Test func cancelKillsTheRunningBuildsSandbox() async throws {
        let f = try PipelineFixture(buildspec: Self.sleeper)
        try await f.register()
        let before = Set(processes(running: ["sleep", "600"]))
        let id = try #require(try await f.start())
        _ = try await f.waitFor(id) { $0.stages[1].status == .running }
        try await waitUntil("the build's sleep 600 to start", timeout: .seconds(30)) {
            !Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty
        }
        let asked = Date()
        try await f.orchestrator.cancel(run: id, by: "ops")
        let run = try await f.finished(id)
        #expect(Date().timeIntervalSince(asked) < 10)
        #expect(run.status == .cancelled)
        #expect(run.stages[1].status == .cancelled && run.stages[2].status == .skipped)
        #expect(Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty)
        #expect(try await f.orchestrator.store.auditTrail(run: id).map(\.action) == [.trigger, .cancel])
    }

    @Test func killedRunnerLeavesItsRunForAServiceAndCancelEndsIt() async throws {
        let f = try PipelineFixture(buildspec: Self.sleeper)
        let before = Set(processes(running: ["sleep", "600"]))
        let process = try Self.startRun(f)
        let run = try await Self.waitForBuild(f)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The sandbox dies with the process that started it.
        try await waitUntil("the sandbox's sleep 600 to die with its runner", timeout: .seconds(10)) {
            Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty
        }

        // A writing process that is not a service leaves the run as it was, for the next
        // `slipway serve` to take over.
        let reopened = try Orchestrator(home: f.home)
        let left = try await reopened.serving { try await reopened.run(run.id) }
        #expect(left.status == .running)
        #expect(left.stages.map(\.status) == [.succeeded, .running, .pending])

        // `slipway cancel` ends a run whose process is gone.
        let cancel = try f.slipway.run(["cancel", run.id.description])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let cancelled = try await f.orchestrator.run(run.id)
        #expect(cancelled.status == .cancelled)
        #expect(cancelled.stages.map(\.status) == [.succeeded, .cancelled, .skipped])
        #expect(try await reopened.logs(run: run.id, after: 0).contains { $0.text.contains("cancelled by") })

        try f.write("buildspec.yml", PipelineFixture.buildspec)
        _ = try f.commit("fixed")
        let next = try f.slipway.run(["run", f.repository, "--target", f.target, "--json"])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(f.served() == "one")
    }

    @Test func cancelFromAnotherProcessStopsTheOwnersBuild() async throws {
        let f = try PipelineFixture(buildspec: Self.sleeper)
        let before = Set(processes(running: ["sleep", "600"]))
        let runner = try Self.startRun(f)
        let run = try await Self.waitForBuild(f)
        let cancel = try f.slipway.run(["cancel", run.id.description])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 1)
        #expect(try await f.orchestrator.run(run.id).status == .cancelled)
        #expect(Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty)
        let again = try f.slipway.run(["cancel", run.id.description])
        #expect(again.status == 2 && again.stderr.contains("already ended"))
    }

    /// The orchestrator owns its runs: cancelling its service stops the build, and the service
    /// returns only once the run is released: in flight, the build back to pending, no owner,
    /// for the next `slipway serve` to take over.
    @Test(.timeLimit(.minutes(2))) func stoppingTheServiceReleasesItsRunsAndAwaitsThem() async throws {
        let f = try PipelineFixture(buildspec: Self.sleeper)
        try await f.register()
        let before = Set(processes(running: ["sleep", "600"]))
        let orchestrator = try Orchestrator(home: f.home)
        let service = Task { await orchestrator.run() }
        let id = try #require(try await orchestrator.start(pipeline: "site", commit: nil, trigger: Trigger(.cli, actor: "t"), force: false))
        let deadline = Date().addingTimeInterval(60)
        while Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty)
        let asked = ContinuousClock.now
        service.cancel()
        await service.value
        #expect(ContinuousClock.now - asked < .seconds(10))
        let run = try await orchestrator.run(id)
        #expect(run.status == .running)
        #expect(run.stages.map(\.status) == [.succeeded, .pending, .pending])
        #expect(try await orchestrator.store.inFlightRuns().first { $0.run.id == id }.map { $0.owner == nil } == true)
        // The sandbox's processes are killed as it ends; on a loaded machine the last may take a moment to go.
        try await waitUntil("the build's sleep 600 to end", timeout: .seconds(10)) {
            Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty
        }
        #expect(try await orchestrator.logs(run: id, after: 0).last?.text.contains("the next `slipway serve` resumes the run") == true)
        await #expect(throws: SlipwayError.self) {
            try await orchestrator.start(pipeline: "site", commit: nil, trigger: Trigger(.cli, actor: "t"), force: true)
        }
    }

    /// A run another process executes reaches this process's event stream through its one
    /// store watcher: every log chunk in order, then the final record.
    @Test(.timeLimit(.minutes(2))) func anotherProcesssRunReachesThisProcesssEvents() async throws {
        let f = try PipelineFixture()
        let events = f.orchestrator.events()
        // The watcher's starting point comes first: a run begun before it is the past to it.
        await f.orchestrator.watchingStore()
        let runner = try Self.startRun(f)
        var log = ""
        var final: RunRecord?
        for await event in events {
            switch event {
            case let .log(chunk) where chunk.run == 1: log += chunk.text
            case let .run(record) where record.id == 1 && record.status.isFinal: final = record
            default: break
            }
            if final != nil { break }
        }
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 0)
        #expect(final?.status == .succeeded)
        #expect(log == (try await f.log(1)))
        #expect(log.hasSuffix("run 1: succeeded\n"))
        var followed = ""
        for try await chunk in f.orchestrator.followLogs(run: 1, after: 0) { followed += chunk.text }
        #expect(followed == log)
    }

    /// `slipway run` of the fixture's repository in the background.
    static func startRun(_ f: PipelineFixture) throws -> Process {
        try f.slipway.start(["run", f.repository, "--target", f.target])
    }

    /// The newest run once its build is running (and its command has started).
    static func waitForBuild(_ f: PipelineFixture) async throws -> RunRecord {
        try await eventually("the build to start", timeout: .seconds(60), every: .milliseconds(50)) {
            guard let run = try await f.orchestrator.store.runs(pipeline: nil, limit: 1, before: nil).first,
                  run.stages.count > 1, run.stages[1].status == .running,
                  try await f.orchestrator.store.logs(run: run.id, after: 0).contains(where: { $0.text.contains("Running command sleep 600") })
            else { return nil }
            return run
        }
    }
}
