import Foundation
import SlipwayTestSupport
import Testing
@testable import Specs

/// Real files carry settings Slipway does not honour; each is named in a positioned warning,
/// the same way wherever it appears, and never silently dropped.
@Suite(.tags(.small)) struct IgnoredSettingTests {
    /// A `batch` section (written under `batch:` in a buildspec with one trivial phase) and the
    /// findings it must give, as `severity keyPath:line`, in order.
    struct BatchSettings: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var batch: String
        var findings: [String]

        var buildspec: String {
            "version: 0.2\nbatch:\n" + batch.split(separator: "\n").map { "  " + $0 + "\n" }.joined() + "phases:\n  build: { commands: [x] }\n"
        }
    }

    static let batchSettings = [
        // One warning per batch, at the first setting, in the build-list entries' words.
        BatchSettings(testDescription: "matrix compute settings warn once, like build-list ones", batch: """
            build-matrix:
              static:
                env:
                  image: aws/codebuild/standard:7.0
                  variables:
                    MODE: release
              dynamic:
                env:
                  compute-type: [ BUILD_GENERAL1_SMALL, BUILD_GENERAL1_LARGE ]
                  variables:
                    ARCH: [ amd64, arm64 ]
            """, findings: ["warning batch.build-matrix.static.env.image:6"]),
        BatchSettings(testDescription: "a dynamic matrix's images warn at their position", batch: """
            build-matrix:
              dynamic:
                env:
                  image: [ a, b ]
            """, findings: ["warning batch.build-matrix.dynamic.env.image:6"]),
        BatchSettings(testDescription: "build-list settings still warn once per entry", batch: """
            build-list:
              - identifier: a
                env:
                  compute-type: BUILD_GENERAL1_LARGE
              - identifier: b
                env:
                  image: other
                debug-session: true
            """, findings: ["warning batch.build-list[0].env.compute-type:6", "warning batch.build-list[1].debug-session:10"]),
        BatchSettings(testDescription: "a Windows matrix environment is refused", batch: """
            build-matrix:
              static:
                env:
                  type: WINDOWS_SERVER_2019_CONTAINER
            """, findings: ["error batch.build-matrix.static.env.type:6"]),
    ]

    @Test(arguments: batchSettings)
    func batchSettingsAreNamedWhereTheyStand(_ settings: BatchSettings) throws {
        let (spec, diagnostics) = parse(settings.buildspec)
        #expect(diagnostics.map { "\($0.severity.rawValue) \($0.keyPath):\($0.line)" } == settings.findings, "\(diagnostics)")
        #expect((spec == nil) == diagnostics.hasErrors)
        for warning in diagnostics where warning.severity == .warning && warning.keyPath.contains("build-matrix") {
            #expect(warning.message.contains("'\(warning.keyPath.split(separator: ".").last!)' and the other compute settings of batch entries are ignored"))
        }
    }

    @Test func matrixVariablesCombineStaticAndDynamic() throws {
        // Static variables reach every combination; dynamic ones vary.
        let entries = try #require(parse(Self.batchSettings[0].buildspec).0?.batch?.entries)
        #expect(entries.map { $0.variables } == [["MODE": "release", "ARCH": "amd64"], ["MODE": "release", "ARCH": "arm64"]])
    }

    @Test func templatedJSONAppspecIsRecognisedByContentAndRefused() throws {
        // Tabs between tokens, as in real templated files, and a name that says nothing.
        let template = "{\n \t\"version\": 0.0,\n \t\"Resources\": [{\n \t\t\"LambdaFunction\": {\n \t\t\t\"Type\": \"AWS::Lambda::Function\"\n \t\t}\n \t}]\n}"
        #expect(SpecKind.detect(contents: template, file: "templates__appspec.json.tpl") == .appspec)
        let (spec, diagnostics) = AppSpec.parse(contents: template, file: "templates__appspec.json.tpl")
        #expect(spec == nil)
        let error = try #require(diagnostics.first { $0.severity == .error })
        #expect(error.message.contains("ECS or Lambda appspec"))
        #expect(error.line == 3)
    }
}
