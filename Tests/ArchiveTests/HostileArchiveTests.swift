import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Every hostile archive is refused with the entry named, writes nothing outside the target,
/// and leaves no partial tree behind.
@Suite(.tags(.small)) struct HostileArchiveTests {
    typealias E = TarFixture.Entry

    /// Extracts `entries` into `<tmp>/out` and returns the error message; checks the aftermath.
    func refused(_ entries: [E], filter: String = "none", options: ExtractOptions = .artifact) throws -> String {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.path + "/outside", withIntermediateDirectories: true)
        let archive = tmp.path + "/evil.tar"
        try TarFixture.write(entries, to: archive, filter: filter)
        var message = ""
        do {
            try Extraction.extract(archive: archive, to: tmp.path + "/out/target", options: options)
            Issue.record("extraction of a hostile archive succeeded")
        } catch let error as SlipwayError {
            message = error.message
            #expect(error.exitCode == 2)
        }
        // Nothing outside the target, and no partial tree (not even the hidden staging dir).
        #expect(tmp.tree("outside").isEmpty)
        #expect(tmp.tree("out").isEmpty, "partial tree left: \(tmp.tree("out"))")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/slipway-pwned"))
        return message
    }

    @Test func dotDotIsRefused() throws {
        let m = try refused([E(path: "ok", kind: .file("fine")), E(path: "../outside/x", kind: .file("evil"))])
        #expect(m.contains("'../outside/x'") && m.contains(".."))
    }

    @Test func dotDotInsideAPathIsRefused() throws {
        for path in ["a/../../outside/x", "a/..", "./../x", "./a/../../x", "a//../x"] {
            let m = try refused([E(path: path, kind: .file("evil"))])
            #expect(m.contains("'\(path)'") && m.contains(".."))
        }
    }

    /// Paths are written where their canonical form says, however they are spelt.
    @Test func unusualSpellingsLandInPlace() throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/a.tar"
        try TarFixture.write([
            E(path: "./d/", kind: .dir), E(path: "d//one", kind: .file("1")), E(path: "./d/./two", kind: .file("2")),
            E(path: "d/...", kind: .file("3")), E(path: "d/.hidden", kind: .file("4")), E(path: "d/x..", kind: .file("5")),
            E(path: "./d/six", kind: .file("6")), E(path: "././/d/seven", kind: .file("7")),
        ], to: archive)
        try Extraction.extract(archive: archive, to: tmp.path + "/out")
        #expect(tmp.tree("out") == ["d", "d/...", "d/.hidden", "d/one", "d/seven", "d/six", "d/two", "d/x.."])
    }

    @Test func absolutePathIsRefused() throws {
        let m = try refused([E(path: "/tmp/slipway-pwned", kind: .file("evil"))])
        #expect(m.contains("'/tmp/slipway-pwned'") && m.contains("absolute"))
    }

    @Test func writingThroughASymlinkIsRefused() throws {
        let m = try refused([E(path: "a", kind: .symlink("/etc")), E(path: "a/passwd", kind: .file("root::0:0::/:/bin/sh"))])
        #expect(m.contains("'a/passwd'") && m.contains("symlink"))
    }

    @Test func symlinkDotDotChainIsRefused() throws {
        let m = try refused([
            E(path: "a", kind: .symlink("..")),
            E(path: "b", kind: .dir),
            E(path: "b/c", kind: .symlink("../a")),
            E(path: "b/c/a/outside/x", kind: .file("evil")),
        ])
        #expect(m.contains("'b/c/a/outside/x'"))
    }

    @Test func hardlinkOutsideIsRefused() throws {
        let m = try refused([E(path: "h", kind: .hardlink("../../etc/passwd"))])
        #expect(m.contains("hardlink target") && m.contains(".."))
        let abs = try refused([E(path: "h", kind: .hardlink("/etc/passwd"))])
        #expect(abs.contains("absolute"))
    }

    @Test func hardlinkThroughSymlinkIsRefused() throws {
        let m = try refused([E(path: "etc", kind: .symlink("/etc")), E(path: "h", kind: .hardlink("etc/passwd"))])
        #expect(m.contains("symlink"))
    }

    @Test func deviceNodesAndFifosAreRefused() throws {
        #expect(try refused([E(path: "null", kind: .charDevice)]).contains("device node"))
        #expect(try refused([E(path: "pipe", kind: .fifo)]).contains("fifo"))
    }

    @Test func hugeEntryIsRefusedBeforeWriting() throws {
        var options = ExtractOptions.artifact
        options.maxBytes = 1 << 20
        let m = try refused([E(path: "big", kind: .hugeFile(8 << 20))], filter: "zstd", options: options)
        #expect(m.contains("'big'") && m.contains("size limit"))
    }

    @Test func zipBombStopsAtTheSizeCap() throws {
        // Many small zero files: each fits, together they exceed the cap.
        var options = ExtractOptions.artifact
        options.maxBytes = 4 << 20
        let entries = (0..<16).map { E(path: "z\($0)", kind: .hugeFile(1 << 20)) }
        let m = try refused(entries, filter: "zstd", options: options)
        #expect(m.contains("size limit"))
    }

    @Test func entryCountIsCapped() throws {
        var options = ExtractOptions.artifact
        options.maxEntries = 10
        let entries = (0..<50).map { E(path: "f\($0)", kind: .file("x")) }
        #expect(try refused(entries, options: options).contains("entry limit"))
    }

    @Test func truncatedArchiveLeavesNothing() throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/t.tar.zst"
        try TarFixture.write((0..<20).map { E(path: "f\($0)", kind: .hugeFile(100_000)) }, to: archive, filter: "zstd")
        let size = (try FileManager.default.attributesOfItem(atPath: archive)[.size] as! NSNumber).intValue
        truncate(archive, off_t(size / 2))
        #expect(throws: SlipwayError.self) { try Extraction.extract(archive: archive, to: tmp.path + "/out") }
        #expect(!FileManager.default.fileExists(atPath: tmp.path + "/out"))
        #expect(tmp.tree().filter { $0.contains("partial") }.isEmpty)
    }

    @Test func benignLinksStillWork() throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/ok.tar"
        try TarFixture.write([
            E(path: "dir", kind: .dir),
            E(path: "dir/file", kind: .file("data")),
            E(path: "link", kind: .symlink("dir/file")),
            E(path: "abs", kind: .symlink("/etc/passwd")),  // a link may point anywhere; nothing is written through it
            E(path: "hard", kind: .hardlink("dir/file")),
            E(path: "deep/er/file", kind: .file("implicit parents")),
        ], to: archive)
        let stats = try Extraction.extract(archive: archive, to: tmp.path + "/out")
        #expect(stats.entries == 6)
        #expect(try String(contentsOfFile: tmp.path + "/out/link", encoding: .utf8) == "data")
        #expect(try String(contentsOfFile: tmp.path + "/out/hard", encoding: .utf8) == "data")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: tmp.path + "/out/abs") == "/etc/passwd")
        #expect(try String(contentsOfFile: tmp.path + "/out/deep/er/file", encoding: .utf8) == "implicit parents")
    }

    @Test func imageLayersResolveSymlinksInsideTheRoot() throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/layer.tar"
        try TarFixture.write([
            E(path: "usr/lib", kind: .dir),
            E(path: "lib", kind: .symlink("usr/lib")),
            E(path: "lib/libc.so", kind: .file("elf")),
            E(path: "evil", kind: .symlink("/tmp/slipway-outside")),
            E(path: "evil/pwned", kind: .file("evil")),
        ], to: archive)
        try FileManager.default.createDirectory(atPath: tmp.path + "/root", withIntermediateDirectories: true)
        let extractor = try SafeExtractor(rootPath: tmp.path + "/root", options: .imageLayer)
        try extractor.extract(try TarReader(path: archive))
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/root/usr/lib/libc.so"))
        #expect(FileManager.default.fileExists(atPath: tmp.path + "/root/tmp/slipway-outside/pwned"))
        #expect(!FileManager.default.fileExists(atPath: "/tmp/slipway-outside"))
    }
}
