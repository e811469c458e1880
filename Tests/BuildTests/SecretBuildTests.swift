import Foundation
import SlipwayTestSupport
import Testing
@testable import Build

/// Secret variables a pipeline maps (`build.secrets`) reach the build masked, and never key
/// its result.
@Suite("Secret variables in builds", .tags(.medium), .serialized)
struct SecretBuildTests {
    @Test func urlEncodedFormsAreMasked() {
        let masker = SecretMasker(secrets: ["p@ss word/+1"])
        #expect(masker.apply("https://u:p%40ss%20word%2F%2B1@host/") == "https://u:***@host/")
        #expect(masker.apply("pw=p%40ss+word%2f%2b1&x=1") == "pw=***&x=1")
        #expect(masker.apply("plain p@ss word/+1") == "plain ***")
    }

    @Test func mappedSecretsAreSetMaskedAndKeptOutOfTheResultKey() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo "token=$NPM_TOKEN"
                - mkdir -p out && echo built > out/a.txt
                - '[ -n "$NPM_TOKEN" ]'
            """, after: """
            artifacts:
              files: [ 'out/*' ]
            """)
        let first = try f.build { $0.secretVariables = ["NPM_TOKEN": "npm_first-secret-value"] }
        let log = f.log(first)
        #expect(first.status == .succeeded, "\(log)")
        #expect(log.contains("token=***") && !log.contains("npm_first-secret-value"))
        let result = try String(contentsOfFile: (first.logPath as NSString).deletingLastPathComponent + "/result.json", encoding: .utf8)
        #expect(!result.contains("npm_first-secret-value"))
        // A rotated secret is not a new input: the result is reused.
        let second = try f.build { $0.secretVariables = ["NPM_TOKEN": "npm_rotated-value"] }
        #expect(second.cache.result == .hit)
        // Which variables are secret is part of the key.
        let third = try f.build { $0.secretVariables = ["NPM_TOKEN": "npm_rotated-value", "OTHER": "x-secret"] }
        #expect(third.cache.result != .hit)
    }
}
