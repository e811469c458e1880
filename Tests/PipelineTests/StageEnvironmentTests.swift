import Foundation
import SlipwayTestSupport
@testable import Specs
import Testing

/// Each deploy stage's `environment` reaches its hooks and health command: the same artifact learns whether it
/// is in staging or production.
@Suite(.tags(.large))
struct StageEnvironmentTests {
    @Test func hooksSeeTheirStagesVariables() async throws {
        let f = try PipelineFixture(buildspec: PipelineFixture.siteBuildspec(shipping: ["hook.sh"]))
        try f.write("appspec.yml", "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: hook.sh\n")
        try f.write("hook.sh", "#!/bin/sh\necho \"mode=$MODE stage=$DEPLOYMENT_GROUP_NAME\" > \"$RELEASE_PATH/mode.txt\"\n")
        chmod(f.repository + "/hook.sh", 0o755)
        _ = try f.commit("hooks")
        let staging = f.root + "/staging", production = f.root + "/production"
        try await f.register { spec in
            var first = PipelineSpec.DeployStage(name: "staging", targets: [staging])
            first.environment = ["MODE": "staging"]
            var second = PipelineSpec.DeployStage(name: "production", targets: [production])
            // A stage cannot pretend to be another deployment group.
            second.environment = ["MODE": "production", "DEPLOYMENT_GROUP_NAME": "spoofed"]
            // The health command sees them too.
            second.health = PipelineSpec.Health(command: "test \"$MODE\" = production")
            spec.stages = [first, second]
        }
        let run = try #require(try await f.start())
        let record = try await f.finished(run)
        let log = try await f.log(run)
        #expect(record.status == .succeeded, "\(log)")
        let read = { (target: String) in try String(contentsOfFile: target + "/current/mode.txt", encoding: .utf8) }
        #expect(try read(staging) == "mode=staging stage=staging\n")
        #expect(try read(production) == "mode=production stage=production\n")
    }
}
