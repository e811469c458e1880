import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `slipway run` on a buildspec with a `batch:` runs the batch as `slipway build` does, and
/// deploys the artifact of the build the documented rule picks.
@Suite(.tags(.large), .serialized)
struct BatchRunTests {
    /// Each build of the matrix writes its VARIANT into the page.
    static let matrix = """
        version: 0.2
        batch:
          build-matrix:
            dynamic:
              env:
                variables:
                  VARIANT: [red, blue]
        phases:
          build:
            commands:
              - mkdir -p site
              - echo "variant $VARIANT" > site/index.html
        artifacts:
          files:
            - site/**/*
            - appspec.yml
        """

    @Test func aBuildMatrixRunsEveryBuildAndDeploysTheNamedOne() async throws {
        let f = try PipelineFixture(buildspec: Self.matrix)
        let out = try f.run(committing: ["slipway.yml": "build:\n  deploy-from: build2\n"], "matrix", "--json")
        #expect(out.status == 0, "\(out)")
        // Both builds ran, each with its own value, as `slipway build` runs them.
        #expect(out.stderr.contains("[build1]") && out.stderr.contains("[build2]"), "\(out.stderr)")
        #expect(f.served() == "variant blue\n")
        let id = try PipelineFixture.runID(out)
        let log = try await f.log(id)
        #expect(log.contains("batch build build1: SUCCEEDED") && log.contains("batch build build2: SUCCEEDED"), "\(log)")
        #expect(log.contains("deploying the artifact of batch build build2"))
        // The artifact recorded is build2's: the one served.
        let build = try await f.orchestrator.run(id).stages[1]
        #expect(build.output?.artifact == (try await f.orchestrator.run(id)).artifact)
    }

    @Test func severalArtifactsWithoutANameAreRefusedSayingWhichToName() async throws {
        let f = try PipelineFixture(buildspec: Self.matrix)
        let out = try f.slipway.run(["run", f.repository, "--target", f.target])
        #expect(out.status == 1, "\(out)")
        #expect(out.stderr.contains("2 builds of the batch stored artifacts (build1, build2): name the one to deploy with build.deploy-from in slipway.yml"),
                "\(out.stderr)")
        #expect(f.served() == nil)

        // A name that is not in the batch says what is.
        try f.write("slipway.yml", "build:\n  deploy-from: green\n")
        _ = try f.commit("a name not in the batch")
        let wrong = try f.slipway.run(["run", f.repository, "--target", f.target])
        #expect(wrong.status == 1 && wrong.stderr.contains("names 'green', which is not a build of the batch (its builds: build1, build2)"), "\(wrong.stderr)")
    }

    @Test func theOnlyBuildWithAnArtifactIsDeployedWithoutAName() async throws {
        // The fixture's buildspec (phases and artifacts) behind a batch of two builds.
        let list = """
            version: 0.2
            batch:
              build-list:
                - identifier: lint
                  buildspec: lint.yml
                - identifier: site
                  depend-on: [lint]

            """ + PipelineFixture.buildspec.dropFirst("version: 0.2\n".count)
        let f = try PipelineFixture(buildspec: list)
        try f.write("lint.yml", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo linted\n")
        _ = try f.commit("lint")
        let out = try f.slipway.run(["run", f.repository, "--target", f.target])
        #expect(out.status == 0, "\(out)")
        #expect(out.stderr.contains("[lint] linted"), "\(out.stderr)")
        #expect(f.served() == "one")
    }
}
