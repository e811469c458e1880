import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `build.check: true` in slipway.yml: every run builds its commit twice and deploys only an
/// artifact the second build reproduced; the run records the image and the verdict.
@Suite(.tags(.large), .serialized)
struct BuildCheckRunTests {
    /// The fixture's build, which also says how many CPUs it saw and, when the commit has a
    /// `stamp` file, writes the time (which no second build reproduces).
    static let buildspec = PipelineFixture.siteBuildspec(then: [#"if [ -f stamp ]; then date +%s%N > site/stamp.txt; fi"#, #"echo "cpus $(nproc)""#])

    @Test func aReproducibleBuildIsCheckedRecordedAndDeployed() async throws {
        let f = try PipelineFixture(buildspec: Self.buildspec)
        let out = try f.run(committing: ["slipway.yml": "build:\n  check: true\n"], "check", "--json")
        #expect(out.status == 0, "\(out)")
        #expect(f.served() == "one")
        let id = try PipelineFixture.runID(out)
        let build = try #require(try await f.orchestrator.run(id).stages.first { $0.kind == .build })
        let facts = try #require(build.build)
        #expect(facts.image.hasPrefix("busybox") && facts.imageDigest != nil, "\(facts)")
        let check = try #require(facts.check)
        #expect(check.reproducible && check.differences.isEmpty && check.differenceCount == 0, "\(check)")
        let log = try await f.log(id)
        #expect(log.contains("build.check: reproducible: build \(check.secondBuild) gave the same artifacts"), "\(log)")
        // The second build ran on one CPU, from another checkout.
        if ProcessInfo.processInfo.activeProcessorCount > 1 {
            #expect(log.contains("[check] cpus 1"), "\(log)")
            #expect(log.contains("cpus \(ProcessInfo.processInfo.activeProcessorCount)"), "\(log)")
        }
        // The run's JSON carries it, as the API gives it.
        #expect(out.stdout.contains("\"reproducible\" : true"), "\(out.stdout)")
    }

    @Test func aBuildThatDiffersFailsNamingTheFileAndIsNotDeployed() async throws {
        let f = try PipelineFixture(buildspec: Self.buildspec)
        let out = try f.run(committing: ["slipway.yml": "build:\n  check: true\n", "stamp": "yes\n"], "a time stamp in the output", "--json")
        #expect(out.status == 1, "\(out)")
        #expect(f.served() == nil, "nothing deployed")
        let id = try PipelineFixture.runID(out)
        let record = try await f.orchestrator.run(id)
        let build = try #require(record.stages.first { $0.kind == .build })
        #expect(build.status == .failed)
        #expect(build.note?.contains("build.check: not reproducible: 1 difference(s)") == true, "\(build)")
        #expect(build.note?.contains("primary:site/stamp.txt (content") == true, "\(build)")
        let check = try #require(build.build?.check)
        #expect(!check.reproducible && check.differences == ["primary:site/stamp.txt (content)"], "\(check)")
        let log = try await f.log(id)
        #expect(log.contains("build.check: NOT reproducible"), "\(log)")
        // How it differs, as diffoscope or diff -u shows it.
        #expect(log.contains("primary:site/stamp.txt:"), "\(log)")
    }

    @Test func aBatchBuildspecIsRefusedBeforeItBuilds() async throws {
        let f = try PipelineFixture(buildspec: "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n    - identifier: b\n"
                                    + PipelineFixture.buildspec.dropFirst("version: 0.2\n".count))
        let out = try f.run(committing: ["slipway.yml": "build:\n  check: true\n"], "batch")
        #expect(out.status == 1, "\(out)")
        #expect(out.stderr.contains("build.check compares one build; this buildspec runs a batch (build-list): remove build.check or the batch"),
                "\(out.stderr)")
        #expect(!out.stderr.contains("[a]"), "no build ran: \(out.stderr)")
    }
}
