import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// Logs and retention through real runs: a crash mid-log, `logs --follow` from another
/// process, the size limit in `slipway logs`, and pruning of runs, build records and (through
/// `artifact gc`) artifacts.
@Suite(.tags(.large), .serialized)
struct LogAndRetentionRunTests {
    /// Build stage lines of a log: those of the chunks the build stage wrote.
    static func buildText(_ chunks: [LogChunk]) -> String {
        chunks.filter { $0.stage == "build" }.map(\.text).joined()
    }

    /// SIGKILL while a build floods its log: what was stored is a gap-free prefix of the
    /// output with contiguous offsets, and what another process appends follows it.
    @Test(.timeLimit(.minutes(3))) func aCrashMidLogLeavesAContiguousPrefix() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: [#"awk 'BEGIN { for (i = 0; ; i++) print "tick " i }'"#]))
        let runner = try CancelTests.startRun(f)
        let run = try await eventually("the log to hold 20,000 lines", timeout: .seconds(90), every: .milliseconds(100)) {
            guard let run = try await f.orchestrator.store.runs(pipeline: nil, limit: 1, before: nil).first else { return nil as RunRecord? }
            let lines = Self.buildText(try await f.orchestrator.store.logs(run: run.id, after: 0)).filter { $0 == "\n" }.count
            return lines >= 20_000 ? run : nil
        }
        kill(runner.processIdentifier, SIGKILL)
        runner.waitUntilExit()

        let chunks = try await f.orchestrator.store.logs(run: run.id, after: 0)
        #expect(chunks.isContiguous)
        #expect(chunks.allSatisfy { Int64($0.text.utf8.count) == $0.end - $0.offset && $0.text.hasSuffix("\n") })
        let ticks = Self.buildText(chunks).split(separator: "\n").filter { $0.hasPrefix("tick ") }
        #expect(ticks.count >= 20_000)
        #expect(ticks.enumerated().allSatisfy { $1 == "tick \($0)" }, "the stored ticks have a gap")

        // Ending the run from another process appends right after what was stored.
        let cancel = try f.slipway.run(["cancel", run.id.description])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try await f.orchestrator.run(run.id).status == .cancelled)
        let after = try await f.orchestrator.logs(run: run.id, after: 0)
        #expect(after.isContiguous && after.count > chunks.count)
        #expect(after.prefix(chunks.count) == chunks[...])
        #expect(after.last?.text.contains("cancelled by") == true)
    }

    /// A follower in another process prints a line a moment after it is stored (the store
    /// watcher looks every 0.1 s), while the stage that printed it is still running.
    @Test(.timeLimit(.minutes(3))) func followSeesLinesWhileTheStageRuns() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: ["echo tick-1; sleep 1; echo tick-2; sleep 1; echo tick-3; sleep 600"]))
        let runner = try CancelTests.startRun(f)
        defer { kill(runner.processIdentifier, SIGKILL) }
        _ = try await eventually("run 1 to exist", timeout: .seconds(60)) { try await f.orchestrator.store.run(1) }
        let printed = f.root + "/followed.txt"
        let follower = try f.slipway.start(["logs", "1", "--follow"], stdout: printed)
        defer { kill(follower.processIdentifier, SIGKILL) }

        var stored: ContinuousClock.Instant?, shown: ContinuousClock.Instant?
        try await waitUntil("tick-3 to be stored and followed", timeout: .seconds(60), every: .milliseconds(20)) {
            if stored == nil, try await f.orchestrator.store.logs(run: 1, after: 0).contains(where: { $0.text.contains("tick-3") }) { stored = .now }
            if shown == nil, String(decoding: FileManager.default.contents(atPath: printed) ?? Data(), as: UTF8.self).contains("tick-3") { shown = .now }
            return stored != nil && shown != nil
        }
        let lag = shown! - stored!
        // The follower looks every 0.1 s; the bound leaves room for a loaded test machine (a
        // follower that printed only at the end would never show it: the stage sleeps 600 s).
        #expect(lag < .seconds(20), "the follower printed tick-3 \(lag) after it was stored")
        #expect(try await f.orchestrator.run(1).stages[1].status == .running)

        #expect(try f.slipway.run(["cancel", "1"]).status == 0)
        try await waitUntil("the follower to end with the run", timeout: .seconds(30)) { !follower.isRunning }
        #expect(follower.terminationStatus == 0)
        let text = String(decoding: FileManager.default.contents(atPath: printed) ?? Data(), as: UTF8.self)
        #expect(text == (try await f.log(1)))
        #expect(text.hasSuffix("run 1: cancelled\n"))
    }

    /// A run whose output passes `retention.max-log-size`: `slipway logs` shows the kept lines,
    /// the marker, the run's end and how much was left out; `--offset` reads any suffix.
    @Test func aLogPastItsLimitEndsWithAMarker() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(first: [#"awk 'BEGIN { for (i = 0; i < 2000; i++) printf "output line %04d\n", i }'"#]))
        try f.write("slipway.yml", "retention:\n  max-log-size: 8K\nstages:\n  - name: live\n    targets: [\(f.target)]\n")
        _ = try f.commit("limited")
        let ran = try f.slipway.run(["run", f.repository])
        #expect(ran.status == 0, "\(ran)")
        let log = try f.slipway.run(["logs", "1"])
        #expect(log.status == 0)
        let text = log.stdout
        let marker = StateStore.cutMarker(8 << 10)
        #expect(text.contains("output line 0000\n"))
        #expect(text.contains(marker))
        #expect(!text.contains("output line 1999"))
        let kept = text.components(separatedBy: marker)[0]
        #expect(kept.utf8.count <= 8 << 10)
        let after = text.components(separatedBy: marker)[1]
        #expect(after.contains("run 1: succeeded\n"))
        #expect(after.range(of: #"\[slipway\] log truncated: \d+ lines \(.+\) of output past the limit were not stored\n$"#,
                            options: .regularExpression) != nil, "\(after)")
        #expect(text == (try await f.log(1)))
        let bytes = Data(text.utf8)
        for offset in [1, 100, bytes.count / 2, bytes.count - 1] {
            let part = try f.slipway.run(["logs", "1", "--offset", String(offset)])
            #expect(Data(part.stdout.utf8) == bytes.dropFirst(offset), "from offset \(offset)")
        }
    }

    /// Four runs under `retention: {runs: 3}`, each deploying a new artifact to a target that
    /// keeps current and previous only: the oldest run goes with its log and build record;
    /// `artifact gc` then removes its artifact and keeps run 2's, which nothing but the rule
    /// holds. A day rule, applied 31 days on, leaves only the newest run.
    @Test(.timeLimit(.minutes(5))) func pruningFollowsTheRuleForRunsBuildRecordsAndArtifacts() async throws {
        let f = try PipelineFixture()
        try await f.register { spec in
            spec.retention = .init(runs: 3, days: 30)
            spec.stages[0].keep = 0
        }
        var artifacts: [Digest] = []
        for n in 1...4 {
            if n > 1 {
                try f.write("content", "content \(n)")
                _ = try f.commit("change \(n)")
            }
            let id = try #require(try await f.start())
            let run = try await f.finished(id)
            #expect(run.status == .succeeded, "\(run)")
            artifacts.append(try #require(run.artifact))
        }
        #expect(Set(artifacts).count == 4)
        #expect(try await f.orchestrator.runs(pipeline: "site", limit: 10, before: nil).map(\.id) == [4, 3, 2])
        await #expect(throws: SlipwayError.self) { try await f.orchestrator.logs(run: 1, after: 0) }
        let records = try FileManager.default.contentsOfDirectory(atPath: f.home.builds + "/site").filter { UUID(uuidString: $0) != nil }
        #expect(records.count == 3)
        let buildRefs = try FileManager.default.contentsOfDirectory(atPath: f.home.store + "/refs/builds")
        #expect(!buildRefs.contains("site-1") && buildRefs.contains("site-2"))

        // Build references lapse at once: what stays is what releases and the rule hold.
        let gc = try f.slipway.run(["artifact", "gc", "--keep-last", "0", "--keep-builds-for", "0", "--json"])
        #expect(gc.status == 0, "\(gc)")
        let listed = try f.slipway.run(["artifact", "ls", "--json"])
        let kept = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(Set(kept.compactMap { $0["digest"] as? String }) == Set(artifacts[1...].map(\.description)))

        // Thirty-one days on: only the newest run and its build record stay.
        let pruned = await f.orchestrator.prune(pipeline: "site", now: Date().addingTimeInterval(31 * 86400))
        #expect(pruned.runs == [2, 3])
        #expect(try await f.orchestrator.runs(pipeline: "site", limit: 10, before: nil).map(\.id) == [4])
        let left = try FileManager.default.contentsOfDirectory(atPath: f.home.builds + "/site").filter { UUID(uuidString: $0) != nil }
        #expect(left.count == 1)
        #expect(try await f.orchestrator.retainedArtifacts() == [artifacts[3]])
    }
}
