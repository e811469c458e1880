import Foundation
import SlipwayCore
@testable import Sandbox
import SlipwayTestSupport
@testable import Specs
import Testing
@testable import Build

@Suite("Globs, masking, reports, caches", .tags(.small))
struct BuildPiecesTests {
    @Test func globsMatchWithinAndAcrossComponents() {
        #expect(PathGlob("**/*").matches("a/b/c.txt"))
        #expect(PathGlob("**/*").matches("top.txt"))
        #expect(PathGlob("dir/*").matches("dir/a.txt"))
        #expect(!PathGlob("dir/*").matches("dir/sub/a.txt"))
        #expect(PathGlob("dir/**/*").matches("dir/sub/a.txt"))
        #expect(PathGlob("dir/**/*").matches("dir/a.txt"))
        #expect(!PathGlob("dir/**/*").matches("other/a.txt"))
        #expect(PathGlob("./build/*.jar").matches("build/app.jar"))
        #expect(!PathGlob("*.jar").matches("build/app.jar"))
        #expect(PathGlob("**/*.xml").matches("reports/junit/TEST-a.xml"))
        #expect(PathGlob("file.txt").matches("file.txt"))
    }

    @Test func secretsAreMaskedPlainBase64AndMultiLine() {
        let masker = SecretMasker(secrets: ["s3cr3t-value", "-----BEGIN KEY-----\nAAAAlineone\nBBBBlinetwo\n-----END KEY-----"])
        #expect(masker.apply("token is s3cr3t-value!") == "token is ***!")
        let encoded = Data("s3cr3t-value".utf8).base64EncodedString()
        #expect(!masker.apply("auth: \(encoded)").contains(encoded))
        // Inside a longer base64 blob, at another alignment.
        let blob = Data("user:s3cr3t-value".utf8).base64EncodedString()
        #expect(masker.apply(blob).contains("***"))
        #expect(masker.apply("  BBBBlinetwo") == "  ***")
        #expect(masker.apply("nothing here") == "nothing here")
    }

    @Test func junitTotalsAreCounted() {
        var report = TestReport(name: "unit", format: "JUNITXML")
        report.add(junitXML: Data("""
            <?xml version="1.0"?>
            <testsuites><testsuite name="s" tests="4">
              <testcase name="a" time="0.5"/>
              <testcase name="b" time="0.25"><failure message="x">boom</failure></testcase>
              <testcase name="c"><error/></testcase>
              <testcase name="d"><skipped/></testcase>
            </testsuite></testsuites>
            """.utf8), file: "a.xml")
        report.add(junitXML: Data("<testsuite><testcase name='e'/></testsuite>".utf8), file: "b.xml")
        report.add(junitXML: Data("not xml".utf8), file: "c.xml")
        #expect(report.total == 5 && report.passed == 2 && report.failed == 1 && report.errors == 1 && report.skipped == 1)
        #expect(report.duration == 0.75)
        #expect(report.unreadable == ["c.xml"])
    }

    @Test func resultKeyChangesWithEveryInput() {
        let base = ResultCache.key(sourceTree: "t", buildspec: Data("b".utf8), imageDigest: "i", environment: ["A": "1"])
        #expect(base == ResultCache.key(sourceTree: "t", buildspec: Data("b".utf8), imageDigest: "i", environment: ["A": "1"]))
        #expect(base != ResultCache.key(sourceTree: "t2", buildspec: Data("b".utf8), imageDigest: "i", environment: ["A": "1"]))
        #expect(base != ResultCache.key(sourceTree: "t", buildspec: Data("b2".utf8), imageDigest: "i", environment: ["A": "1"]))
        #expect(base != ResultCache.key(sourceTree: "t", buildspec: Data("b".utf8), imageDigest: "i2", environment: ["A": "1"]))
        #expect(base != ResultCache.key(sourceTree: "t", buildspec: Data("b".utf8), imageDigest: "i", environment: ["A": "2"]))
        #expect(base != ResultCache.key(sourceTree: "t", buildspec: Data("b".utf8), imageDigest: "i", environment: ["A1": ""]))
    }

    @Test func cacheLookupIsExactThenFallbackPrefixesInOrder() throws {
        let directory = try TemporaryDirectory("slipway-cache")
        let home = directory.home
        let store = BuildCacheStore(home: home, project: "p")
        for key in ["deps-aaa", "deps-bbb", "tools-1"] {
            let tree = home.path + "/t-" + key
            try makeDirectories(tree)
            try store.save(tree: tree, key: key)
            usleep(20_000)
        }
        #expect(store.lookup(key: "deps-aaa", fallbackKeys: ["deps-"])?.key == "deps-aaa")
        #expect(store.lookup(key: "deps-ccc", fallbackKeys: ["deps-"])?.key == "deps-bbb", "newest prefix match")
        #expect(store.lookup(key: "x", fallbackKeys: ["nope-", "tools-"])?.key == "tools-1")
        #expect(store.lookup(key: "x", fallbackKeys: []) == nil)
        // Saving a key again replaces the entry whole.
        let again = home.path + "/again"
        try makeDirectories(again)
        FileManager.default.createFile(atPath: again + "/marker", contents: Data())
        try store.save(tree: again, key: "tools-1")
        #expect(FileManager.default.fileExists(atPath: try #require(store.lookup(key: "tools-1", fallbackKeys: [])).tree + "/marker"))
    }

    @Test func verdictForEveryWayASandboxEnds() {
        var state = PhaseTracker.State()
        state.done = true
        state.results[.build] = PhaseResult(phase: .build, status: .failed, duration: 1, message: "Error while executing command: make. Reason: exit status 2")
        state.results[.install] = PhaseResult(phase: .install, status: .succeeded, duration: 1)
        let exited = SandboxResult(status: 0, reason: .exited, duration: 1)
        #expect(BuildRunner.verdict(exited, state: state, timeout: 60) == (.failed, "phase BUILD failed: Error while executing command: make. Reason: exit status 2"))
        #expect(BuildRunner.verdict(SandboxResult(status: 124, reason: .timedOut, duration: 60), state: state, timeout: 60).0 == .timedOut)
        #expect(BuildRunner.verdict(SandboxResult(status: 143, reason: .cancelled, duration: 1), state: state, timeout: 60).0 == .stopped)
        #expect(BuildRunner.verdict(SandboxResult(status: 137, reason: .outOfMemory, duration: 1), state: state, timeout: 60).0 == .failed)
        state.done = false
        #expect(BuildRunner.verdict(SandboxResult(status: 139, reason: .signaled, duration: 1), state: state, timeout: 60).0 == .fault,
                "a driver that never finished is Slipway's fault")
        state = PhaseTracker.State()
        state.done = true
        #expect(BuildRunner.verdict(exited, state: state, timeout: 60) == (.succeeded, nil))
    }

    @Test func gitBatchOutputIsParsedWithMissingObjects() {
        let output = Data("abc commit 5\ntree \nHEAD:nope missing\ndef blob 3\nx\ny\n".utf8)
        let objects = GitBatchOutput(output).objects
        #expect(objects.map(\.type) == ["commit", "missing", "blob"])
        #expect(objects[2].content == Data("x\ny".utf8))
        #expect(objects[0].id == "abc")
    }

    @Test func namesFromBuildspecsAreMadePathSafe() {
        #expect(BuildRunner.pathSafe("../../etc", fallback: "x") == "x")
        #expect(BuildRunner.pathSafe("docs/api", fallback: "x") == "docs-api")
        #expect(BuildRunner.pathSafe("plugin", fallback: "x") == "plugin")
        #expect(BuildRunner.projectName("/srv/my app") == "my-app")
        #expect(BuildRunner.projectName("..") == "project")
    }

    @Test func variablesExpandForCacheKeys() {
        #expect(VariableExpansion.expand("deps-$V-${W}x-$", ["V": "1", "W": "2"]) == "deps-1-2x-$")
    }

    @Test func failureMessageMatchesCodeBuildWording() {
        let script = BuildScript(spec: BuildSpec(), nonce: "n")
        #expect(script.failureMessage(" make test\n") + "2" == "Error while executing command: make test. Reason: exit status 2")
    }
}

@Suite("Artifact selection", .tags(.small))
struct ArtifactSelectionTests {
    let directory: TemporaryDirectory
    var root: String { directory.path }

    init() throws {
        directory = try TemporaryDirectory("slipway-art")
    }

    func collector(_ files: [String]) throws -> ArtifactCollector {
        for file in files {
            let path = root + "/ws/" + file
            try makeDirectories((path as NSString).deletingLastPathComponent)
            FileManager.default.createFile(atPath: path, contents: Data(file.utf8))
        }
        try makeDirectories(root + "/export")
        return ArtifactCollector(map: .init(sourceDirectory: "/codebuild/output/src", workspace: root + "/ws", exportDirectory: root + "/export"))
    }

    func paths(_ c: ArtifactCollector, _ files: [String], base: String? = nil, exclude: [String] = [], discard: Bool = false) throws -> [String] {
        try c.select(files: files, baseDirectory: base, excludePaths: exclude, discardPaths: discard, keepSymlinks: false, what: "artifacts").map(\.artifactPath)
    }

    @Test func globsBaseDirectoryDiscardAndExclude() throws {
        let c = try collector(["README", "dist/app.js", "dist/lib/util.js", "dist/lib/util.js.map", "out/x/report.txt"])
        #expect(try paths(c, ["**/*"]).count == 5)
        #expect(try paths(c, ["dist/*"]) == ["dist/app.js"])
        #expect(try paths(c, ["dist/**/*"]) == ["dist/app.js", "dist/lib/util.js", "dist/lib/util.js.map"])
        #expect(try paths(c, ["**/*"], base: "dist") == ["app.js", "lib/util.js", "lib/util.js.map"], "the base directory itself is not included")
        #expect(try paths(c, ["**/*"], base: "dist", exclude: ["**/*.map"]) == ["app.js", "lib/util.js"])
        #expect(try paths(c, ["dist/**/*"], discard: true) == ["app.js", "util.js", "util.js.map"])
        #expect(try paths(c, ["*"], base: "out/*") == ["report.txt"], "a glob base directory")
        #expect(try paths(c, ["/codebuild/output/src/README"]) == ["README"], "an absolute path in the source is relative to it")
    }

    @Test func noMatchFailsWithAMessage() throws {
        let c = try collector(["a.txt"])
        #expect(throws: SlipwayError.self) { try paths(c, ["missing/*"]) }
        do {
            _ = try paths(c, ["*.jar"])
        } catch let error as SlipwayError {
            #expect(error.message.contains("no file matches '*.jar'"))
        }
    }

    @Test func absolutePathsOutsideTheSourceComeFromTheExport() throws {
        let c = try collector([])
        try makeDirectories(root + "/export/tmp/out")
        FileManager.default.createFile(atPath: root + "/export/tmp/out/plugin.zip", contents: Data())
        #expect(try paths(c, ["/tmp/out/*"], discard: true) == ["plugin.zip"])
        #expect(try paths(c, ["**/*"], base: "/tmp/out") == ["plugin.zip"])
    }

    @Test func symlinksAreKeptOnlyWhenEnabledAndNeverFollowedOnTheHost() throws {
        let c = try collector(["real.txt"])
        try FileManager.default.createSymbolicLink(atPath: root + "/ws/link.txt", withDestinationPath: "real.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/ws/escape", withDestinationPath: "/etc/passwd")
        #expect(try paths(c, ["*"]) == ["real.txt"])
        let kept = try c.select(files: ["*"], baseDirectory: nil, excludePaths: [], discardPaths: false, keepSymlinks: true, what: "artifacts")
        #expect(kept.map(\.artifactPath) == ["escape", "link.txt", "real.txt"])
        let stage = root + "/stage"
        try ArtifactCollector.stage(kept, into: stage)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: stage + "/escape") == "/etc/passwd", "copied as a link, not the host file")
    }

    @Test func pathsNeverLeadOutOfTheBuildsTrees() throws {
        let c = try collector(["ok.txt"])
        try FileManager.default.createSymbolicLink(atPath: root + "/ws/etc", withDestinationPath: "/etc")
        try makeDirectories(root + "/export/tmp")
        try FileManager.default.createSymbolicLink(atPath: root + "/export/tmp/host", withDestinationPath: "/etc")
        for pattern in ["etc/passwd", "etc/*", "../../../../etc/passwd", "/../../etc/passwd", "/tmp/host/passwd", "/tmp/host/*"] {
            #expect(throws: SlipwayError.self, "\(pattern)") { try paths(c, [pattern]) }
        }
        #expect(throws: SlipwayError.self) { try paths(c, ["passwd"], base: "etc") }
        #expect(throws: SlipwayError.self) { try paths(c, ["*"], base: "/tmp/host") }
        #expect(try paths(c, ["ok.txt"]) == ["ok.txt"])
    }
}
