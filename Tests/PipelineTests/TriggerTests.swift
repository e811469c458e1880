import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

@Suite(.tags(.large), .serialized)
struct TriggerTests {
    @Test func pollingStartsNewCommitsOnce() async throws {
        let f = try PipelineFixture()
        try await f.register { $0.source.pollInterval = 5 }
        let poller = Poller(orchestrator: f.orchestrator)
        let now = Date()
        let started = await poller.poll(now: now)
        #expect(started.count == 1)
        _ = try await f.finished(started[0])
        #expect(await poller.poll(now: now.addingTimeInterval(1)).isEmpty)  // not due yet
        #expect(await poller.poll(now: now.addingTimeInterval(6)).isEmpty)  // due, same commit
        try f.write("content", "two")
        let second = try f.commit("second")
        let next = await poller.poll(now: now.addingTimeInterval(12))
        #expect(next.count == 1)
        let run = try await f.finished(next[0])
        #expect(run.commit?.id == second && run.trigger.kind == .poll && run.status == .succeeded)
    }

    @Test func theInstalledHookRecordsPushesThePollerStarts() async throws {
        let f = try PipelineFixture()
        try await f.register()
        // A bare repository receives the push; the pipeline watches it.
        let bare = f.root + "/origin.git"
        #expect(try Program.run("/usr/bin/git", ["clone", "-q", "--bare", f.repository, bare]).status == 0)
        try await f.register { $0.source.repository = bare }
        let hook = try HookScript.install(repository: bare, slipway: SlipwayCommand.binary, home: f.home)
        #expect(hook == bare + "/hooks/post-receive")
        try f.git("remote", "add", "origin", bare)
        try f.write("content", "pushed")
        let pushed = try f.commit("pushed")
        let push = try Program.run("/usr/bin/git", ["-C", f.repository, "push", "-q", "origin", "main"])
        #expect(push.status == 0, "\(push.stderr)")
        let started = await Poller(orchestrator: f.orchestrator).poll()
        #expect(started.count == 1)
        let run = try await f.finished(started[0])
        #expect(run.commit?.id == pushed && run.trigger.kind == .hook && run.status == .succeeded)
        #expect(f.served() == "pushed")
    }

    @Test func aNewerWaitingRunSupersedesAnOlderOne() async throws {
        // The first commit's build holds the build stage until it is cancelled, however slow
        // the machine: B waits behind it for as long as the test needs.
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: [#"if [ "$(cat content)" = one ]; then sleep 600; fi"#]))
        try await f.register()
        let a = try #require(try await f.start())
        _ = try await f.waitFor(a) { $0.stages[1].status == .running }
        try f.write("content", "b")
        let b = try #require(try await f.start(try f.commit("b")))
        _ = try await f.waitFor(b) { $0.stages[0].status == .succeeded }
        try f.write("content", "c")
        let c = try #require(try await f.start(try f.commit("c")))
        let runB = try await f.finished(b)
        #expect(runB.status == .superseded)
        #expect(runB.stages.map(\.status) == [.succeeded, .skipped, .skipped])
        try await f.orchestrator.cancel(run: a, by: "the test")
        #expect(try await f.finished(a).status == .cancelled)
        #expect(try await f.finished(c).status == .succeeded)
        #expect(f.served() == "c")
    }

    @Test func approvalPausesUntilApprovedOrRejected() async throws {
        let f = try PipelineFixture()
        try await f.register { $0.stages[0].approval = true }
        let id = try #require(try await f.start())
        let waiting = try await f.waitFor(id) { $0.status == .waitingApproval }
        #expect(waiting.stages.map(\.name) == ["source", "build", "approve-live", "live"])
        #expect(f.served() == nil)
        try await f.orchestrator.approve(run: id, by: "boss", comment: "ship it")
        let run = try await f.finished(id)
        #expect(run.status == .succeeded)
        #expect(run.stages[2].detail == "approved by boss: ship it")
        #expect(f.served() == "one")

        try f.write("content", "two")
        let next = try #require(try await f.start(try f.commit("two")))
        _ = try await f.waitFor(next) { $0.status == .waitingApproval }
        try await f.orchestrator.reject(run: next, by: "boss", comment: nil)
        let rejected = try await f.finished(next)
        #expect(rejected.status == .failed)
        #expect(rejected.stages[2].detail == "rejected by boss")
        #expect(f.served() == "one")
        #expect(try await f.orchestrator.store.auditTrail(run: next).map(\.action) == [.trigger, .reject])
        await #expect(throws: SlipwayError.self) { try await f.orchestrator.approve(run: next, by: "boss", comment: nil) }
    }

    /// Without a decision before the stage's approval timeout, the approval expires, the run
    /// fails and nothing is deployed.
    @Test func anApprovalWithoutDecisionExpires() async throws {
        let f = try PipelineFixture()
        try await f.register {
            $0.stages[0].approval = true
            $0.stages[0].approvalTimeout = 1
        }
        let id = try #require(try await f.start())
        let run = try await f.finished(id)
        #expect(run.status == .failed)
        #expect(run.stages[2].detail == "the approval expired: no decision within 1s")
        #expect(f.served() == nil)
        await #expect(throws: SlipwayError.self) { try await f.orchestrator.approve(run: id, by: "late", comment: nil) }
    }
}
