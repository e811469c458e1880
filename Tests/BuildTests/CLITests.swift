import Foundation
import SlipwayTestSupport
import Testing
@testable import Build
import SlipwayCore

/// The real `slipway` binary, end to end: `validate` output and exit statuses, `build --json`.
@Suite("slipway validate and build", .tags(.large), .serialized)
struct CommandLineTests {
    static func run(_ arguments: [String], home: String) throws -> ProgramOutput {
        try SlipwayCommand(home: home).run(arguments)
    }

    @Test(.enabled(if: SlipwayCommand.isBuilt))
    func validatePrintsPositionedFindingsAndExitStatuses() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    Commands: [x]\n    commands:\n      - echo a: b\n")
        let file = f.source + "/buildspec.yml"
        let bad = try Self.run(["validate", file], home: f.home.path)
        #expect(bad.status == 1)
        #expect(bad.stdout == """
            \(file):4:5: warning: unknown key 'Commands' (keys are case-sensitive: did you mean 'commands'?); it is ignored (phases.build.Commands)
            \(file):6:9: error: this command was read as a key and value because it contains ': ' (colon and space); put the whole command in quotes (phases.build.commands[0])

            """)
        try f.write("good.yml", "version: 0.2\nphases:\n  build:\n    commands: [make]\n")
        let good = try Self.run(["validate", f.source + "/good.yml"], home: f.home.path)
        #expect(good.status == 0 && good.stdout.isEmpty)
        #expect(try Self.run(["validate", f.source + "/missing.yml"], home: f.home.path).status == 2)
        try f.write("slipway.yml", "stages:\n  - nme: build\n")
        let pipeline = try Self.run(["validate", f.source + "/slipway.yml"], home: f.home.path)
        #expect(pipeline.status == 1)
        #expect(pipeline.stdout.contains("slipway.yml:2:5: error: the stage has no 'name' (stages[0])"))
        let json = try Self.run(["validate", "--json", "--kind", "buildspec", file], home: f.home.path)
        #expect(json.stdout.contains("\"keyPath\" : \"phases.build.commands[0]\""))
    }

    @Test(.enabled(if: SlipwayCommand.isBuilt))
    func buildJSONCarriesStatusPhasesArtifactsAndCache() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo built > out.txt; V=7
            """, env: """
            exported-variables: [ V ]
            """, after: """
            artifacts:
              files: [ out.txt ]
            """, git: true)
        let image = try BusyboxImage.record().rootfs
        let first = try Self.run(["build", f.source, "--image", image, "--json"], home: f.home.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("Entering phase BUILD"), "the log streams to stderr")
        let result = try Timestamp.decoder().decode(BuildResult.self, from: Data(first.stdout.utf8))
        #expect(result.status == .succeeded)
        #expect(result.phases.first?.phase == .build)
        #expect(result.artifacts.first?.digest.description.hasPrefix("sha256:") == true)
        #expect(result.exportedVariables == ["V": "7"])
        #expect(result.cache.result == .miss)
        #expect(FileManager.default.fileExists(atPath: result.logPath))
        let second = try Self.run(["build", f.source, "--image", image, "--json"], home: f.home.path)
        #expect(second.stdout.contains("\"result\" : \"hit\""))
        try f.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: [\"false\"]\n")
        let failed = try Self.run(["build", f.source, "--image", image, "--dirty"], home: f.home.path)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("FAILED"))
    }
}
