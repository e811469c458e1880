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

    @Test func missingOrUnknownVersionIsAnError() {
        let (spec, diagnostics) = parse("phases:\n  build:\n    commands: [true]\n")
        #expect(spec == nil)
        #expect(diagnostics.contains { $0.severity == .error && $0.keyPath == "version" })
        let (_, unknown) = parse("version: 0.3\nphases: {}\n")
        #expect(unknown.first { $0.severity == .error }?.message.contains("0.3") == true)
    }

    @Test func miscasedKeyWarnsWithTheRightSpellingAndPosition() throws {
        let (spec, diagnostics) = parse("""
            version: 0.2
            phases:
              install:
                Commands:
                  - echo hi
            """)
        #expect(spec != nil)
        let warning = try #require(diagnostics.first)
        #expect(warning.severity == .warning)
        #expect(warning.line == 4 && warning.column == 5)
        #expect(warning.keyPath == "phases.install.Commands")
        #expect(warning.message.contains("did you mean 'commands'"))
        #expect(warning.description == "buildspec.yml:4:5: warning: \(warning.message) (phases.install.Commands)")
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

    @Test func commandReadAsAMappingIsAnErrorSayingToQuote() throws {
        let (spec, diagnostics) = parse("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo key: value
            """)
        #expect(spec == nil)
        let error = try #require(diagnostics.first { $0.severity == .error })
        #expect(error.keyPath == "phases.build.commands[0]")
        #expect(error.line == 5)
        #expect(error.message.contains("quotes"))
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

    @Test func unknownPhaseWarns() {
        let (_, diagnostics) = parse("version: 0.2\nphases:\n  test:\n    commands: [x]\n")
        #expect(diagnostics.contains { $0.severity == .warning && $0.keyPath == "phases.test" })
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
        let (_, diagnostics) = parse("version: 0.2\nphases:\n  build:\n    on-failure: IGNORE\n    commands: [x]\n")
        #expect(diagnostics.contains { $0.severity == .error && $0.keyPath == "phases.build.on-failure" && $0.line == 4 })
    }

    @Test func yamlBooleansAreReadFromRawText() throws {
        let (spec, _) = parse("""
            version: 0.2
            phases:
              build: { commands: [x] }
            artifacts:
              files: ['**/*']
              discard-paths: yes
              enable-symlinks: no
            env:
              variables:
                CI: true
                ANSWER: yes
            """)
        #expect(spec?.artifacts?.discardPaths == true)
        #expect(spec?.artifacts?.enableSymlinks == false)
        #expect(spec?.env.variables.map(\.value) == ["true", "yes"], "variables stay text")
    }

    @Test func windowsShellIsRefused() throws {
        let (spec, diagnostics) = parse("version: 0.2\nenv:\n  shell: powershell.exe\nphases:\n  build: { commands: [dir] }\n")
        #expect(spec == nil)
        let error = try #require(diagnostics.first { $0.severity == .error })
        #expect(error.keyPath == "env.shell")
        #expect(error.message.contains("Windows"))
    }

    @Test func shellDefaultsToShAndBashOnRequest() {
        #expect(parse("version: 0.2\nphases:\n  build: { commands: [x] }\n").0?.env.shell == .sh)
        #expect(parse("version: 0.2\nenv:\n  shell: bash\nphases:\n  build: { commands: [x] }\n").0?.env.shell == .bash)
    }

    @Test func secretsKeepTheirReferenceAndPosition() throws {
        let (spec, _) = parse("""
            version: 0.2
            env:
              parameter-store:
                TOKEN: /ci/token
              secrets-manager:
                DOCKER_USER: prod/docker:username
            phases:
              build: { commands: [x] }
            """)
        let secrets = try #require(spec?.env.secrets)
        #expect(secrets.map(\.reference) == ["/ci/token", "prod/docker:username"])
        #expect(secrets[0].location == SpecLocation(line: 4, column: 12, keyPath: "env.parameter-store.TOKEN"))
        #expect(secrets[1].store == .secretsManager)
    }

    @Test func artifactsNeedFilesAndSecondaryArtifactsAreRead() throws {
        let (bad, diagnostics) = parse("version: 0.2\nphases:\n  build: { commands: [x] }\nartifacts:\n  name: x\n")
        #expect(bad == nil)
        #expect(diagnostics.contains { $0.keyPath == "artifacts.files" })
        let (spec, _) = parse("""
            version: 0.2
            phases:
              build: { commands: [x] }
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
        let (spec, diagnostics) = parse("""
            version: 0.2
            phases:
              build: { commands: [x] }
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
        let (_, badAction) = parse("version: 0.2\nphases:\n  build: { commands: [x] }\ncache:\n  paths: [a]\n  action: both\n")
        #expect(badAction.contains { $0.severity == .error && $0.keyPath == "cache.action" })
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
