import Foundation
import Images
import Pipeline
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing

/// `runtime-versions` picking a Debian runtime image (`images/python` …) when nobody named an
/// image, through `slipway build` and a pipeline run, against a stand-in `python` image (the
/// busybox image plus a layer declaring `python 3.11.2`): the choice, the version check and
/// every refusal, without building Debian. The real images are checked in ToolchainImageTests.
@Suite("Default runtime images", .tags(.medium), .enabled(if: SlipwayCommand.isBuilt))
struct DefaultRuntimeImageTests {
    /// The pipeline fixture (busybox in its store) plus `python:latest` layered on busybox.
    static func fixture(_ buildspec: String) throws -> PipelineFixture {
        let f = try PipelineFixture(buildspec: buildspec)
        let store = ImageStore(home: f.home)
        let layer = try f.directory.directory("python-layer")
        _ = try f.directory.write("python-layer/etc/slipway/runtimes", "python 3.11.2\n")
        _ = try f.directory.write("python-layer/etc/image-name", "stand-in python\n")
        let tar = try Program.run("/bin/tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", "-cf", f.root + "/python-layer.tar", "-C", layer, "."])
        guard tar.succeeded else { throw TestFailure("tar: \(tar)") }
        try store.importLayer(path: f.root + "/python-layer.tar", onto: try store.resolve("busybox"), reference: "python:latest")
        return f
    }

    /// Asks for `runtimes` (`name: version` each, the first on line 5); the site says which image built it.
    static func buildspec(_ runtimes: String...) -> String {
        BuildspecText.runtimes(runtimes, build: ["mkdir -p site", "(cat /etc/image-name 2>/dev/null || echo busybox) > site/index.html",
                                                 #"echo "on $CODEBUILD_BUILD_IMAGE""#],
                               after: "artifacts:\n  files:\n    - site/**/*\n    - appspec.yml\n")
    }

    @Test("slipway build without --image runs python 3.11 on the python image; --image or build.runtimes still win")
    func buildPicksThePythonImage() throws {
        let f = try Self.fixture(Self.buildspec("python: 3.11"))
        let picked = try f.slipway.run(["build", f.repository, "--json"])
        #expect(picked.succeeded, "\(picked)")
        #expect(picked.stderr.contains("on python:latest"), "\(picked)")
        #expect(!picked.stderr.contains("Warning"), "the image declares python 3.11.2: \(picked)")

        let named = try f.slipway.run(["build", f.repository, "--image", "busybox", "--no-cache"])
        #expect(named.succeeded && named.stderr.contains("on busybox:latest"), "\(named)")
        #expect(named.stderr.contains("Slipway installs no runtimes: python 3.11 must come with the image"), "\(named)")

        try f.write("slipway.yml", "build:\n  runtimes:\n    python: busybox\n")
        _ = try f.commit("map python to busybox")
        let mapped = try f.slipway.run(["build", f.repository, "--no-cache"])
        #expect(mapped.succeeded && mapped.stderr.contains("on busybox:latest"), "\(mapped)")
    }

    @Test("a version the image lacks, a runtime whose image is not built, and two runtimes on two images are refused before anything runs")
    func refusals() throws {
        let f = try Self.fixture(Self.buildspec("python: 3.12"))
        let version = try f.slipway.run(["build", f.repository])
        #expect(version.status == 2, "\(version)")
        #expect(version.stderr.contains("buildspec.yml:5:") && version.stderr.contains("does not provide python 3.12 (it offers python 3.11.2)"), "\(version)")

        try f.write("buildspec.yml", Self.buildspec("nodejs: 18"))
        _ = try f.commit("node")
        let unbuilt = try f.slipway.run(["build", f.repository])
        #expect(!unbuilt.succeeded && unbuilt.stderr.contains("the default 'node' image provides, and it is not built; build it with: slipway image build images/node"), "\(unbuilt)")

        try f.write("buildspec.yml", Self.buildspec("python: 3.11", "nodejs: 18"))
        _ = try f.commit("both")
        let both = try f.slipway.run(["build", f.repository])
        #expect(both.status == 2, "\(both)")
        #expect(both.stderr.contains("buildspec.yml:6:") && both.stderr.contains("python (default image python) and nodejs (default image node); a build runs on one image"), "\(both)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: f.home.builds)) ?? []).isEmpty, "nothing ran")
    }

    @Test("a pipeline without build.image builds on the image runtime-versions picks; with build.image it does not")
    func pipelinePicksThePythonImage() async throws {
        let f = try Self.fixture(Self.buildspec("python: 3.11"))
        try await f.register()
        let run = try #require(try await f.start())
        let record = try await f.finished(run)
        let log = try await f.log(run)
        #expect(record.status == .succeeded, "\(log)")
        #expect(f.served() == "stand-in python\n")

        try await f.register { $0.build.image = "busybox:latest" }
        let second = try #require(try await f.start(force: true))
        let secondRecord = try await f.finished(second)
        let secondLog = try await f.log(second)
        #expect(secondRecord.status == .succeeded, "\(secondLog)")
        #expect(f.served() == "busybox\n")
    }
}
