import Foundation
import Pipeline
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing

@Suite(.tags(.large))
struct CLITests {
    @Test func runJSONDescribesTheRunAndWhereItIsServed() async throws {
        let f = try PipelineFixture(content: "from the cli")
        let out = try f.slipway.run(["run", f.repository, "--target", f.target, "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["run", "served", "timings", "total"])
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["status"] as? String == "succeeded")
        #expect((run["commit"] as? [String: Any])?["id"] as? String == (try f.git("rev-parse", "HEAD")))
        #expect((run["artifact"] as? String)?.hasPrefix("sha256:") == true)
        #expect(run["release"] is String)
        #expect(json["served"] as? [String] == [f.target + "/current"])
        #expect(Set(((json["timings"] as? [String: Double]) ?? [:]).keys) == ["source", "build", "deploy"])
        #expect(f.served() == "from the cli")

        // Again: the same commit is reported, not rebuilt.
        let again = try f.slipway.run(["run", f.repository, "--target", f.target])
        #expect(again.status == 0)
        #expect(again.stderr.contains("already ran as run"))

        let runs = try f.slipway.run(["runs", "--json"])
        #expect(runs.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [Any])?.count == 1)
        let logs = try f.slipway.run(["logs", "1"])
        #expect(logs.status == 0 && logs.stdout.contains("run 1: succeeded"))
        let missing = try f.slipway.run(["logs", "99"])
        #expect(missing.status == 2)
    }

    @Test func aBadPipelineFileIsReportedWithItsPosition() async throws {
        let f = try PipelineFixture()
        try f.write("slipway.yml", "name: site\nstages:\n  - name: live\n    targets: [/tmp/x]\n    strategy: sideways\n")
        _ = try f.commit("bad pipeline")
        let out = try f.slipway.run(["run", f.repository])
        #expect(out.status == 2)
        #expect(out.stderr.contains(f.repository + "/slipway.yml:5:15: error: unknown strategy 'sideways'"), "\(out.stderr)")
        #expect(try await f.orchestrator.store.runs(pipeline: nil, limit: 10, before: nil).isEmpty)

        let validate = try SlipwayCommand().run(["validate", f.repository + "/slipway.yml"])
        #expect(validate.status == 1 && validate.stdout.contains("(stages[0].strategy)"))
        let noTarget = try f.slipway.run(["run", f.root])
        #expect(noTarget.status == 2 && noTarget.stderr.contains("not a git repository"))
    }

    @Test func everyPipelineCommandHasHelp() throws {
        for command in [["run"], ["runs"], ["logs"], ["approve"], ["cancel"], ["retry"], ["hook"], ["hook", "install"], ["hook", "notify"],
                        ["pipeline"], ["pipeline", "add"], ["pipeline", "ls"], ["pipeline", "rm"], ["pipeline", "rollback"], ["audit"]] {
            let out = try SlipwayCommand().run(command + ["--help"])
            #expect(out.status == 0 && out.stdout.contains("USAGE"), "\(command)")
        }
    }
}
