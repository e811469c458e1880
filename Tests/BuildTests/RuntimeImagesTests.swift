import Foundation
import Build
@testable import Images
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing

@Suite("runtime-versions and build.runtimes", .tags(.small))
struct RuntimeImagesTests {
    /// A buildspec asking for `runtimes` (`name: version` each, the first on line 5).
    func spec(_ runtimes: String...) throws -> BuildSpec {
        let (spec, diagnostics) = BuildSpec.parse(contents: BuildspecText.runtimes(runtimes, build: ["\"true\""]), file: "buildspec.yml")
        return try #require(spec, "\(diagnostics)")
    }

    @Test("a mapped runtime picks its image, {version} filled in")
    func mapped() throws {
        let choice = RuntimeImages(["nodejs": "node:{version}-slim"]).choose(try spec("nodejs: 20", "python: 3.12"), file: "buildspec.yml", environment: [:])
        #expect(choice.image == "node:20-slim" && choice.diagnostics.isEmpty)
    }

    @Test("two mapped runtimes on different images are a positioned error")
    func conflicting() throws {
        let choice = RuntimeImages(["nodejs": "node:{version}", "python": "python:{version}"])
            .choose(try spec("nodejs: 20", "python: 3.12"), file: "buildspec.yml", environment: [:])
        #expect(choice.diagnostics.count == 1)
        #expect(choice.diagnostics.first?.description.hasPrefix("buildspec.yml:6:") == true)
        #expect(choice.diagnostics.first?.message.contains("a build runs on one image") == true)
    }

    @Test("on an image nobody named, the Debian runtime images serve python, nodejs, golang and java; build.runtimes comes first")
    func defaults() throws {
        let defaults = RuntimeImages([:], defaults: RuntimeImages.debianImages)
        for (runtime, image) in [("python", "python"), ("nodejs", "node"), ("golang", "go"), ("java", "java")] {
            let choice = defaults.choose(try spec("\(runtime): 1"), file: "buildspec.yml", environment: [:])
            #expect(choice.image == image && choice.isDefault && choice.runtime == runtime && choice.diagnostics.isEmpty)
        }
        let unknown = defaults.choose(try spec("ruby: 3.2"), file: "buildspec.yml", environment: [:])
        #expect(unknown.image == nil && unknown.diagnostics.isEmpty)
        let mapped = RuntimeImages(["python": "python:{version}-slim"], defaults: RuntimeImages.debianImages)
            .choose(try spec("python: 3.12"), file: "buildspec.yml", environment: [:])
        #expect(mapped.image == "python:3.12-slim" && !mapped.isDefault)
        #expect(RuntimeImages([:]).choose(try spec("python: 3.12"), file: "buildspec.yml", environment: [:]).image == nil)
        let two = defaults.choose(try spec("python: 3.11", "nodejs: 18"), file: "buildspec.yml", environment: [:])
        #expect(two.diagnostics.count == 1 && two.diagnostics.first?.description.hasPrefix("buildspec.yml:6:") == true)
        #expect(two.diagnostics.first?.message.contains("python (default image python) and nodejs (default image node)") == true)
    }

    @Test("an image without declared runtimes gets a warning naming an image that has it; a mapped one none")
    func warning() throws {
        let scratch = try TemporaryDirectory("slipway-runtimes")
        try scratch.directory("bin")
        _ = FileManager.default.createFile(atPath: scratch.path + "/bin/sh", contents: Data())
        let image = ImageRecord(reference: "debian:12", digest: Digest.of(Data("x".utf8)), rootfs: scratch.path, created: Date(),
                                size: 0, format: "registry", layers: [])
        let spec = try spec("nodejs: 20")
        let plain = BuildRequirements(spec: spec, file: "buildspec.yml", image: image, secrets: [:], environment: [:])
        #expect(plain.diagnostics.count == 1)
        let warning = try #require(plain.diagnostics.first)
        #expect(warning.severity == .warning && warning.description.hasPrefix("buildspec.yml:5:"))
        #expect(warning.message.contains("--image node:20"))
        #expect(warning.message.contains(#"build.runtimes: {nodejs: "node:{version}"}"#))
        let mapped = BuildRequirements(spec: spec, file: "buildspec.yml", image: image, secrets: [:], environment: [:], mappedRuntimes: ["nodejs"])
        #expect(mapped.diagnostics.isEmpty)
    }
}
