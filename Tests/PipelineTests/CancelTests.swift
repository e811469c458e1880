import Foundation
import Pipeline
import SlipwayCore
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
        let deadline = Date().addingTimeInterval(30)
        while Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!Set(processes(running: ["sleep", "600"])).subtracting(before).isEmpty)
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PipelineFixture.slipway)
        process.arguments = ["run", f.repository, "--target", f.target]
        process.environment = ProcessInfo.processInfo.environment.merging(["SLIPWAY_HOME": f.home.path]) { _, b in b }
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var building: RunRecord?
        let deadline = Date().addingTimeInterval(60)
        while building == nil && Date() < deadline {
            building = try f.orchestrator.store.runs(pipeline: nil, limit: 1, before: nil).first.flatMap { $0.stages.count > 1 && $0.stages[1].status == .running ? $0 : nil }
            try await Task.sleep(for: .milliseconds(50))
        }
        let run = try #require(building)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let reopened = try Orchestrator(home: f.home)
        let interrupted = try await reopened.run(run.id)
        #expect(interrupted.status == .interrupted)
        #expect(interrupted.stages.map(\.status) == [.succeeded, .interrupted, .skipped])
        #expect(try await reopened.logs(run: run.id, after: 0).contains { $0.text.contains("interrupted") })

        try f.write("buildspec.yml", PipelineFixture.buildspec)
        _ = try f.commit("fixed")
        let next = try PipelineFixture.run(PipelineFixture.slipway, ["run", f.repository, "--target", f.target, "--json"],
                                           environment: ["SLIPWAY_HOME": f.home.path])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(f.served() == "one")
    }
}
