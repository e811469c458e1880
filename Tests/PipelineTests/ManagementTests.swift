import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// `slipway pipeline rm`, `slipway audit`, and the listings' headers on a terminal.
@Suite(.tags(.large), .serialized)
struct ManagementTests {
    func json(_ output: ProgramOutput) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
    }

    @Test func removingAPipelineKeepsItsHistoryUnlessPurged() async throws {
        let f = try PipelineFixture()
        try await f.register()
        let id = try #require(try await f.start())
        #expect(try await f.finished(id).status == .succeeded)

        let removed = try f.slipway.run(["pipeline", "rm", "site"])
        #expect(removed.status == 0, "\(removed)")
        #expect(removed.stderr.contains("removed pipeline site; its runs and releases stay listed"))
        #expect((try json(try f.slipway.run(["pipeline", "ls", "--json"])) as? [Any])?.isEmpty == true)
        // History: the run is still listed under the pipeline's name, its log still there.
        let runs = try f.slipway.run(["runs", "--pipeline", "site", "--json"])
        #expect(runs.status == 0, "\(runs)")
        let listed = try json(runs) as? [[String: Any]]
        #expect(listed?.first?["id"] as? Int == Int(id.rawValue), "\(runs)")
        #expect(try f.slipway.run(["logs", "\(id)"]).stdout.contains("run \(id): succeeded"))
        // The audit trail says who removed it, newest first.
        let audit = try f.slipway.run(["audit", "--pipeline", "site", "--json"])
        let entries = try #require(try json(audit) as? [[String: Any]], "\(audit)")
        #expect(entries.map { $0["action"] as? String } == ["remove", "trigger"])
        #expect(entries.first?["detail"] as? String == "runs, logs and releases kept")
        #expect(Set(entries[0].keys).isSuperset(of: ["id", "time", "actor", "action", "pipeline"]))

        let again = try f.slipway.run(["pipeline", "rm", "site"])
        #expect(again.status == 2 && again.stderr.contains("no pipeline 'site'"), "\(again)")

        try await f.register()
        let purged = try f.slipway.run(["pipeline", "rm", "site", "--purge", "--json"])
        #expect(purged.status == 0, "\(purged)")
        let removal = try #require(try json(purged) as? [String: Any])
        #expect(removal["runs"] as? Int == 1 && removal["releases"] as? Int == 1 && removal["pipeline"] as? String == "site")
        #expect(try await f.orchestrator.store.runs(pipeline: "site", limit: 10, before: nil).isEmpty)
        #expect(try await f.orchestrator.store.logs(run: id, after: 0).isEmpty)
        let gone = try f.slipway.run(["runs", "--pipeline", "site"])
        #expect(gone.status == 2 && gone.stderr.contains("no pipeline 'site'"), "\(gone)")
        // The audit trail outlives the purge.
        let trail = try f.slipway.run(["audit", "--pipeline", "site", "--json"])
        #expect((try json(trail) as? [[String: Any]])?.map { $0["action"] as? String } == ["remove", "remove", "trigger"])
        // The deploy target is never touched.
        #expect(f.served() == "one")
    }

    @Test func aPipelineWithARunInFlightIsRemovedOnlyWithForce() async throws {
        let f = try PipelineFixture()
        try await f.register { $0.stages[0].approval = true }
        let id = try #require(try await f.start())
        _ = try await f.waitFor(id) { $0.status == .waitingApproval }

        let refused = try f.slipway.run(["pipeline", "rm", "site"])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("pipeline site has a run in flight (run \(id) waiting_approval)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--force"))
        #expect(try await f.orchestrator.store.pipeline("site") != nil)

        let forced = try f.slipway.run(["pipeline", "rm", "site", "--force"])
        #expect(forced.status == 0, "\(forced)")
        #expect(try await f.orchestrator.run(id).status == .cancelled)
        #expect(try await f.orchestrator.store.pipeline("site") == nil)
        #expect(try await f.orchestrator.store.auditTrail(pipeline: "site").map(\.action) == [.trigger, .cancel, .remove])
    }

    /// `runs`, `pipeline ls` and `audit` under a pseudo-terminal (util-linux `script`) print a
    /// header; piped, the plain tab-separated lines scripts read.
    @Test func listingsHaveAHeaderOnlyOnATerminal() async throws {
        let f = try PipelineFixture()
        try await f.register()
        let id = try #require(try await f.start())
        _ = try await f.finished(id)
        for (command, header) in [(["runs"], "RUN"), (["pipeline", "ls"], "PIPELINE"), (["audit"], "ID")] {
            let piped = try f.slipway.run(command)
            #expect(piped.status == 0)
            let first = try #require(piped.stdout.split(separator: "\n").first)
            #expect(!first.hasPrefix(header) && first.contains("\t"), "\(command): \(piped.stdout)")

            let line = ([SlipwayCommand.binary] + command).map { "'\($0)'" }.joined(separator: " ")
            let tty = try Program.run("/usr/bin/script", ["-qec", line, "/dev/null"], environment: ["SLIPWAY_HOME": f.home.path])
            // A terminal ends lines with \r\n (one Character in Swift).
            let lines = tty.stdout.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(lines.first?.hasPrefix(header + "  ") == true, "\(command): \(tty.stdout)")
            #expect(lines.count >= 2 && !lines[1].contains("\t"), "\(command): \(tty.stdout)")
        }
    }

    @Test func theAuditTrailPagesNewestFirst() async throws {
        let f = try PipelineFixture()
        try await f.register()
        for n in 1...3 { try await f.orchestrator.store.audit(AuditEntry(actor: "ada", action: .trigger, pipeline: "site", run: nil, detail: "\(n)")) }
        try await f.orchestrator.store.audit(AuditEntry(actor: "bob", action: .rollback, pipeline: "other", run: nil))
        let all = try await f.orchestrator.audit(pipeline: nil, limit: 10, before: nil)
        #expect(all.map(\.actor) == ["bob", "ada", "ada", "ada"])
        let page = try await f.orchestrator.audit(pipeline: "site", limit: 2, before: nil)
        #expect(page.map(\.detail) == ["3", "2"])
        #expect(try await f.orchestrator.audit(pipeline: "site", limit: 2, before: page.last?.id).map(\.detail) == ["1"])
        await #expect(throws: SlipwayError.self) { try await f.orchestrator.audit(pipeline: "nosuch", limit: 10, before: nil) }
        let cli = try f.slipway.run(["audit", "--limit", "1"])
        #expect(cli.status == 0 && cli.stdout.split(separator: "\n").count == 1 && cli.stdout.contains("\tbob\trollback\tother\t"), "\(cli)")
    }
}
