import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Every hostile archive is refused with the entry named, writes nothing outside the target,
/// and leaves no partial tree behind.
@Suite(.tags(.small)) struct HostileArchiveTests {
    typealias E = TarFixture.Entry

    /// A hostile archive, the limits it is extracted under, and what the refusal must say.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var entries: [E]
        var filter = "none"
        var maxBytes: Int64?
        var maxEntries: Int?
        var says: [String]
    }

    static let refusals: [Refusal] = [
        Refusal(testDescription: "a .. member", entries: [E(path: "ok", kind: .file("fine")), E(path: "../outside/x", kind: .file("evil"))],
                says: ["'../outside/x'", ".."]),
    ] + ["a/../../outside/x", "a/..", "./../x", "./a/../../x", "a//../x"].map {
        Refusal(testDescription: ".. inside the path \($0)", entries: [E(path: $0, kind: .file("evil"))], says: ["'\($0)'", ".."])
    } + [
        Refusal(testDescription: "an absolute path", entries: [E(path: "/tmp/slipway-pwned", kind: .file("evil"))],
                says: ["'/tmp/slipway-pwned'", "absolute"]),
        Refusal(testDescription: "writing through a symlink",
                entries: [E(path: "a", kind: .symlink("/etc")), E(path: "a/passwd", kind: .file("root::0:0::/:/bin/sh"))],
                says: ["'a/passwd'", "symlink"]),
        Refusal(testDescription: "a chain of symlinks climbing out", entries: [
            E(path: "a", kind: .symlink("..")), E(path: "b", kind: .dir), E(path: "b/c", kind: .symlink("../a")),
            E(path: "b/c/a/outside/x", kind: .file("evil")),
        ], says: ["'b/c/a/outside/x'"]),
        Refusal(testDescription: "a hard link climbing out", entries: [E(path: "h", kind: .hardlink("../../etc/passwd"))],
                says: ["hardlink target", ".."]),
        Refusal(testDescription: "a hard link to an absolute path", entries: [E(path: "h", kind: .hardlink("/etc/passwd"))], says: ["absolute"]),
        Refusal(testDescription: "a hard link through a symlink",
                entries: [E(path: "etc", kind: .symlink("/etc")), E(path: "h", kind: .hardlink("etc/passwd"))], says: ["symlink"]),
        Refusal(testDescription: "a device node", entries: [E(path: "null", kind: .charDevice)], says: ["device node"]),
        Refusal(testDescription: "a fifo", entries: [E(path: "pipe", kind: .fifo)], says: ["fifo"]),
        // Refused from the header, before writing.
        Refusal(testDescription: "an entry larger than the cap", entries: [E(path: "big", kind: .hugeFile(8 << 20))], filter: "zstd",
                maxBytes: 1 << 20, says: ["'big'", "size limit"]),
        // Many small zero files: each fits, together they exceed the cap.
        Refusal(testDescription: "a zip bomb", entries: (0..<16).map { E(path: "z\($0)", kind: .hugeFile(1 << 20)) }, filter: "zstd",
                maxBytes: 4 << 20, says: ["size limit"]),
        Refusal(testDescription: "more entries than the cap", entries: (0..<50).map { E(path: "f\($0)", kind: .file("x")) },
                maxEntries: 10, says: ["entry limit"]),
    ]

    /// `entries` written as `<tmp>/test.tar` (compressed with `filter`); the directory and the archive's path.
    func tar(_ entries: [E], filter: String = "none") throws -> (tmp: TemporaryDirectory, path: String) {
        let tmp = try TemporaryDirectory()
        try TarFixture.write(entries, to: tmp.path + "/test.tar", filter: filter)
        return (tmp, tmp.path + "/test.tar")
    }

    /// Extracted into `<tmp>/out/target`, the archive is refused with exit code 2 and a message
    /// naming what is wrong; nothing is written outside the target and no partial tree is left.
    @Test(arguments: refusals)
    func refused(_ refusal: Refusal) throws {
        let (tmp, archive) = try tar(refusal.entries, filter: refusal.filter)
        try FileManager.default.createDirectory(atPath: tmp.path + "/outside", withIntermediateDirectories: true)
        var options = ExtractOptions.artifact
        if let maxBytes = refusal.maxBytes { options.maxBytes = maxBytes }
        if let maxEntries = refusal.maxEntries { options.maxEntries = maxEntries }
        var message = ""
        do {
            try Extraction.extract(archive: archive, to: tmp.path + "/out/target", options: options)
            Issue.record("extraction of a hostile archive succeeded")
        } catch let error as SlipwayError {
            message = error.message
            #expect(error.exitCode == 2)
        }
        for fragment in refusal.says { #expect(message.contains(fragment), "\(message)") }
        // Nothing outside the target, and no partial tree (not even the hidden staging dir).
        #expect(tmp.tree("outside").isEmpty)
        #expect(tmp.tree("out").isEmpty, "partial tree left: \(tmp.tree("out"))")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/slipway-pwned"))
    }

    /// Paths are written where their canonical form says, however they are spelt.
    @Test func unusualSpellingsLandInPlace() throws {
        let (tmp, archive) = try tar([
            E(path: "./d/", kind: .dir), E(path: "d//one", kind: .file("1")), E(path: "./d/./two", kind: .file("2")),
            E(path: "d/...", kind: .file("3")), E(path: "d/.hidden", kind: .file("4")), E(path: "d/x..", kind: .file("5")),
            E(path: "./d/six", kind: .file("6")), E(path: "././/d/seven", kind: .file("7")),
        ])
        try Extraction.extract(archive: archive, to: tmp.path + "/out")
        #expect(tmp.tree("out") == ["d", "d/...", "d/.hidden", "d/one", "d/seven", "d/six", "d/two", "d/x.."])
    }

    @Test func truncatedArchiveLeavesNothing() throws {
        let (tmp, archive) = try tar((0..<20).map { E(path: "f\($0)", kind: .hugeFile(100_000)) }, filter: "zstd")
        let size = (try FileManager.default.attributesOfItem(atPath: archive)[.size] as! NSNumber).intValue
        truncate(archive, off_t(size / 2))
        #expect(throws: SlipwayError.self) { try Extraction.extract(archive: archive, to: tmp.path + "/out") }
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/out"))
        #expect(tmp.tree().filter { $0.contains("partial") }.isEmpty)
    }

    @Test func benignLinksStillWork() throws {
        let (tmp, archive) = try tar([
            E(path: "dir", kind: .dir),
            E(path: "dir/file", kind: .file("data")),
            E(path: "link", kind: .symlink("dir/file")),
            E(path: "abs", kind: .symlink("/etc/passwd")),  // a link may point anywhere; nothing is written through it
            E(path: "hard", kind: .hardlink("dir/file")),
            E(path: "deep/er/file", kind: .file("implicit parents")),
        ])
        let stats = try Extraction.extract(archive: archive, to: tmp.path + "/out")
        #expect(stats.entries == 6)
        #expect(try String(contentsOfFile: tmp.path + "/out/link", encoding: .utf8) == "data")
        #expect(try String(contentsOfFile: tmp.path + "/out/hard", encoding: .utf8) == "data")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tmp.path + "/out/abs") == "/etc/passwd")
        #expect(try String(contentsOfFile: tmp.path + "/out/deep/er/file", encoding: .utf8) == "implicit parents")
    }

    @Test func imageLayersResolveSymlinksInsideTheRoot() throws {
        let (tmp, archive) = try tar([
            E(path: "usr/lib", kind: .dir),
            E(path: "lib", kind: .symlink("usr/lib")),
            E(path: "lib/libc.so", kind: .file("elf")),
            E(path: "evil", kind: .symlink("/tmp/slipway-outside")),
            E(path: "evil/pwned", kind: .file("evil")),
        ])
        try FileManager.default.createDirectory(atPath: tmp.path + "/root", withIntermediateDirectories: true)
        let extractor = try SafeExtractor(rootPath: tmp.path + "/root", options: .imageLayer)
        try extractor.extract(try TarReader(path: archive))
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/root/usr/lib/libc.so"))
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/root/tmp/slipway-outside/pwned"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/slipway-outside"))
    }
}
