import Archive
import Artifacts
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing
@testable import Build

/// Whole builds in the real sandbox on a busybox image.
@Suite("Builds in the sandbox", .tags(.medium), .serialized)
struct BuildRunnerTests {
    @Test func trivialBuildStoresItsArtifactWithProvenance() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - mkdir -p out && echo hello > out/hello.txt
                - GREETING=hi
            """, env: """
            exported-variables: [ GREETING ]
            """, after: """
            artifacts:
              files: [ 'out/*' ]
              name: hello-$GREETING
            """)
        let result = try f.build()
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(result.phases.map(\.status) == [.succeeded])
        #expect(result.exportedVariables == ["GREETING": "hi"])
        let artifact = try #require(result.artifacts.first)
        #expect(artifact.name == "hello-hi")
        #expect(artifact.files == 1)
        let record = try ArtifactStore(home: f.home).record(artifact.digest)
        #expect(record.provenance.buildID == result.buildID)
        #expect(record.provenance.imageDigest?.description == "sha256:" + String(repeating: "b", count: 64))
        #expect(record.provenance.buildspecDigest?.description.hasPrefix("sha256:") == true)
        #expect(ArtifactStore(home: f.home).referencedDigests().contains(artifact.digest))
        #expect(result.logPath.hasPrefix(f.home.builds))
        #expect(f.log(result).contains("Phase complete: BUILD State: SUCCEEDED"))
        #expect(result.buildID.hasPrefix("project:"))
    }

    @Test func builtinVariablesAndReproducibleSettings() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo "src=$CODEBUILD_SRC_DIR pwd=$(pwd) n=$CODEBUILD_BUILD_NUMBER tz=$TZ lc=$LC_ALL host=$(hostname) umask=$(umask)"
                - echo "commit=$CODEBUILD_RESOLVED_SOURCE_VERSION epoch=$SOURCE_DATE_EPOCH id=$CODEBUILD_BUILD_ID"
            """, git: true)
        let result = try f.build()
        let log = f.log(result)
        #expect(log.contains("src=/codebuild/output/src pwd=/codebuild/output/src n=1 tz=UTC lc=C.UTF-8 host=slipway-build umask=0022"), "\(log)")
        #expect(log.contains("commit=\(result.sourceCommit ?? "?") epoch=1704164645 id=\(result.buildID)"))
    }

    @Test func filesOutsideTheSourceLiveFromInstallToPostBuildAndSecondaryArtifactsCollectThem() throws {
        let f = try BuildFixture(phases: """
            install:
              commands:
                - mkdir -p /tmp/tools && echo tool > /tmp/tools/t.txt
            build:
              commands:
                - cat /tmp/tools/t.txt
                - mkdir -p /tmp/plugins/a && echo p1 > /tmp/plugins/a/one.zip && echo p2 > /tmp/plugins/two.zip
                - echo doc > README.md
            """, after: """
            artifacts:
              files: [ README.md ]
              secondary-artifacts:
                plugin:
                  files: [ '/tmp/plugins/**/*' ]
                  discard-paths: yes
                tools:
                  files: [ '**/*' ]
                  base-directory: /tmp/tools
            """)
        let result = try f.build()
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(result.artifacts.map(\.id) == ["primary", "plugin", "tools"])
        #expect(result.artifacts.map(\.files) == [1, 2, 1])
    }

    @Test func variablesAreLiteralAndOverridesWinInOrder() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo "literal=$LITERAL spec=$FROM_SPEC project=$PROJECT override=$OVERRIDE"
            """, env: """
            variables:
              LITERAL: $PATH:/x
              FROM_SPEC: spec
              PROJECT: spec
              OVERRIDE: spec
            """)
        let result = try f.build {
            $0.projectEnvironment = ["PROJECT": "project", "OVERRIDE": "project"]
            $0.environment = ["OVERRIDE": "run"]
        }
        #expect(f.log(result).contains("literal=$PATH:/x spec=spec project=project override=run"), "\(f.log(result))")
    }

    @Test func secondarySourcesAppearAtTheirOwnDirectory() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - cat "$CODEBUILD_SRC_DIR_tools/tool.txt"
                - echo "dir=$CODEBUILD_SRC_DIR_tools"
            """)
        let tools = f.root + "/tools"
        try makeDirectories(tools)
        try "the tool".write(toFile: tools + "/tool.txt", atomically: true, encoding: .utf8)
        let result = try f.build { $0.secondarySources = ["tools": tools] }
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(f.log(result).contains("\nthe tool\n"))
        #expect(f.log(result).contains("\ndir=/codebuild/output/src_tools\n"))
    }

    @Test func batchRunsListedBuildsInDependencyOrder() throws {
        let f = try BuildFixture(buildspec: """
            version: 0.2
            batch:
              fast-fail: false
              build-graph:
                - identifier: first
                  env:
                    variables: { WHO: first }
                - identifier: second
                  depend-on: [ first ]
                  env:
                    variables: { WHO: second }
                - identifier: broken
                  buildspec: broken.yml
                  ignore-failure: true
                - identifier: after_broken
                  depend-on: [ broken ]
            phases:
              build:
                commands:
                  - echo "I am $WHO"
            """, files: ["broken.yml": "version: 0.2\nphases:\n  build:\n    commands: [ \"false\" ]\n"])
        let runner = BuildRunner(home: f.home)
        let request = try f.request()
        let batch = try #require(try runner.batch(for: request))
        let result = try runner.runBatch(request, batch: batch) { _, _ in }
        #expect(result.builds.map(\.status) == [.succeeded, .succeeded, .failed, .skipped])
        #expect(result.status == .succeeded, "the failure is ignored")
        #expect(Set(result.builds.compactMap { $0.build?.buildNumber }).count == 3, "concurrent builds get distinct numbers")
        let second = try #require(result.builds[1].build)
        #expect(f.log(second).contains("I am second"))
    }

    @Test func plainDirectoryIsCopiedWithoutSlipwaysOwnState() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - ls -a | tr '\\n' ' '
            """, files: ["a.txt": "a"])
        // SLIPWAY_HOME inside the source: it must not copy itself into its own workspace.
        let result = try BuildRunner(home: SlipwayHome(path: f.source + "/.slipway")).run(try f.request()) { _ in }
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(f.log(result).contains(". .. a.txt buildspec.yml"))
    }

    @Test func artifactMatchingNothingFailsTheBuild() throws {
        let f = try BuildFixture(phases: """
            build:
              commands: [ "true" ]
            """, after: """
            artifacts:
              files: [ 'dist/**/*' ]
            """)
        let result = try f.build()
        #expect(result.status == .failed)
        #expect(result.message?.contains("no file matches 'dist/**/*'") == true)
    }

    @Test func artifactPathsResolveAgainstTheSourceDirectoryNotTheLastDirectory() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - mkdir -p deep/inside && cd deep/inside && echo x > ../../top.txt
            """, after: """
            artifacts:
              files: [ top.txt ]
            """)
        let result = try f.build()
        #expect(result.status == .succeeded, "\(f.log(result))")
    }

    @Test func secretsAreMaskedInTheStoredLog() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo "token=$TOKEN"
                - printf '%s' "$TOKEN" | base64
                - printf '%s\\n' "$KEY"
            """, env: """
            parameter-store:
              TOKEN: /ci/token
            secrets-manager:
              KEY: ci/key:pem
            """)
        let token = "hunter2-very-secret"
        let key = "-----BEGIN-----\nline-one-secret\nline-two-secret\n-----END-----"
        let result = try f.build { $0.secrets = ["/ci/token": token, "ci/key:pem": key] }
        let log = f.log(result)
        #expect(result.status == .succeeded, "\(log)")
        #expect(log.contains("token=***"))
        #expect(!log.contains(token))
        #expect(!log.contains(Data(token.utf8).base64EncodedString()))
        #expect(!log.contains("line-one-secret") && !log.contains("line-two-secret"))
        let leftovers = FileManager.default.enumerator(atPath: (result.logPath as NSString).deletingLastPathComponent)?
            .compactMap { $0 as? String } ?? []
        #expect(leftovers.sorted() == ["build.log", "result.json"], "no saved shell state (with secrets) is left behind")
    }

    @Test func missingSecretOrRuntimeIsRefusedBeforeRunning() throws {
        let f = try BuildFixture(phases: """
            install:
              runtime-versions:
                python: 3.12
                nodejs: 18
            build:
              commands: [ "true" ]
            """, env: """
            parameter-store:
              TOKEN: /ci/token
            """)
        do {
            _ = try f.build()
            Issue.record("the build should have been refused")
        } catch let error as SlipwayError {
            #expect(error.kind == .badInput)
            #expect(error.message.contains("buildspec.yml:4:12: error: parameter-store entry '/ci/token'"))
            #expect(error.message.contains("does not provide nodejs 18"))
            #expect(!error.message.contains("python"))
        }
    }

    @Test func bashWithoutBashInTheImageIsRefused() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands: [ \"true\" ]\n")
        #expect {
            _ = try f.build()
        } throws: { error in
            (error as? SlipwayError)?.message.contains("buildspec.yml:3:10: error: image busybox:test has no /bin/bash") == true
        }
    }

    /// A build has its own network namespace (loopback only) unless host networking is asked
    /// for; the choice is part of the result key.
    @Test func networkIsTheBuildsOwnUnlessHostIsAsked() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - NETNS=$(readlink /proc/self/ns/net)
            """, env: """
            exported-variables: [ NETNS ]
            """)
        let host = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        let isolated = try f.build()
        #expect(isolated.status == .succeeded)
        #expect(isolated.exportedVariables["NETNS"]?.hasPrefix("net:[") == true)
        #expect(isolated.exportedVariables["NETNS"] != host)
        let shared = try f.build { $0.network = .host }
        #expect(shared.status == .succeeded && shared.cachedFrom == nil, "host networking is another result key")
        #expect(shared.exportedVariables["NETNS"] == host)
    }

    @Test func buildThatRunsTooLongTimesOut() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - echo start; sleep 30
            """)
        let started = Date()
        let result = try f.build { $0.timeout = 1 }
        #expect(result.status == .timedOut)
        #expect(result.phases.first?.status == .timedOut)
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test func cancelledBuildEndsStopped() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - sleep 30
            """)
        let cancellation = BuildCancellation()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { cancellation.cancel() }
        let started = Date()
        let result = try f.build { $0.cancellation = cancellation }
        #expect(result.status == .stopped)
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test func reportsAreSummarised() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - mkdir -p reports && cp junit.xml reports/
            """, after: """
            reports:
              unit:
                files: [ '**/*' ]
                base-directory: reports/
                file-format: JunitXml
            """, files: ["junit.xml": "<testsuite><testcase name='a'/><testcase name='b'><failure/></testcase></testsuite>"])
        let result = try f.build()
        let report = try #require(result.reports.first)
        #expect(report.total == 2 && report.passed == 1 && report.failed == 1)
    }

    @Test func runAsUserFromTheImage() throws {
        let f = try BuildFixture(buildspec: """
            version: 0.2
            run-as: builder
            phases:
              build:
                commands:
                  - echo "uid=$(id -u) home=$HOME" && touch written-by-builder
            """)
        let result = try f.build()
        #expect(f.log(result).contains("uid=1000 home=/home/builder"), "\(f.log(result))")
        #expect(result.status == .succeeded)
    }

    @Test func cleanCheckoutBuildsHeadAndDirtyBuildsTheWorkingTree() throws {
        let f = try BuildFixture(phases: """
            build:
              commands: [ cat file.txt ]
            """, files: ["file.txt": "committed"], git: true)
        try f.write("file.txt", "edited")
        try f.write("untracked.txt", "new")
        try f.write("buildspec.yml", "version: 0.2\nphases:\n  build:\n    commands: [ cat file.txt, cat untracked.txt ]\n")
        let clean = try f.build { $0.useResultCache = false }
        #expect(f.log(clean).contains("\ncommitted\n"))
        #expect(!f.log(clean).contains("untracked"), "the committed buildspec runs, not the edited one")
        let dirty = try f.build { $0.dirty = true; $0.useResultCache = false }
        #expect(f.log(dirty).contains("\nedited\n"))
        #expect(f.log(dirty).contains("\nnew\n"))
    }

    @Test func aProjectInASubdirectoryBuildsThatSubtreeAsCommitted() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands: [ 'false' ]\n", files: [
            "app/buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands: [ ls, cat file.txt ]\n",
            "app/file.txt": "in app",
        ], git: true)
        try f.write("app/file.txt", "edited, not committed")
        let result = try f.build { $0.source = f.source + "/app"; $0.useResultCache = false }
        #expect(result.status == .succeeded, "\(f.log(result))")
        #expect(f.log(result).contains("ls\nbuildspec.yml\nfile.txt\n"), "only the subtree: \(f.log(result))")
        #expect(f.log(result).contains("\nin app\n"), "as committed: \(f.log(result))")
        #expect(result.sourceCommit != nil)
    }
}
