import Foundation
import SlipwayTestSupport
import Testing

/// `slipway build --check`: a second build under varied conditions, artifacts compared.
@Suite(.tags(.large)) struct BuildCheckTests {
    struct Check {
        let directory: TemporaryDirectory
        let cli: SlipwayCommand
        var home: String { directory.path }

        init() throws {
            directory = try TemporaryDirectory("slipway-check")
            cli = SlipwayCommand(home: directory.path)
            #expect(try cli.run(["image", "build", ReadmeTourTests.root + "/images/busybox"]).status == 0)
        }

        /// A committed project whose build runs `commands`, its `out/` the artifact.
        func project(_ name: String, _ commands: [String]) throws -> String {
            let repository = try GitRepository(at: home + "/" + name)
            try repository.write("buildspec.yml", """
                version: 0.2
                phases:
                  build:
                    commands:
                \(commands.map { "      - " + $0 }.joined(separator: "\n"))
                artifacts:
                  files: ['out/**/*']
                """)
            try repository.commit("first")
            return repository.path
        }

        func json(_ arguments: [String]) throws -> (status: Int32, report: [String: Any]) {
            let run = try cli.run(arguments + ["--json"])
            let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return (run.status, try #require(report, "\(run.stderr)"))
        }
    }

    @Test func whatSlipwayPinsDoesNotLeakIntoTheArtifact() throws {
        let check = try Check()
        // Each line reads something the second build varies outside the sandbox.
        let project = try check.project("pinned", [
            "mkdir -p out && pwd > out/pwd && umask > out/umask && echo \"$TZ $LC_ALL\" > out/locale",
            "date -u -d @$SOURCE_DATE_EPOCH +%F > out/epoch && ls -ln > out/listing",
        ])
        let (status, report) = try check.json(["build", project, "--check"])
        #expect(status == 0)
        #expect(report["reproducible"] as? Bool == true)
        let builds = try #require(report["builds"] as? [String])
        #expect(Set(builds).count == 2, "two builds ran")
        let variations = try #require(report["variations"] as? [String: String])
        #expect(variations["umask"] == "0077")
        #expect(variations["checkout"]?.hasSuffix("/elsewhere/pinned") == true)
    }

    @Test func aBuildThatRecordsItsConditionsIsNotReproducibleAndSaysWhere() throws {
        let check = try Check()
        let project = try check.project("leaky", [
            "mkdir -p out && echo same > out/same && date +%s > out/clock && nproc > out/cpus && echo $CODEBUILD_BUILD_NUMBER > out/number",
        ])
        let (status, report) = try check.json(["build", project, "--check"])
        #expect(status == 1)
        #expect(report["reproducible"] as? Bool == false)
        let artifacts = try #require(report["artifacts"] as? [[String: Any]])
        let differences = try #require(artifacts.first?["differences"] as? [[String: Any]])
        let paths = Set(differences.compactMap { $0["path"] as? String })
        #expect(paths.isSuperset(of: ["out/clock", "out/number"]))
        #expect(!paths.contains("out/same"))
        if ProcessInfo.processInfo.activeProcessorCount > 1 { #expect(paths.contains("out/cpus")) }
        #expect(differences.allSatisfy { ($0["aspects"] as? [String]) == ["content"] })
        // How the first files differ: diffoscope where installed, else diff -u.
        let diffs = try #require(report["diffs"] as? [String: String])
        #expect(diffs.count == 3)
        #expect(diffs["primary:out/clock"]?.contains("+++ second/out/clock") == true || diffs.values.contains { $0.contains("diffoscope") })

        let text = try check.cli.run(["build", project, "--check"])
        #expect(text.status == 1)
        #expect(text.stderr.contains("NOT reproducible"))
        #expect(text.stderr.contains("out/number: content"))
    }

    @Test func aBatchOrAFailedFirstBuildIsRefusedClearly() throws {
        let check = try Check()
        let failing = try check.project("failing", ["false"])
        let failed = try check.cli.run(["build", failing, "--check"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("the first build ended FAILED; there is nothing to compare"))

        let batch = try GitRepository(at: check.home + "/batch")
        try batch.write("buildspec.yml", """
            version: 0.2
            batch:
              build-list:
                - identifier: one
            phases:
              build:
                commands: ["true"]
            """)
        try batch.commit("batch")
        let refused = try check.cli.run(["build", batch.path, "--check"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--check compares one build; this buildspec runs a batch (build-list)"))
    }
}
