import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Specs
import State
import Testing

/// The CLI's `--json` and the API describe the same run, release, pipeline and audit entry
/// with the same keys (docs/json.md).
@Suite(.tags(.large)) struct JSONShapeTests {
    /// Every key path of a JSON value: `commit.id`, `stages[].output.artifact`.
    static func keyPaths(_ value: Any?, _ prefix: String = "") -> Set<String> {
        var paths: Set<String> = []
        if let object = value as? [String: Any] {
            for (key, child) in object {
                let path = prefix.isEmpty ? key : prefix + "." + key
                paths.insert(path)
                paths.formUnion(keyPaths(child, path))
            }
        } else if let array = value as? [Any] {
            for child in array { paths.formUnion(keyPaths(child, prefix + "[]")) }
        }
        return paths
    }

    static func json(_ output: ProgramOutput) throws -> Any {
        #expect(output.status == 0, "\(output)")
        return try JSONSerialization.jsonObject(with: Data(output.stdout.utf8))
    }

    @Test func theCLIAndTheAPIDescribeTheSameThingsAlike() async throws {
        let directory = try TemporaryDirectory("slipway-shapes")
        let home = SlipwayHome(path: directory.path + "/home")
        let cli = SlipwayCommand(home: home.path)
        // A real deploy, so the target's journal (what `slipway releases` reads) has a release.
        let site = directory.path + "/site"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try Data("shop\n".utf8).write(to: URL(fileURLWithPath: site + "/index.html"))
        let digest = try cli.run(["artifact", "pack", site]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let target = directory.path + "/target"
        let deployed = try cli.run(["deploy", digest, "--target", target])
        #expect(deployed.status == 0, "\(deployed)")
        let release = ReleaseID(deployed.stdout.trimmingCharacters(in: .whitespacesAndNewlines))

        // The same release, and a run that made it, as a pipeline's deploy records them.
        let orchestrator = try Orchestrator(home: home)
        var spec = PipelineSpec(name: "shop", source: .init(repository: directory.path, branch: "main"))
        spec.stages = [PipelineSpec.DeployStage(name: "live", targets: [target])]
        try await orchestrator.register(spec)
        let commit = CommitInfo(id: String(repeating: "a", count: 40), author: "Ada", time: Date(), message: "shop")
        let artifact = try Digest(parsing: digest)
        let run = try await orchestrator.store.insertRun(RunRecord(
            id: 0, pipeline: "shop", status: .succeeded, trigger: Trigger(.cli, actor: "ada"), commit: commit,
            created: Date(), started: Date(), finished: Date(),
            stages: [StageRecord(name: "source", kind: .source, status: .succeeded, started: Date(), finished: Date(), output: .commit(commit.id)),
                     StageRecord(name: "build", kind: .build, status: .succeeded, started: Date(), finished: Date(), output: .artifact(artifact)),
                     StageRecord(name: "approve-live", kind: .approval, status: .succeeded, started: Date(), finished: Date(),
                                 output: .approval(ApprovalDecision(approved: true, actor: "bob", comment: "ok"))),
                     StageRecord(name: "live", kind: .deploy, status: .succeeded, started: Date(), finished: Date(), output: .release(release))],
            artifact: artifact, release: release), owner: nil).record
        try await orchestrator.store.recordRelease(DeployedRelease(pipeline: "shop", target: target, release: release, artifact: artifact,
                                                                   commit: nil, run: run.id))
        try await orchestrator.store.audit(AuditEntry(actor: "ada", action: .trigger, pipeline: "shop", run: run.id, detail: "cli"))

        try await LiveService.with(control: orchestrator) { live in
            // A run: GET /api/runs/ID and an entry of `slipway runs --json`.
            let apiRun = try await live.get("/api/runs/\(run.id)").json()
            let cliRun = (try Self.json(try cli.run(["runs", "--json"])) as? [Any])?.first
            #expect(Self.keyPaths(apiRun) == Self.keyPaths(cliRun), "\(Self.keyPaths(apiRun).symmetricDifference(Self.keyPaths(cliRun)))")
            #expect(Self.keyPaths(apiRun).isSuperset(of: ["id", "status", "commit.id", "artifact", "release", "stages[].output.artifact",
                                                          "stages[].output.approval.actor", "stages[].output.release"]))
            // The page of runs holds the same objects.
            let page = try await live.get("/api/runs").json() as? [String: Any]
            #expect(Self.keyPaths((page?["runs"] as? [Any])?.first) == Self.keyPaths(cliRun))

            // A release: of GET /api/pipelines/NAME/releases and of `slipway releases --json`.
            let targets = try await live.get("/api/pipelines/shop/releases").json() as? [[String: Any]]
            let apiRelease = ((targets?.first?["releases"]) as? [Any])?.first
            let cliRelease = (try Self.json(try cli.run(["releases", "--target", target, "--json"])) as? [Any])?.first
            #expect(Self.keyPaths(apiRelease) == Self.keyPaths(cliRelease),
                    "\(Self.keyPaths(apiRelease).symmetricDifference(Self.keyPaths(cliRelease)))")
            #expect(Self.keyPaths(apiRelease) == ["id", "artifact", "state", "created", "switched", "current"])

            // An audit entry, and a pipeline.
            let audit = try await live.get("/api/audit").json() as? [String: Any]
            let cliAudit = (try Self.json(try cli.run(["audit", "--json"])) as? [Any])?.first
            #expect(Self.keyPaths((audit?["entries"] as? [Any])?.first) == Self.keyPaths(cliAudit))
            #expect(Self.keyPaths(cliAudit) == ["id", "time", "actor", "action", "pipeline", "run", "detail"])
            let pipelines = try await live.get("/api/pipelines").json()
            #expect(Self.keyPaths(pipelines) == Self.keyPaths(try Self.json(try cli.run(["pipeline", "ls", "--json"]))))
        }
    }
}
