import Foundation
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct FixtureTests {
    @Test func aTemporaryDirectoryGoesWithItsLastReference() throws {
        var path = ""
        do {
            let directory = try TemporaryDirectory("slipway-support")
            path = directory.path
            try directory.write("a/b/file", "text", mode: 0o600)
            try directory.directory("c/d")
            #expect(directory.tree() == ["a", "a/b", "a/b/file", "c", "c/d"])
            #expect(try FileManager.default.attributesOfItem(atPath: path + "/a/b/file")[.posixPermissions] as? Int == 0o600)
        }
        #expect(!path.isEmpty && !FileManager.default.fileExists(atPath: path))
    }

    @Test func waitsEndAtTheirDeadlineWithWhatTheyWaitedFor() async throws {
        // (How soon it ends is not checked: under the whole suite the few threads this test
        // resumes on are often busy for seconds.)
        await #expect { try await waitUntil("the impossible", timeout: .milliseconds(200)) { false } } throws: { error in
            "\(error)".contains("timed out after 0.2 seconds waiting for the impossible")
        }
        var polls = 0
        let value = try await eventually("the third poll") { () -> Int? in
            polls += 1
            return polls == 3 ? polls : nil
        }
        #expect(value == 3)
        #expect(throws: TestFailure.self) { try blockUntil("never", timeout: .milliseconds(100)) { false } }
    }

    @Test func aGitRepositoryCommitsAsItsOneAuthor() throws {
        let directory = try TemporaryDirectory()
        let repository = try GitRepository(at: directory.path + "/repo")
        try repository.write("dir/file.txt", "one\n")
        let first = try repository.commit("first", date: "2024-01-02T03:04:05Z")
        #expect(first.count == 40)
        #expect(try repository.git("log", "-1", "--format=%an <%ae> %at %s") == "Ada <ada@example.org> 1704164645 first")
        #expect(try repository.git("branch", "--show-current") == "main")
        // The same tree, message and date give the same commit in another repository.
        let again = try GitRepository(at: directory.path + "/again")
        try again.write("dir/file.txt", "one\n")
        #expect(try again.commit("first", date: "2024-01-02T03:04:05Z") == first)
        #expect(throws: TestFailure.self) { try repository.git("no-such-command") }
    }

    /// The corpus is read from the built resources, not from anything beside the checkout.
    @Test func theCompatibilityCorpusIsAResource() throws {
        #expect(!CompatCorpus.directory.hasPrefix(Busybox.checkout + "/.."))
        let sources = try String(contentsOfFile: CompatCorpus.directory + "/SOURCES.md", encoding: .utf8)
        let buildspecs = try FileManager.default.contentsOfDirectory(atPath: CompatCorpus.buildspecs)
        let appspecs = try FileManager.default.contentsOfDirectory(atPath: CompatCorpus.appspecs).filter { $0 != "ecs-lambda" }
            + FileManager.default.contentsOfDirectory(atPath: CompatCorpus.appspecs + "/ecs-lambda")
        #expect(buildspecs.count == 31 && appspecs.count == 19)
        for file in buildspecs + appspecs {
            #expect(sources.contains("`\(file)`"), "SOURCES.md gives the origin of \(file)")
        }
    }
}

@Suite(.tags(.medium)) struct BusyboxFixtureTests {
    @Test func installPutsEveryAppletBesideBusybox() throws {
        let directory = try TemporaryDirectory()
        try Busybox.install(into: directory.path + "/rootfs")
        let shell = directory.path + "/rootfs/bin/sh"
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: shell) == "busybox")
        #expect(try Program.output(shell, ["-c", "echo hello"]) == "hello\n")
    }
}
