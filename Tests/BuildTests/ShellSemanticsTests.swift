import Foundation
import SlipwayTestSupport
import Specs
import Testing
@testable import Build

/// formats.md's buildspec rules, each pinned by a tiny buildspec run through the generated
/// scripts with the host's /bin/sh (dash on Debian, as in the images).
@Suite("Buildspec shell semantics", .tags(.medium))
struct ShellSemanticsTests {
    @Test func workingDirectoryAndVariablesPersistAcrossCommandsAndPhases() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - mkdir -p sub/dir && cd sub
                  - PLAIN=plain-value
                  - export EXPORTED="with 'quotes' and
                    newline"
              build:
                commands:
                  - cd dir
                  - echo "pwd=$(basename $(pwd)) plain=$PLAIN"
                  - sh -c 'echo "child sees $EXPORTED"'
                  - test -z "$(sh -c 'echo $PLAIN')" && echo plain-not-exported
            """)
        #expect(run.status(.build) == .succeeded)
        #expect(run.lines.contains("pwd=dir plain=plain-value"))
        #expect(run.lines.contains("child sees with 'quotes' and newline"))
        #expect(run.lines.contains("plain-not-exported"))
    }

    @Test func multiLineValuesSurviveTheStateFile() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    V='line one
                    line two'
                  - printf '%s|' "$V"; echo
            """)
        #expect(run.lines.contains("line one|") == false)
        #expect(run.lines.contains("line one"))
        #expect(run.lines.contains("line two|"))
    }

    @Test func functionsAndSetOptionsDoNotPersist() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - greet() { echo hello; }; greet
                  - set -e
                  - greet || echo no-function
                  - false; echo set-e-did-not-carry-over
            """)
        #expect(run.lines.contains("hello"))
        #expect(run.lines.contains("no-function"))
        #expect(run.lines.contains("set-e-did-not-carry-over"))
        #expect(run.status(.build) == .succeeded)
    }

    @Test func blockIsOneCommandAndOnlyItsLastStatusCounts() throws {
        let passes = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    false
                    echo after-false
            """)
        #expect(passes.status(.build) == .succeeded)
        #expect(passes.lines.contains("after-false"))
        #expect(passes.lines.filter { $0.contains("Running command") }.count == 1)
        let fails = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    true
                    false
            """)
        #expect(fails.status(.build) == .failed)
    }

    @Test func exitInsideACommandStillSavesState() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                on-failure: CONTINUE
                commands:
                  - X=kept; exit 3
              post_build:
                commands:
                  - echo "x=$X"
            """)
        #expect(run.status(.build) == .failed)
        #expect(run.lines.contains("x=kept"))
        #expect(run.lines.contains { $0.contains("Reason: exit status 3") })
    }

    @Test func failingCommandSkipsTheRestOfThePhaseButFinallyRuns() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo one
                  - false
                  - echo never
                finally:
                  - echo cleanup
            """)
        #expect(run.lines.contains("one"))
        #expect(!run.lines.contains("never"))
        #expect(run.lines.contains("cleanup"))
        #expect(run.status(.build) == .failed)
    }

    @Test func failingFinallyFailsThePhase() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo fine
                finally:
                  - exit 4
                  - echo not-after-failed-finally
            """)
        #expect(run.status(.build) == .failed)
        #expect(!run.lines.contains("not-after-failed-finally"))
    }

    @Test func failingInstallSkipsEveryLaterPhase() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - false
              pre_build:
                commands:
                  - echo pre
              build:
                commands:
                  - echo build
              post_build:
                commands:
                  - echo post
            """)
        #expect(run.status(.install) == .failed)
        #expect(run.status(.pre_build) == .skipped)
        #expect(run.status(.build) == .skipped)
        #expect(run.status(.post_build) == .skipped)
        #expect(!run.state.collected)
    }

    @Test func failingPreBuildSkipsBuildAndPostBuild() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              pre_build:
                commands: [ "false" ]
              build:
                commands: [ echo build ]
              post_build:
                commands: [ echo post ]
            """)
        #expect(run.status(.build) == .skipped)
        #expect(run.status(.post_build) == .skipped)
    }

    @Test func postBuildRunsAfterFailedBuildAndSeesSucceedingZero() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                commands:
                  - echo "install succeeding=$CODEBUILD_BUILD_SUCCEEDING"
              build:
                commands:
                  - false
              post_build:
                commands:
                  - echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"
            """)
        #expect(run.lines.contains("install succeeding=1"))
        #expect(run.lines.contains("post succeeding=0"))
        #expect(run.status(.post_build) == .succeeded)
        #expect(run.state.collected, "artifact upload is attempted after a failed build")
    }

    @Test func onFailureContinueGoesOnToTheNextPhase() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                on-failure: CONTINUE
                commands:
                  - false
              build:
                commands:
                  - echo "built succeeding=$CODEBUILD_BUILD_SUCCEEDING"
            """)
        #expect(run.status(.install) == .failed)
        #expect(run.lines.contains("built succeeding=0"))
    }

    @Test func retryRunsThePhaseAgainUpToTheCount() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                on-failure: RETRY-2
                commands:
                  - n=$((${n:-0}+1)); echo "attempt $n"; [ $n -ge 3 ]
            """)
        #expect(run.lines.contains("attempt 3"))
        #expect(run.status(.install) == .succeeded)
        #expect(run.phases.first?.retries == 2)
    }

    @Test func retryGivesUpAfterTheCount() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              install:
                on-failure: RETRY-1
                commands:
                  - echo try; false
              build:
                commands: [ echo build ]
            """)
        #expect(run.lines.filter { $0 == "try" }.count == 2)
        #expect(run.status(.install) == .failed)
        #expect(run.status(.build) == .skipped)
    }

    @Test func retryWithRegexOnlyRetriesMatchingFailures() throws {
        let matching = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-2-exit status 7
                commands:
                  - echo try; exit 7
            """)
        #expect(matching.lines.filter { $0 == "try" }.count == 3)
        let other = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                on-failure: RETRY-exit status 7
                commands:
                  - echo try; exit 1
            """)
        #expect(other.lines.filter { $0 == "try" }.count == 1)
    }

    @Test func environmentVariablesAreLiteral() throws {
        let run = try HostDriver.run("""
            version: 0.2
            env:
              variables:
                LITERAL: $PATH:/x
                QUOTED: "it's $(echo no)"
            phases:
              build:
                commands:
                  - echo "literal=$LITERAL"
                  - echo "quoted=$QUOTED"
            """, environment: [("LITERAL", "$PATH:/x"), ("QUOTED", "it's $(echo no)")])
        #expect(run.lines.contains("literal=$PATH:/x"))
        #expect(run.lines.contains("quoted=it's $(echo no)"))
    }

    @Test func version01RunsEachCommandInAFreshShell() throws {
        let run = try HostDriver.run("""
            version: 0.1
            phases:
              build:
                commands:
                  - X=1; mkdir -p d; cd d
                  - echo "x=${X:-unset} dir=$(basename $(pwd))"
            """)
        #expect(run.lines.contains("x=unset dir=src"))
    }

    @Test func exportedVariablesAreTheFinalValues() throws {
        let run = try HostDriver.run("""
            version: 0.2
            env:
              exported-variables: [ VERSION, NEVER_SET ]
            phases:
              build:
                commands:
                  - VERSION=1
              post_build:
                commands:
                  - VERSION="$VERSION.2"
            """)
        #expect(run.exported == ["VERSION": "1.2", "NEVER_SET": ""])
    }

    @Test func artifactPathsExpandWithTheBuildsVariables() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - OUT=dist; NAME=app-1
            artifacts:
              files: [ '$OUT/**/*' ]
              name: ${NAME}.zip
            """)
        #expect(run.expanded == ["dist/**/*", "app-1.zip"])
    }

    @Test func logHasCodeBuildPhaseLines() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo hi
            """)
        let output = run.output
        #expect(output.contains("Entering phase BUILD"))
        #expect(output.contains("Running command echo hi"))
        #expect(output.contains("Phase complete: BUILD State: SUCCEEDED"))
        #expect(run.lines.first { $0.contains("Entering phase") }?.range(of: #"^\[Container\] \d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\.\d{3} "#, options: .regularExpression) != nil)
    }

    @Test func outputWithoutTrailingNewlineIsKeptApartFromMarkers() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - printf no-newline
            """)
        #expect(run.lines.contains("no-newline"))
        #expect(run.status(.build) == .succeeded)
    }

    @Test func defaultShellIsPosixShAndBashOnRequest() throws {
        let sh = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - echo "bash=${BASH_VERSION:-none}"
            """)
        #expect(sh.lines.contains("bash=none"))
        let bash = try HostDriver.run("""
            version: 0.2
            env:
              shell: bash
            phases:
              build:
                commands:
                  - if [[ "abc" =~ ^a ]]; then echo bash-regex; fi
                  - arr=(one two); V="multi
                    line"
                  - echo "second=${arr[1]:-gone} v=$V"
            """)
        #expect(bash.lines.contains("bash-regex"))
        #expect(bash.lines.contains("second=gone v=multi line"), "arrays do not persist; plain variables do")
    }

    @Test func hereDocumentsAndTrapsInCommandsKeepTheStateModel() throws {
        let run = try HostDriver.run("""
            version: 0.2
            phases:
              build:
                commands:
                  - |
                    AFTER=kept
                    cat <<EOF
                    hello $AFTER
                    EOF
                  - echo "after=$AFTER"
                  - cat <<'EOF'
            """)
        #expect(run.lines.contains("hello kept"))
        #expect(run.lines.contains("after=kept"))
        #expect(run.status(.build) == .succeeded, "an unterminated here-document swallows nothing of Slipway's")
    }
}
