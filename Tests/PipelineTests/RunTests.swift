import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
@testable import Specs
import State
import Testing

@Suite(.tags(.large), .serialized)
struct RunTests {
    /// A release the target's retention removed is listed as pruned (so no page offers a
    /// rollback to it), and a rollback to it is refused with the reason.
    @Test func releasesPrunedFromTheTargetAreListedAsPruned() async throws {
        let f = try PipelineFixture(content: "v1")
        // Kept: the current release, the one a rollback goes to, and one more.
        try await f.register { $0.stages[0].keep = 1 }
        var runs: [RunRecord] = []
        for n in 1...4 {
            if n > 1 {
                try f.write("content", "v\(n)")
                _ = try f.commit("v\(n)")
            }
            runs.append(try await f.finished(try #require(try await f.start())))
        }
        #expect(runs.allSatisfy { $0.status == .succeeded })
        let listed = try #require(try await f.orchestrator.releases(pipeline: "site").first)
        #expect(listed.releases.map(\.id) == runs.reversed().compactMap(\.release))
        #expect(listed.releases.map(\.state) == [.published, .published, .published, .pruned], "\(listed.releases)")
        let error = await #expect(throws: SlipwayError.self) {
            try await f.orchestrator.rollback(pipeline: "site", target: f.target, to: runs[0].release?.rawValue, by: "ops")
        }
        #expect(error != nil && f.served() == "v4", "\(String(describing: error))")
    }

    @Test func commitIsBuiltDeployedAndRolledBack() async throws {
        let f = try PipelineFixture(content: "release one")
        try await f.register()
        let first = try #require(try await f.start())
        let run1 = try await f.finished(first)
        #expect(run1.status == .succeeded, "\(run1.stages)")
        #expect(run1.commit?.author == "Ada <ada@example.org>")
        #expect(run1.commit?.message == "first")
        #expect(run1.artifact?.description.hasPrefix("sha256:") == true)
        #expect(run1.stages.map(\.status) == [.succeeded, .succeeded, .succeeded])
        #expect(f.served() == "release one")

        // The same commit is not built twice.
        #expect(try await f.start() == nil)

        try f.write("content", "release two")
        let second = try f.commit("second")
        let run2 = try await f.finished(try #require(try await f.start()))
        #expect(run2.status == .succeeded)
        #expect(run2.commit?.id == second)
        #expect(run2.release != run1.release)
        #expect(f.served() == "release two")

        let releases = try await f.orchestrator.releases(pipeline: "site")
        #expect(releases.first?.releases.map(\.id) == [run2.release, run1.release].compactMap { $0 })
        #expect(releases.first?.releases.first?.current == true)

        let rollback = try await f.orchestrator.rollback(pipeline: "site", target: f.target, to: nil, by: "ops")
        #expect(rollback.to == run1.release && rollback.from == run2.release)
        #expect(f.served() == "release one")
        #expect(try await f.orchestrator.store.auditTrail(pipeline: "site").map(\.action) == [.trigger, .trigger, .rollback])
        // The switch back is recorded: the listing, read from the state database alone, names
        // release one current again; release two stays good (a manual rollback says nothing
        // bad about it), as in the target's journal.
        #expect(try await f.orchestrator.store.deployedReleases(pipeline: "site").map(\.release)
                == [run1.release, run2.release, run1.release].compactMap { $0 })
        let after = try #require(try await f.orchestrator.releases(pipeline: "site").first)
        #expect(after.releases.map(\.id) == [run2.release, run1.release].compactMap { $0 })
        #expect(after.releases.map(\.current) == [false, true])
        #expect(after.releases.map(\.state) == [.published, .published])

        let log = try await f.log(first)
        #expect(log.contains("commit \(run1.commit?.id ?? "")"))
        #expect(log.contains("switching current"))
        let listed = try await f.orchestrator.runs(pipeline: "site", limit: 10, before: nil)
        #expect(listed.map(\.id) == [run2.id, run1.id])
    }

    @Test func failedDeployIsRetriedFromItsStageWithTheSameArtifact() async throws {
        let f = try PipelineFixture()
        let marker = f.root + "/healthy"
        try await f.register { $0.stages[0].health = .init(command: "test -f \(marker)"); $0.stages[0].health?.timeout = 0.5 }
        let failed = try await f.finished(try #require(try await f.start()))
        #expect(failed.status == .failed)
        #expect(failed.stages.map(\.status) == [.succeeded, .succeeded, .failed])
        FileManager.default.createFile(atPath: marker, contents: nil)
        let retried = try await f.finished(try await f.orchestrator.retry(run: failed.id, by: "ops"))
        #expect(retried.status == .succeeded)
        #expect(retried.trigger.kind == .retry)
        #expect(retried.artifact == failed.artifact)
        #expect(retried.stages.map(\.status) == [.skipped, .skipped, .succeeded])
        // What the retry took over is the earlier stages' typed outputs, from the run's plan.
        #expect(retried.stages[0].output == failed.stages[0].output && retried.stages[0].output?.commit == failed.commit?.id)
        #expect(retried.stages[1].output == .artifact(try #require(failed.artifact)))
        #expect(retried.stages[1].note == "done in run \(failed.id)")
        #expect(retried.stages[2].output?.release == retried.release)
        #expect(f.served() == "one")
    }

    @Test func aBuildFailureFailsTheRunAndDeploysNothing() async throws {
        let f = try PipelineFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - echo broken; exit 3\n")
        try await f.register()
        let run = try await f.finished(try #require(try await f.start()))
        #expect(run.status == .failed)
        #expect(run.stages.map(\.status) == [.succeeded, .failed, .skipped])
        #expect(try await f.log(run.id).contains("broken"))
        #expect(f.served() == nil)
    }

    @Test func followLogsStreamsUntilTheRunEnds() async throws {
        let f = try PipelineFixture()
        try await f.register()
        let id = try #require(try await f.start())
        var text = "", last: Int64 = -1
        for try await chunk in f.orchestrator.followLogs(run: id, after: 0) {
            #expect(chunk.offset > last)
            last = chunk.offset
            text += chunk.text
        }
        #expect(try await f.orchestrator.run(id).status == .succeeded)
        #expect(text.contains("run \(id): succeeded"))
        #expect(text == (try await f.log(id)))
    }
}
