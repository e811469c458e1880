import Foundation
import SlipwayTestSupport
import Testing
@testable import Specs

/// Every real buildspec in the compatibility corpus parses to a precise outcome: accepted
/// cleanly, or accepted with the named warnings; none is rejected, none crashes.
@Suite("Compatibility corpus: buildspec", .tags(.small))
struct BuildSpecCompatTests {
    /// Files with findings: the expected (severity, key path) list. Every other file must
    /// parse with no findings at all.
    static let expected: [String: [String]] = [
        "aws__amazon-ecs-agent__buildspecs__merge-build.yml": ["warning env.git-credential-helper"],
        "aws__aws-toolkit-jetbrains__buildspec__linuxUiTests.yml": ["warning cache.paths"],
        "aws__aws-toolkit-vscode__buildspec__release__50githubrelease.yml": ["warning phases.install.Commands"],
        "aws__copilot-cli__.release__buildspec_e2e.yml": ["warning batch.build-graph[0].env.privileged-mode"],
        "aws__s2n-tls__codebuild__spec__buildspec_generalbatch.yml": ["warning batch.build-list[0].env.compute-type"],
    ]

    static var directory: String { CompatCorpus.buildspecs }

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    func parse(_ name: String) throws -> (BuildSpec?, [Diagnostic]) {
        let text = try String(contentsOfFile: Self.directory + "/" + name, encoding: .utf8)
        return BuildSpec.parse(contents: text, file: name)
    }

    @Test func corpusIsPresent() {
        #expect(Self.files.count == 31, "expected 31 buildspecs in \(Self.directory)")
    }

    @Test(arguments: files)
    func parsesToItsExpectedOutcome(_ name: String) throws {
        let (spec, diagnostics) = try parse(name)
        #expect(spec != nil, "\(diagnostics)")
        #expect(diagnostics.map { "\($0.severity.rawValue) \($0.keyPath)" } == Self.expected[name] ?? [])
        #expect(diagnostics.allSatisfy { $0.file == name && $0.line >= 1 && $0.column >= 1 })
    }

    @Test func rawScalarsAndCommandShapesFromRealFiles() throws {
        let copilot = try #require(try parse("aws__copilot-cli__buildspec.yml").0)
        #expect(copilot.phase(.install)?.runtimeVersions.first?.value == RuntimeVersion(runtime: "golang", version: "1.14"))
        let java = try #require(try parse("aws__aws-sdk-java-v2__buildspecs__build.yml").0)
        #expect(java.phase(.install)?.runtimeVersions.first?.value.version == "$JAVA_RUNTIME")
        // A `- # comment` item is a null command and is skipped.
        let kdu = try #require(try parse("0019-KDU__springboot-aws-deploy__buildspec.yml").0)
        #expect(kdu.phases.flatMap(\.commands).allSatisfy { !$0.text.isEmpty })
        // A multi-line plain scalar arrives as one line.
        let tox = try #require(try parse("aws__sagemaker-python-sdk__buildspec-unittests.yml").0)
        #expect(tox.phases.flatMap(\.commands).allSatisfy { !$0.text.contains("\n") })
        // post_build with only `finally`.
        let sagemaker = try #require(try parse("aws__sagemaker-python-sdk__buildspec.yml").0)
        #expect(sagemaker.phase(.post_build)?.commands.isEmpty == true)
        #expect(sagemaker.phase(.post_build)?.finally.isEmpty == false)
        // The capitalised `Commands:` is ignored, so install has none.
        let release = try #require(try parse("aws__aws-toolkit-vscode__buildspec__release__50githubrelease.yml").0)
        #expect(release.phase(.install)?.commands.isEmpty == true)
        let vscode = try #require(try parse("aws__aws-toolkit-vscode__buildspec__linuxTests.yml").0)
        #expect(vscode.env.shell == .bash)
        #expect(vscode.runAs?.value == "codebuild-user")
        let e2e = try #require(try parse("aws__copilot-cli__.release__buildspec_e2e.yml").0)
        #expect(e2e.env.secrets.count == 3)
        #expect(e2e.batch?.kind == .buildGraph)
        let report = try #require(try parse("tetsuo-nobe__codebuild-test-report__buildspec.yaml").0)
        #expect(report.reports.first?.format == .junitXML)
        let jetbrains = try #require(try parse("aws__aws-toolkit-jetbrains__buildspec__linuxTests.yml").0)
        #expect(jetbrains.artifacts?.secondary.first?.artifact.discardPaths == true)
        #expect(jetbrains.env.variables.map(\.value) == ["true", "true"])
    }
}
