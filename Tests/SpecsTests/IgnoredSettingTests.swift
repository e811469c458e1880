import Foundation
import SlipwayTestSupport
import Testing
@testable import Specs

/// Real files carry settings Slipway does not honour; each is named in a positioned warning,
/// the same way wherever it appears, and never silently dropped.
@Suite(.tags(.small)) struct IgnoredSettingTests {
    @Test func matrixComputeSettingsWarnLikeBuildListOnes() throws {
        let (spec, diagnostics) = parse("""
            version: 0.2
            batch:
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
            phases:
              build: { commands: [x] }
            """)
        let warnings = diagnostics.filter { $0.severity == .warning }
        // One warning per batch, at the first setting, in the build-list entries' words.
        #expect(warnings.count == 1, "\(diagnostics)")
        let warning = try #require(warnings.first)
        #expect(warning.keyPath == "batch.build-matrix.static.env.image")
        #expect(warning.line == 6)
        #expect(warning.message.contains("'image' and the other compute settings of batch entries are ignored"))
        // Static variables reach every combination; dynamic ones vary.
        let entries = try #require(spec?.batch?.entries)
        #expect(entries.map { $0.variables } == [["MODE": "release", "ARCH": "amd64"], ["MODE": "release", "ARCH": "arm64"]])
    }

    @Test func dynamicMatrixImagesWarnAtTheirPosition() throws {
        let (_, diagnostics) = parse("""
            version: 0.2
            batch:
              build-matrix:
                dynamic:
                  env:
                    image: [ a, b ]
            phases:
              build: { commands: [x] }
            """)
        let warning = try #require(diagnostics.first { $0.severity == .warning })
        #expect(warning.keyPath == "batch.build-matrix.dynamic.env.image")
        #expect(warning.line == 6)
    }

    @Test func buildListSettingsStillWarnOnce() throws {
        let (_, diagnostics) = parse("""
            version: 0.2
            batch:
              build-list:
                - identifier: a
                  env:
                    compute-type: BUILD_GENERAL1_LARGE
                - identifier: b
                  env:
                    image: other
                  debug-session: true
            phases:
              build: { commands: [x] }
            """)
        let warnings = diagnostics.filter { $0.severity == .warning }
        #expect(warnings.map(\.keyPath) == ["batch.build-list[0].env.compute-type", "batch.build-list[1].debug-session"])
    }

    @Test func windowsMatrixEnvironmentIsRefused() throws {
        let (spec, diagnostics) = parse("""
            version: 0.2
            batch:
              build-matrix:
                static:
                  env:
                    type: WINDOWS_SERVER_2019_CONTAINER
            phases:
              build: { commands: [x] }
            """)
        #expect(spec == nil)
        #expect(diagnostics.contains { $0.severity == .error && $0.keyPath == "batch.build-matrix.static.env.type" })
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
