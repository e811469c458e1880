import Foundation
import Pipeline
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
        try f.register()
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
        #expect(try f.orchestrator.store.auditTrail(run: id).map(\.action) == ["trigger", "cancel"])
    }

    @Test func killedRunnerLeavesAnInterruptedRunAndTheNextRunWorks() async throws {
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

        let reopened = try Orchestrator(home: f.home)
        let interrupted = try await reopened.run(run.id)
        #expect(interrupted.status == .interrupted)
        #expect(interrupted.stages.map(\.status) == [.succeeded, .interrupted, .skipped])
        #expect(try await reopened.logs(run: run.id, after: 0).contains { $0.text.contains("interrupted") })

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
        let cancel = try f.slipway.run(["cancel", String(run.id)])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        runner.waitUntilExit()
        #expect(runner.terminationStatus == 1)
        #expect(try await f.orchestrator.run(run.id).status == .cancelled)
        #expect(Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty)
        let again = try f.slipway.run(["cancel", String(run.id)])
        #expect(again.status == 2 && again.stderr.contains("already ended"))
    }

    /// `slipway run` of the fixture's repository in the background.
    static func startRun(_ f: PipelineFixture) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: SlipwayCommand.binary)
        process.arguments = ["run", f.repository, "--target", f.target]
        process.environment = ProcessInfo.processInfo.environment.merging(["SLIPWAY_HOME": f.home.path]) { _, b in b }
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The newest run once its build is running (and its command has started).
    static func waitForBuild(_ f: PipelineFixture) async throws -> RunRecord {
        try await eventually("the build to start", timeout: .seconds(60), every: .milliseconds(50)) {
            guard let run = try f.orchestrator.store.runs(pipeline: nil, limit: 1, before: nil).first,
                  run.stages.count > 1, run.stages[1].status == .running,
                  try f.orchestrator.store.logs(run: run.id, after: 0).contains(where: { $0.text.contains("Running command sleep 600") })
            else { return nil }
            return run
        }
    }
}
