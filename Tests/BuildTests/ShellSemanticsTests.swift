import Foundation
import SlipwayTestSupport
import Specs
import Testing
@testable import Build

/// formats.md's buildspec rules, each pinned by a tiny buildspec run through the generated
/// scripts with the host's /bin/sh (dash on Debian, as in the images).
@Suite("Buildspec shell semantics", .tags(.medium))
struct ShellSemanticsTests {
    /// A buildspec's phases (its `env` and `version`) run on the host, and what the run must
    /// show: lines its output has (`shows`, whole lines; `mentions`, within a line) and has not
    /// (`hides`), how many times a line comes (`counts`), how phases end, how many commands
    /// the log says it ran, how often the first phase was retried, and whether the artifacts
    /// were collected.
    struct Case: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var phases: String
        var env: String? = nil
        var version = "0.2"
        /// The variables the runner passes (the buildspec's own, as it would).
        var environment: [(String, String)] = []
        var shows: [String] = []
        var mentions: [String] = []
        var hides: [String] = []
        var counts: [String: Int] = [:]
        var ends: [BuildPhase.Name: BuildStatus] = [:]
        var ranCommands: Int? = nil
        var retries: Int? = nil
        var collected: Bool? = nil
    }

    static let cases: [Case] = [
        Case(testDescription: "the working directory and variables persist across commands and phases; children see exported ones", phases: """
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
            """, shows: ["pwd=dir plain=plain-value", "child sees with 'quotes' and newline", "plain-not-exported"], ends: [.build: .succeeded]),
        Case(testDescription: "multi-line values survive the state file", phases: """
            build:
              commands:
                - |
                  V='line one
                  line two'
                - printf '%s|' "$V"; echo
            """, shows: ["line one", "line two|"], hides: ["line one|"]),
        Case(testDescription: "functions and set options do not persist", phases: """
            build:
              commands:
                - greet() { echo hello; }; greet
                - set -e
                - greet || echo no-function
                - false; echo set-e-did-not-carry-over
            """, shows: ["hello", "no-function", "set-e-did-not-carry-over"], ends: [.build: .succeeded]),
        Case(testDescription: "a block is one command and only its last status counts", phases: """
            build:
              commands:
                - |
                  false
                  echo after-false
            """, shows: ["after-false"], ends: [.build: .succeeded], ranCommands: 1),
        Case(testDescription: "a block fails on its last command", phases: """
            build:
              commands:
                - |
                  true
                  false
            """, ends: [.build: .failed]),
        Case(testDescription: "exit inside a command still saves the state", phases: """
            build:
              on-failure: CONTINUE
              commands:
                - X=kept; exit 3
            post_build:
              commands:
                - echo "x=$X"
            """, shows: ["x=kept"], mentions: ["Reason: exit status 3"], ends: [.build: .failed]),
        Case(testDescription: "a failing command skips the rest of the phase, but finally runs", phases: """
            build:
              commands:
                - echo one
                - false
                - echo never
              finally:
                - echo cleanup
            """, shows: ["one", "cleanup"], hides: ["never"], ends: [.build: .failed]),
        Case(testDescription: "a failing finally fails the phase", phases: """
            build:
              commands:
                - echo fine
              finally:
                - exit 4
                - echo not-after-failed-finally
            """, hides: ["not-after-failed-finally"], ends: [.build: .failed]),
        Case(testDescription: "a failing install skips every later phase; nothing is collected", phases: """
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
            """, ends: [.install: .failed, .pre_build: .skipped, .build: .skipped, .post_build: .skipped], collected: false),
        Case(testDescription: "a failing pre_build skips build and post_build", phases: """
            pre_build:
              commands: [ "false" ]
            build:
              commands: [ echo build ]
            post_build:
              commands: [ echo post ]
            """, ends: [.build: .skipped, .post_build: .skipped]),
        Case(testDescription: "post_build runs after a failed build and sees CODEBUILD_BUILD_SUCCEEDING=0; artifact upload is attempted", phases: """
            install:
              commands:
                - echo "install succeeding=$CODEBUILD_BUILD_SUCCEEDING"
            build:
              commands:
                - false
            post_build:
              commands:
                - echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"
            """, shows: ["install succeeding=1", "post succeeding=0"], ends: [.post_build: .succeeded], collected: true),
        Case(testDescription: "on-failure CONTINUE goes on to the next phase", phases: """
            install:
              on-failure: CONTINUE
              commands:
                - false
            build:
              commands:
                - echo "built succeeding=$CODEBUILD_BUILD_SUCCEEDING"
            """, shows: ["built succeeding=0"], ends: [.install: .failed]),
        Case(testDescription: "RETRY runs the phase again, up to the count", phases: """
            install:
              on-failure: RETRY-2
              commands:
                - n=$((${n:-0}+1)); echo "attempt $n"; [ $n -ge 3 ]
            """, shows: ["attempt 3"], ends: [.install: .succeeded], retries: 2),
        Case(testDescription: "RETRY gives up after the count", phases: """
            install:
              on-failure: RETRY-1
              commands:
                - echo try; false
            build:
              commands: [ echo build ]
            """, counts: ["try": 2], ends: [.install: .failed, .build: .skipped]),
        Case(testDescription: "RETRY with a pattern retries a failure that matches it", phases: """
            build:
              on-failure: RETRY-2-exit status 7
              commands:
                - echo try; exit 7
            """, counts: ["try": 3]),
        Case(testDescription: "RETRY with a pattern does not retry another failure", phases: """
            build:
              on-failure: RETRY-exit status 7
              commands:
                - echo try; exit 1
            """, counts: ["try": 1]),
        Case(testDescription: "environment variables are literal", phases: """
            build:
              commands:
                - echo "literal=$LITERAL"
                - echo "quoted=$QUOTED"
            """, env: """
            variables:
              LITERAL: $PATH:/x
              QUOTED: "it's $(echo no)"
            """, environment: [("LITERAL", "$PATH:/x"), ("QUOTED", "it's $(echo no)")],
             shows: ["literal=$PATH:/x", "quoted=it's $(echo no)"]),
        Case(testDescription: "version 0.1 runs each command in a fresh shell", phases: """
            build:
              commands:
                - X=1; mkdir -p d; cd d
                - echo "x=${X:-unset} dir=$(basename $(pwd))"
            """, version: "0.1", shows: ["x=unset dir=src"]),
        Case(testDescription: "output without a trailing newline is kept apart from the markers", phases: """
            build:
              commands:
                - printf no-newline
            """, shows: ["no-newline"], ends: [.build: .succeeded]),
        Case(testDescription: "the default shell is POSIX sh", phases: """
            build:
              commands:
                - echo "bash=${BASH_VERSION:-none}"
            """, shows: ["bash=none"]),
        Case(testDescription: "bash on request; arrays do not persist, plain variables do", phases: """
            build:
              commands:
                - if [[ "abc" =~ ^a ]]; then echo bash-regex; fi
                - arr=(one two); V="multi
                  line"
                - echo "second=${arr[1]:-gone} v=$V"
            """, env: "shell: bash", shows: ["bash-regex", "second=gone v=multi line"]),
        // An unterminated here-document swallows nothing of Slipway's.
        Case(testDescription: "here-documents and traps in commands keep the state model", phases: """
            build:
              commands:
                - |
                  AFTER=kept
                  cat <<EOF
                  hello $AFTER
                  EOF
                - echo "after=$AFTER"
                - cat <<'EOF'
            """, shows: ["hello kept", "after=kept"], ends: [.build: .succeeded]),
    ]

    @Test(arguments: cases)
    func semantics(_ c: Case) throws {
        let run = try HostDriver.run(phases: c.phases, env: c.env, version: c.version, environment: c.environment)
        for line in c.shows { #expect(run.lines.contains(line), "no line '\(line)' in:\n\(run.output)") }
        for text in c.mentions { #expect(run.lines.contains { $0.contains(text) }, "no '\(text)' in:\n\(run.output)") }
        for line in c.hides { #expect(!run.lines.contains(line), "a line '\(line)' in:\n\(run.output)") }
        for (line, count) in c.counts { #expect(run.lines.filter { $0 == line }.count == count, "'\(line)' in:\n\(run.output)") }
        for (phase, status) in c.ends { #expect(run.status(phase) == status, "\(phase)") }
        if let ranCommands = c.ranCommands { #expect(run.lines.filter { $0.contains("Running command") }.count == ranCommands) }
        if let retries = c.retries { #expect(run.phases.first?.retries == retries) }
        if let collected = c.collected { #expect(run.state.collected == collected) }
    }

    @Test func exportedVariablesAreTheFinalValues() throws {
        let run = try HostDriver.run(phases: """
            build:
              commands:
                - VERSION=1
            post_build:
              commands:
                - VERSION="$VERSION.2"
            """, env: "exported-variables: [ VERSION, NEVER_SET ]")
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
        let run = try HostDriver.run(phases: """
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
}
