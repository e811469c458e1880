import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
@testable import Specs
import Testing

/// What runs say about themselves: each thing once, and the truth about what is served.
@Suite(.tags(.large), .serialized)
struct RunTextTests {
    @Test func aFailedDeploySaysItRolledBackAndRetriesNameTheRunThatDidTheWork() async throws {
        let f = try PipelineFixture()
        let flag = f.root + "/FAIL"
        try await f.register {
            var health = PipelineSpec.Health(command: "test ! -e \(flag)")
            health.timeout = 0.5
            $0.stages[0].health = health
        }
        let first = try #require(try await f.start())
        let good = try await f.finished(first)
        #expect(good.status == .succeeded)
        let release = try #require(good.release)

        FileManager.default.createFile(atPath: flag, contents: Data())
        try f.write("content", "two")
        let second = try #require(try await f.start(try f.commit("two")))
        let failed = try await f.finished(second)
        #expect(failed.status == .failed)
        let note = try #require(failed.stages[2].note)
        #expect(note.hasPrefix("local: health check failed: `test ! -e \(flag)`: exited with status 1"), "\(note)")
        #expect(note.hasSuffix("; rolled back to release \(release)"), "\(note)")
        #expect(note.components(separatedBy: "local:").count == 2 && note.components(separatedBy: "test ! -e").count == 2, "\(note)")
        #expect(f.served() == "one")
        let log = try await f.log(second)
        #expect(log.contains("live failed: local: health check failed"), "\(log)")

        // A retry of a retry names the run that did the work, once.
        let third = try await f.finished(try await f.orchestrator.retry(run: second, by: "ada"))
        #expect(third.stages[1].note == "done in run \(second)")
        let fourth = try await f.finished(try await f.orchestrator.retry(run: third.id, by: "ada"))
        #expect(fourth.stages.prefix(2).map(\.note) == ["done in run \(second)", "done in run \(second)"])
        #expect(fourth.stages[1].detail?.components(separatedBy: "done in run").count == 2, "\(fourth.stages[1])")
    }

    @Test func aBuildFailureIsSaidOnce() async throws {
        let f = try PipelineFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 3\n")
        try await f.register()
        let run = try await f.finished(try #require(try await f.start()))
        let note = try #require(run.stages[1].note)
        #expect(!note.hasPrefix("build") && !note.contains("FAILED"), "\(note)")
        let log = try await f.log(run.id)
        #expect(!log.contains("build failed: build"), "\(log)")
        #expect(log.contains("build failed: phase BUILD failed"), "\(log)")
    }

    @Test func refusalsReadAsSentences() async throws {
        let f = try PipelineFixture()
        try await f.register()
        let id = try #require(try await f.start())
        _ = try await f.finished(id)
        for (action, expected) in [("approve", "run \(id) is not waiting for approval: it succeeded"),
                                   ("cancel", "run \(id) has already ended: it succeeded"),
                                   ("retry", "run \(id) succeeded: only a failed, cancelled or interrupted run can be retried")] {
            let out = try f.slipway.run([action, "\(id)"])
            #expect(out.status == 2 && out.stderr == "slipway: error: \(expected)\n", "\(action): \(out.stderr)")
        }
    }

    /// `slipway retry` handles SIGINT as `slipway run` does: the run it started is cancelled,
    /// recorded so, and the command says so and exits 1.
    @Test func retryCancelsItsRunOnSIGINT() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: ["sleep 60"]))
        try await f.register()
        let first = try #require(try await f.start())
        _ = try await f.waitFor(first) { $0.stages[1].status == .running }
        try await f.orchestrator.cancel(run: first, by: "ada")
        #expect(try await f.finished(first).status == .cancelled)

        let stderr = f.root + "/retry.stderr"
        let process = try f.slipway.start(["retry", "\(first)"], stderr: stderr)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let retried = try await eventually("the retry's build to run", timeout: .seconds(60)) {
            try await f.orchestrator.runs(pipeline: "site", limit: 1, before: nil).first.flatMap { run in
                run.id != first && run.stages[1].status == .running ? run.id : nil
            }
        }
        kill(process.processIdentifier, SIGINT)
        try await waitUntil("slipway retry to exit", timeout: .seconds(30)) { !process.isRunning }
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        let run = try await f.orchestrator.run(retried)
        #expect(run.status == .cancelled && run.stages[1].status == .cancelled, "\(run)")
        let printed = try String(contentsOfFile: stderr, encoding: .utf8)
        #expect(printed.contains("run \(retried) of site: cancelled") && printed.contains("  cancelled build: cancelled by"), "\(printed)")
    }
}
