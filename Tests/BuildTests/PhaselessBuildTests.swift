import Artifacts
import Foundation
import SlipwayTestSupport
import Testing
@testable import Build

/// Buildspecs without `phases`: CodeBuild runs them (no commands) and still collects the
/// artifacts, as AWS's own ecs-agent release buildspec relies on.
@Suite("Buildspecs without phases", .tags(.medium), .serialized)
struct PhaselessBuildTests {
    @Test func artifactsOnlyBuildspecCollectsFromTheSource() throws {
        let f = try BuildFixture(buildspec: """
            version: 0.2
            artifacts:
              files:
                - 'dist/**/*'
            """, files: ["dist/app.txt": "shipped\n", "dist/sub/more.txt": "more\n", "other.txt": "left out\n"])
        let result = try f.build()
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(result.phases.isEmpty)
        let artifact = try #require(result.artifacts.first)
        #expect(artifact.files == 2)
        #expect(f.log(result).contains("no phases"))
    }

    @Test func batchOnlyBuildspecSaysWhatRunsIt() throws {
        let f = try BuildFixture(buildspec: """
            version: 0.2
            batch:
              build-list:
                - identifier: one
            """)
        #expect {
            _ = try f.build()
        } throws: { error in
            "\(error)".contains("only lists batch builds, which 'slipway build' runs") && !"\(error)".contains("runBatch")
        }
    }
}
