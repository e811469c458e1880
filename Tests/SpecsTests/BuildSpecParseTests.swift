import SlipwayTestSupport
import Testing
@testable import Specs

/// The buildspec parsing rules of formats.md, each with a tiny file.
@Suite("Buildspec parsing", .tags(.small))
struct BuildSpecParseTests {
    @Test func runtimeVersionsKeepTheirRawText() throws {
        let (spec, _) = parse("""
            version: 0.2
            phases:
              install:
                runtime-versions:
                  python: 3.10
                  golang: 1.20
                  nodejs: 18
            """)
        let versions = try #require(spec?.phase(.install)?.runtimeVersions.map(\.value))
        #expect(versions == [RuntimeVersion(runtime: "python", version: "3.10"), RuntimeVersion(runtime: "golang", version: "1.20"),
                             RuntimeVersion(runtime: "nodejs", version: "18")])
    }

    @Test func versionMayBeAFloatOrAString() {
        #expect(parse("version: 0.2\nphases:\n  build:\n    commands: [true]\n").0?.version == "0.2")
        #expect(parse("version: \"0.2\"\nphases:\n  build:\n    commands: [true]\n").0?.version == "0.2")
        #expect(parse("---\nversion: 0.2\nphases:\n  build:\n    commands: [true]\n").0 != nil, "a leading --- is fine")
    }

    /// A buildspec that draws a diagnostic, and what the first diagnostic of its severity must
    /// say: its key path, its position where pinned, words of its message; and whether the
    /// spec is refused (nil) or kept.
    struct Diagnosed: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var text: String
        var severity: Diagnostic.Severity
        var keyPath: String? = nil
        var line: Int? = nil
        var column: Int? = nil
        var says: String? = nil
        var refused: Bool
    }

    static let diagnosed = [
        Diagnosed(testDescription: "a missing version is an error", text: "phases:\n  build:\n    commands: [true]\n",
                  severity: .error, keyPath: "version", refused: true),
        Diagnosed(testDescription: "an unknown version is an error", text: "version: 0.3\nphases: {}\n", severity: .error, says: "0.3",
                  refused: true),
        Diagnosed(testDescription: "a miscased key warns with the right spelling and its position", text: BuildspecText.make(phases: """
            install:
              Commands:
                - echo hi
            """), severity: .warning, keyPath: "phases.install.Commands", line: 4, column: 5, says: "did you mean 'commands'", refused: false),
        Diagnosed(testDescription: "a command read as a mapping is an error saying to quote it", text: BuildspecText.make(phases: """
            build:
              commands:
                - echo key: value
            """), severity: .error, keyPath: "phases.build.commands[0]", line: 5, says: "quotes", refused: true),
        Diagnosed(testDescription: "an unknown phase warns", text: BuildspecText.make(phases: "test:\n  commands: [x]"), severity: .warning,
                  keyPath: "phases.test", refused: false),
        Diagnosed(testDescription: "an unknown on-failure is an error at its line",
                  text: BuildspecText.make(phases: "build:\n  on-failure: IGNORE\n  commands: [x]"), severity: .error,
                  keyPath: "phases.build.on-failure", line: 4, refused: true),
        Diagnosed(testDescription: "a Windows shell is refused", text: BuildspecText.make(phases: "build: { commands: [dir] }", env: "shell: powershell.exe"),
                  severity: .error, keyPath: "env.shell", says: "Windows", refused: true),
        Diagnosed(testDescription: "artifacts need files", text: BuildspecText.make(phases: "build: { commands: [x] }", after: "artifacts:\n  name: x"),
                  severity: .error, keyPath: "artifacts.files", refused: true),
        Diagnosed(testDescription: "an unknown cache action is an error",
                  text: BuildspecText.make(phases: "build: { commands: [x] }", after: "cache:\n  paths: [a]\n  action: both"),
                  severity: .error, keyPath: "cache.action", refused: true),
    ]

    @Test(arguments: diagnosed)
    func diagnostic(_ d: Diagnosed) throws {
        let (spec, diagnostics) = parse(d.text)
        #expect((spec == nil) == d.refused, "\(diagnostics)")
        let found = try #require(diagnostics.first { $0.severity == d.severity }, "\(diagnostics)")
        if !d.refused { #expect(diagnostics.first == found, "the spec is kept: its first diagnostic is this \(d.severity)") }
        if let keyPath = d.keyPath { #expect(found.keyPath == keyPath) }
        if let line = d.line { #expect(found.line == line) }
        if let column = d.column { #expect(found.column == column) }
        if let says = d.says { #expect(found.message.contains(says), "\(found.message)") }
        #expect(found.description == "buildspec.yml:\(found.line):\(found.column): \(d.severity.rawValue): \(found.message)"
                + (found.keyPath.isEmpty ? "" : " (\(found.keyPath))"))
    }

    @Test func blockIsOneCommandAndFoldedOrPlainMultiLineIsOneLine() throws {
        let (spec, _) = parse("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    echo a
                    echo b
                  - >
                    docker run
                    --rm image
                  - tox -e py
                    --parallel
                  -
                  - # a comment item is null
                  - echo last
            """)
        let commands = try #require(spec?.phase(.build)?.commands.map(\.text))
        #expect(commands == ["echo a\necho b\n", "docker run --rm image\n", "tox -e py --parallel", "echo last"])
    }

    @Test func scalarCommandsIsAOneItemList() throws {
        let (spec, _) = parse("version: 0.2\nphases:\n  build:\n    commands: make\n")
        #expect(spec?.phase(.build)?.commands.map(\.text) == ["make"])
    }

    @Test func phasesRunInCanonicalOrderWhateverTheFileOrder() {
        let (spec, _) = parse("""
            version: 0.2
            phases:
              post_build: { commands: [c] }
              build: { commands: [b] }
              install: { commands: [a] }
            """)
        #expect(spec?.phases.map(\.name) == [.install, .build, .post_build])
    }

    @Test func onFailureForms() {
        #expect(OnFailure(text: "ABORT") == .abort)
        #expect(OnFailure(text: "CONTINUE") == .continue)
        #expect(OnFailure(text: "RETRY") == .retry(count: 3, pattern: nil))
        #expect(OnFailure(text: "RETRY-5") == .retry(count: 5, pattern: nil))
        #expect(OnFailure(text: "RETRY-timeout.*") == .retry(count: 3, pattern: "timeout.*"))
        #expect(OnFailure(text: "RETRY-2-exit status 1") == .retry(count: 2, pattern: "exit status 1"))
        #expect(OnFailure(text: "RETRY-101") == nil)
        #expect(OnFailure(text: "abort") == nil)
    }

    @Test func yamlBooleansAreReadFromRawText() throws {
        let (spec, _) = parse(env: """
            variables:
              CI: true
              ANSWER: yes
            """, after: """
            artifacts:
              files: ['**/*']
              discard-paths: yes
              enable-symlinks: no
            """)
        #expect(spec?.artifacts?.discardPaths == true)
        #expect(spec?.artifacts?.enableSymlinks == false)
        #expect(spec?.env.variables.map(\.value) == ["true", "yes"], "variables stay text")
    }

    @Test func shellDefaultsToShAndBashOnRequest() {
        #expect(parse().0?.env.shell == .sh)
        #expect(parse(env: "shell: bash").0?.env.shell == .bash)
    }

    @Test func secretsKeepTheirReferenceAndPosition() throws {
        let (spec, _) = parse(env: """
            parameter-store:
              TOKEN: /ci/token
            secrets-manager:
              DOCKER_USER: prod/docker:username
            """)
        let secrets = try #require(spec?.env.secrets)
        #expect(secrets.map(\.reference) == ["/ci/token", "prod/docker:username"])
        #expect(secrets[0].location == SpecLocation(line: 4, column: 12, keyPath: "env.parameter-store.TOKEN"))
        #expect(secrets[1].store == .secretsManager)
    }

    @Test func secondaryArtifactsAreRead() throws {
        let (spec, _) = parse(after: """
            artifacts:
              files: [a]
              secondary-artifacts:
                docs:
                  files: ['docs/**/*']
                  base-directory: out
                  exclude-paths: ['**/*.tmp']
            """)
        let docs = try #require(spec?.artifacts?.secondary.first)
        #expect(docs.id == "docs")
        #expect(docs.artifact.baseDirectory == "out")
        #expect(docs.artifact.excludePaths == ["**/*.tmp"])
    }

    @Test func cacheAndReportsAreRead() throws {
        let (spec, diagnostics) = parse(after: """
            cache:
              key: deps-$VERSION
              fallback-keys: [deps-, other-]
              action: restore
              paths: [node_modules/**/*]
            reports:
              unit:
                files: ['**/*.xml']
                base-directory: reports/
                file-format: JunitXml
            """)
        #expect(diagnostics.isEmpty)
        #expect(spec?.cache == CacheSpec(paths: ["node_modules/**/*"], key: "deps-$VERSION", fallbackKeys: ["deps-", "other-"], action: .restore))
        #expect(spec?.reports.first?.format == .junitXML)
    }

    @Test func buildMatrixExpandsEveryCombination() throws {
        let (spec, diagnostics) = parse("""
            version: 0.2
            batch:
              build-matrix:
                static:
                  ignore-failure: yes
                dynamic:
                  buildspec: [ a.yml, b.yml ]
                  env:
                    variables:
                      LANG_VERSION: [ "3.10", "3.12" ]
                      OS: [ linux ]
            phases:
              build: { commands: [x] }
            """)
        #expect(diagnostics.isEmpty)
        let entries = try #require(spec?.batch?.entries)
        #expect(entries.map(\.identifier) == ["build1", "build2", "build3", "build4"])
        #expect(entries.map(\.buildspec) == ["a.yml", "a.yml", "b.yml", "b.yml"])
        #expect(entries.map { $0.variables["LANG_VERSION"] } == ["3.10", "3.12", "3.10", "3.12"])
        #expect(entries.allSatisfy { $0.ignoreFailure && $0.variables["OS"] == "linux" })
    }

    @Test func invalidYamlReportsItsPosition() throws {
        let (spec, diagnostics) = parse("version: 0.2\nphases:\n  build:\n    commands:\n      - \"unterminated\n")
        #expect(spec == nil)
        let error = try #require(diagnostics.first)
        #expect(error.message.hasPrefix("invalid YAML"))
        #expect(error.line > 1)
    }

    @Test func kindIsDetectedFromContent() {
        #expect(SpecKind.detect(contents: "version: 0.2\nphases: {}\n", file: "x.yml") == .buildspec)
        #expect(SpecKind.detect(contents: "version: 0.0\nos: linux\n", file: "x.yml") == .appspec)
        #expect(SpecKind.detect(contents: "stages: []\n", file: "x.yml") == .pipeline)
        #expect(SpecKind.detect(contents: "{\"version\": 0.0, \"Resources\": []}", file: "x.json") == .appspec)
        #expect(SpecKind.detect(contents: "foo: 1\n", file: "notes.yml") == nil)
    }
}
