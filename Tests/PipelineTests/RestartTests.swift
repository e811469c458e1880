import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import State
import Testing

/// `slipway serve` stopped (SIGTERM) or killed (SIGKILL) while its runs wait for approval,
/// wait behind one, build or deploy, then started again: every run carries on where it was.
@Suite(.tags(.large), .serialized)
struct RestartTests {
    static let signals: [Int32] = [SIGTERM, SIGKILL]

    /// A service deploying a run whose `event` hook hangs the first time and passes when it runs
    /// again (it appends a line to the returned mark file each time, then sleeps while that holds
    /// one line): the fixture, the mark, the service and the run, once the hook has started.
    static func deployHanging(in event: String) async throws -> (PipelineFixture, mark: String, Serve, RunID) {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(shipping: ["hook.sh"]))
        try f.write("appspec.yml", "version: 0.0\nos: linux\nhooks:\n  \(event):\n    - location: hook.sh\n      timeout: 120\n")
        try f.write("hook.sh", "#!/bin/sh\necho started >> \"$MARK\"\n[ \"$(wc -l < \"$MARK\")\" -gt 1 ] || sleep 20\n")
        _ = try f.commit("a \(event) hook")
        let mark = f.root + "/started"
        try await f.register { spec in spec.stages[0].environment = ["MARK": mark] }
        let serve = try await Serve.start(f)
        do {
            let id = try await f.pushed(count: 1)
            try await waitUntil("\(event) to run", timeout: .seconds(90)) { FileManager.default.fileExists(atPath: mark) }
            return (f, mark, serve, id)
        } catch {
            serve.kill()
            throw error
        }
    }

    /// A pipeline whose deploy waits for an approval of `timeout` seconds, a service, and the
    /// service's first run once it waits.
    static func waitingForApproval(_ f: PipelineFixture, timeout: Double) async throws -> (Serve, RunRecord) {
        try await f.register { spec in
            spec.stages[0].approval = true
            spec.stages[0].approvalTimeout = timeout
        }
        let serve = try await Serve.start(f)
        do {
            let id = try await f.pushed(count: 1)
            return (serve, try await f.waitFor(id) { $0.status == .waitingApproval })
        } catch {
            serve.kill()
            throw error
        }
    }

    @Test(.timeLimit(.minutes(4)), arguments: signals)
    func runsWaitingForApprovalAndQueuedBehindSurviveARestart(signal: Int32) async throws {
        let f = try PipelineFixture()
        var (serve, waiting) = try await Self.waitingForApproval(f, timeout: 3600)
        defer { serve.kill() }
        let first = waiting.id
        try f.write("content", "two")
        _ = try f.commit("second")
        let second = try await f.pushed(count: 2)
        let queued = try await f.waitFor(second) { $0.stages[1].status == .succeeded }
        #expect(queued.status == .running && queued.stages[2].status == .pending)

        try serve.stop(signal)
        // A plain command reads the state and changes nothing: the runs wait for a service.
        #expect(try f.slipway.run(["runs"]).status == 0)
        #expect(try f.slipway.run(["logs", "\(first)"]).status == 0)
        let asked = try #require(waiting.stages[2].started)
        try await Task.sleep(for: .seconds(1.5))
        for (id, status) in [(first, RunStatus.waitingApproval), (second, .running)] {
            let run = try await f.orchestrator.run(id)
            #expect(run.status == status, "run \(id) after the stop: \(run.stages)")
        }

        serve = try await Serve.start(f)
        for id in [first, second] {
            try await waitUntil("run \(id) to be resumed", timeout: .seconds(30)) { try await f.log(id).contains("resumed after restart") }
            #expect(try await f.orchestrator.store.auditTrail(run: id).map(\.action).contains(.resumed))
        }
        let resumed = try await f.orchestrator.run(first)
        #expect(resumed.status == .waitingApproval)
        #expect(resumed.stages[2].started == asked, "the approval's timeout still counts from the request")
        #expect(try await f.orchestrator.run(second).stages[2].status == .pending, "the second run still waits behind the first")

        let approve = try f.slipway.run(["approve", "\(first)"])
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(try await f.finished(first).status == .succeeded)
        #expect(f.served() == "one")
        _ = try await f.waitFor(second) { $0.status == .waitingApproval }
        #expect(try f.slipway.run(["approve", "\(second)"]).status == 0)
        #expect(try await f.finished(second).status == .succeeded)
        #expect(f.served() == "two")
    }

    @Test(.timeLimit(.minutes(3)))
    func anApprovalThatExpiredWhileNoServiceRanFailsTheRunOnRestart() async throws {
        let f = try PipelineFixture()
        // Long enough for a loaded machine to see the run waiting before it expires: the
        // service must be gone before then, or it expires the approval itself.
        let approvalTimeout = 15.0
        var (serve, waiting) = try await Self.waitingForApproval(f, timeout: approvalTimeout)
        defer { serve.kill() }
        let id = waiting.id
        try serve.stop(SIGKILL)
        let expires = try #require(waiting.stages[2].started).addingTimeInterval(approvalTimeout)
        #expect(expires.timeIntervalSinceNow > 0, "the service was stopped before the approval expired")
        try await Task.sleep(for: .seconds(max(0, expires.timeIntervalSinceNow) + 0.5))
        let late = try f.slipway.run(["approve", "\(id)"])
        #expect(late.status == 2 && late.stderr.contains("expired"), "\(late.stderr)")

        serve = try await Serve.start(f)
        let run = try await f.finished(id)
        #expect(run.status == .failed)
        #expect(run.stages[2].status == .failed && run.stages[2].note?.contains("the approval expired") == true, "\(run.stages)")
        #expect(f.served() == nil)
    }

    @Test(.timeLimit(.minutes(4)), arguments: signals)
    func aBuildStoppedByARestartRunsAgainUnderTheSameRun(signal: Int32) async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: ["sleep 4"]))
        try await f.register()
        var serve = try await Serve.start(f)
        defer { serve.kill() }
        let id = try await f.pushed(count: 1)
        try await waitUntil("the build's sleep to start", timeout: .seconds(60)) { try await f.log(id).contains("Running command sleep 4") }
        try serve.stop(signal)
        let stopped = try await f.orchestrator.run(id)
        #expect(stopped.status == .running, "\(stopped.stages)")

        serve = try await Serve.start(f)
        let run = try await f.finished(id)
        #expect(run.status == .succeeded, "\(run.stages)")
        #expect(f.served() == "one")
        let log = try await f.log(id)
        #expect(log.contains("resumed after restart"), "\(log)")
        #expect(log.components(separatedBy: "Running command sleep 4").count == 3, "the build ran again: \(log)")
        #expect(try await f.orchestrator.runs(pipeline: "site", limit: 10, before: nil).count == 1, "no second run")
    }

    @Test(.timeLimit(.minutes(4)), arguments: signals)
    func aDeployStoppedAfterItsSwitchIsFinishedFromTheJournal(signal: Int32) async throws {
        // The first ApplicationStart hangs (the service is stopped in it); the one after the
        // restart finds its mark and passes.
        let (f, mark, first, id) = try await Self.deployHanging(in: "ApplicationStart")
        var serve = first
        defer { serve.kill() }
        let switched = try #require(f.current())
        try serve.stop(signal)
        #expect(try await f.orchestrator.run(id).status == .running)

        serve = try await Serve.start(f)
        let run = try await f.finished(id)
        let log = try await f.log(id)
        #expect(run.status == .succeeded, "\(run.stages) \(log)")
        #expect(run.release?.rawValue == switched, "the release the stopped deploy switched to is the one confirmed")
        #expect(f.current() == switched && f.served() == "one")
        #expect(try String(contentsOfFile: mark, encoding: .utf8) == "started\nstarted\n", "ApplicationStart ran again")
        #expect(log.contains("carried on from the targets' journals"), "\(log)")
    }

    /// Killed before its switch (in BeforeInstall): nothing live changed, so the deploy runs
    /// again as a new release and the half-made one is marked bad.
    @Test(.timeLimit(.minutes(3)))
    func aDeployKilledBeforeItsSwitchDeploysAgain() async throws {
        let (f, _, serve, id) = try await Self.deployHanging(in: "BeforeInstall")
        defer { serve.kill() }
        try serve.stop(SIGKILL)
        #expect(f.current() == nil)

        let again = try await Serve.start(f)
        defer { again.kill() }
        let run = try await f.finished(id)
        let log = try await f.log(id)
        #expect(run.status == .succeeded, "\(run.stages) \(log)")
        #expect(log.contains("deploying again"), "\(log)")
        #expect(f.served() == "one" && f.current() == run.release?.rawValue)
        let journal = try String(contentsOfFile: f.target + "/.slipway/journal", encoding: .utf8)
        #expect(journal.contains("its deploy stopped before the switch"), "\(journal)")
    }

    /// Killed after its switch, and ApplicationStart fails when run again: the target is
    /// switched back to the release before, and the run fails saying so.
    @Test(.timeLimit(.minutes(3)))
    func aResumedDeployThatFailsSwitchesBackToThePreviousRelease() async throws {
        let f = try PipelineFixture()
        try await f.register()
        let serve = try await Serve.start(f)
        defer { serve.kill() }
        let good = try await f.pushed(count: 1)
        #expect(try await f.finished(good).status == .succeeded)
        let previous = try #require(f.current())

        let mark = f.root + "/started"
        try f.write("buildspec.yml", PipelineFixture.siteBuildspec(shipping: ["hook.sh"]))
        try f.write("appspec.yml", "version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: hook.sh\n      timeout: 120\n")
        try f.write("hook.sh", "#!/bin/sh\necho ran >> \"$MARK\"\n[ \"$(wc -l < \"$MARK\")\" -gt 1 ] && exit 1\nsleep 20\n")
        try f.write("content", "two")
        _ = try f.commit("a start hook that hangs, then fails")
        try await f.register { spec in spec.stages[0].environment = ["MARK": mark] }
        let id = try await f.pushed(count: 2)
        try await waitUntil("ApplicationStart to run", timeout: .seconds(90)) { FileManager.default.fileExists(atPath: mark) }
        #expect(f.current() != previous)
        try serve.stop(SIGKILL)

        let again = try await Serve.start(f)
        defer { again.kill() }
        let run = try await f.finished(id)
        #expect(run.status == .failed, "\(run.stages)")
        #expect(f.current() == previous && f.served() == "one", "the target is back on the release before")
        #expect(try String(contentsOfFile: f.target + "/.slipway/journal", encoding: .utf8).contains("automatic rollback"))
    }

    /// `slipway run` stopped or killed while its run waits for approval: the same command started again
    /// takes the run over; and one killed while `slipway serve` runs leaves its run to the
    /// service, within a second or two.
    @Test(.timeLimit(.minutes(4)), arguments: signals)
    func aStoppedSlipwayRunsRunIsTakenOverByItsNextStartOrByARunningService(signal: Int32) async throws {
        let f = try PipelineFixture()
        try f.write("slipway.yml", "name: site\nsource:\n  branch: main\nstages:\n  - name: live\n    approval: yes\n    targets: [\(f.target)]\n")
        _ = try f.commit("approval before live")
        let first = try f.startRun()
        let id = try await eventually("the run to wait for approval", timeout: .seconds(60)) {
            // Unknown until the `slipway run` process has registered the pipeline.
            try? await f.orchestrator.runs(pipeline: "site", limit: 1, before: nil).first { $0.status == .waitingApproval }?.id
        }
        kill(first.processIdentifier, signal)
        first.waitUntilExit()
        if signal == SIGTERM {
            // Stopped, not cancelled: the run is released in its state.
            #expect(first.terminationStatus == 1)
            #expect(try await f.orchestrator.store.inFlightRuns().first { $0.run.id == id }.map { $0.owner == nil } == true)
        }
        #expect(try f.slipway.run(["runs"]).status == 0)
        #expect(try await f.orchestrator.run(id).status == .waitingApproval)

        let again = try f.startRun()
        defer { if again.isRunning { kill(again.processIdentifier, SIGKILL) } }
        try await waitUntil("the run to be taken over", timeout: .seconds(30)) { try await f.log(id).contains("resumed after restart") }
        #expect(try f.slipway.run(["approve", "\(id)"]).status == 0)
        again.waitUntilExit()
        #expect(again.terminationStatus == 0)
        #expect(try await f.finished(id).status == .succeeded)
        #expect(f.served() == "one")

        let serve = try await Serve.start(f)
        defer { serve.kill() }
        try f.write("content", "two")
        _ = try f.commit("second")
        let third = try f.startRun()
        let second = try await eventually("the second run to wait for approval", timeout: .seconds(60)) {
            try await f.orchestrator.runs(pipeline: "site", limit: 1, before: nil).first { $0.id != id && $0.status == .waitingApproval }?.id
        }
        kill(third.processIdentifier, SIGKILL)
        third.waitUntilExit()
        try await waitUntil("the service to take the run over", timeout: .seconds(10)) { try await f.log(second).contains("resumed after restart") }
        #expect(try f.slipway.run(["approve", "\(second)"]).status == 0)
        #expect(try await f.finished(second).status == .succeeded)
        #expect(f.served() == "two")
    }
}

extension PipelineFixture {
    /// Records a push of the repository's main branch (as its git hook does) and waits for
    /// the service to have started run number `count`.
    func pushed(count: Int) async throws -> RunID {
        let notify = try slipway.run(["hook", "notify", "--repository", repository, "--branch", "main"])
        guard notify.status == 0 else { throw TestFailure("hook notify: \(notify.stderr)") }
        return try await eventually("run \(count) to start", timeout: .seconds(30)) {
            let runs = try await orchestrator.runs(pipeline: "site", limit: 100, before: nil)
            return runs.count >= count ? runs[runs.count - count].id : nil
        }
    }

    /// `slipway run` of the repository (its slipway.yml) in the background.
    func startRun() throws -> Process {
        try slipway.start(["run", repository])
    }

    /// The release `current` names.
    func current() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: target + "/current")).map { ($0 as NSString).lastPathComponent }
    }
}

/// A `slipway serve` process on the fixture's home.
struct Serve {
    let process: Process

    static func start(_ f: PipelineFixture) async throws -> Serve {
        let log = f.root + "/serve-\(UUID().uuidString.prefix(8)).log"
        let process = try f.slipway.start(["serve", "--listen", "127.0.0.1:0"], stderr: log)
        let serve = Serve(process: process)
        do {
            try await waitUntil("slipway serve to listen", timeout: .seconds(30)) {
                guard process.isRunning else { throw TestFailure("slipway serve exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")") }
                return ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("slipway serve: http://")
            }
        } catch {
            serve.kill()
            throw error
        }
        return serve
    }

    /// Sends `signal` and waits for the process to exit (SIGTERM: cleanly, within 15 s).
    func stop(_ signal: Int32) throws {
        let started = ContinuousClock.now
        Foundation.kill(process.processIdentifier, signal)
        process.waitUntilExit()
        if signal == SIGTERM {
            #expect(process.terminationStatus == 0)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
