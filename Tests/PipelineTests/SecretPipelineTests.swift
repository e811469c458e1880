import Foundation
import SlipwayTestSupport
import Testing

/// `slipway secret` end to end: stored sealed, listed by name, handed to a pipeline's build
/// only where slipway.yml maps it, masked in the run's log and absent from the state.
@Suite(.tags(.large))
struct SecretPipelineTests {
    func slipway(_ f: PipelineFixture, _ arguments: String, stdin: String? = nil) throws -> ProgramOutput {
        let command = (stdin.map { "printf '%s\\n' '\($0)' | " } ?? "") + "'\(SlipwayCommand.binary)' \(arguments)"
        return try Program.run("/bin/sh", ["-c", command], environment: ["SLIPWAY_HOME": f.home.path])
    }

    @Test func aMappedSecretReachesTheBuildMaskedAndIsStoredNowhereInClear() throws {
        let value = "npm_Sekr3t value/42"
        let f = try PipelineFixture(buildspec: """
            version: 0.2
            phases:
              build:
                commands:
                  - echo "token=$NPM_TOKEN"
                  - echo "url=https://registry.example/?t=npm_Sekr3t%20value%2F42"
                  - '[ "$NPM_TOKEN" = "\(value)" ]'
                  - '[ -z "$UNMAPPED" ]'
                  - mkdir -p site && cp content site/index.html
            artifacts:
              files: [ 'site/**/*', appspec.yml ]
            """)
        try f.write("slipway.yml", """
            name: site
            build:
              secrets: { NPM_TOKEN: npm-token }
            stages:
              - name: live
                targets: [\(f.target)]
            """)
        _ = try f.commit("with secrets")

        let set = try slipway(f, "secret set npm-token --pipeline site", stdin: value)
        #expect(set.status == 0, "\(set.stderr)")
        #expect(try slipway(f, "secret set unused", stdin: "never-given-to-builds").status == 0)
        let list = try slipway(f, "secret ls --pipeline site --json")
        #expect(list.stdout.contains("\"npm-token\"") && !list.stdout.contains("Sekr3t"), "\(list.stdout)")

        let run = try slipway(f, "run '\(f.repository)'")
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let logs = try slipway(f, "logs 1")
        #expect(logs.stdout.contains("token=***"), "\(logs.stdout)")
        #expect(logs.stdout.contains("url=https://registry.example/?t=***"))
        #expect(!logs.stdout.contains("Sekr3t"))
        #expect(f.served() == "one")

        // Nowhere under the home, database and build records included, holds the value.
        let files = FileManager.default.enumerator(atPath: f.home.path)!.compactMap { $0 as? String }
        for file in files {
            guard let data = FileManager.default.contents(atPath: f.home.path + "/" + file) else { continue }
            #expect(data.range(of: Data("Sekr3t".utf8)) == nil, "\(file) holds the secret")
        }

        // A mapped secret that is missing fails the build stage, naming what to do.
        #expect(try slipway(f, "secret rm npm-token --pipeline site").status == 0)
        #expect(try slipway(f, "secret rm npm-token --pipeline site").status == 2)
        try f.write("content", "two")
        _ = try f.commit("second")
        let failed = try slipway(f, "run '\(f.repository)'")
        #expect(failed.status == 1)
        #expect(try slipway(f, "logs 2").stdout.contains("slipway secret set 'npm-token' --pipeline site"))
    }

    @Test func aBadSecretsMappingIsReportedWithItsPosition() throws {
        let f = try PipelineFixture()
        try f.write("slipway.yml", "name: site\nbuild:\n  secrets:\n    9BAD: x\n")
        let out = try SlipwayCommand().run(["validate", f.repository + "/slipway.yml"])
        #expect(out.status == 1)
        #expect(out.stdout.contains("slipway.yml:4:5: error: '9BAD' is not an environment variable name"), "\(out.stdout)")
    }
}
