import Archive
import CArchive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

final class MemorySink: ByteSink {
    var data = Data()
    func write(_ bytes: UnsafeRawBufferPointer) throws { data.append(contentsOf: bytes) }
    func finish() throws {}
}

@Suite(.tags(.small)) struct DeterministicPackTests {
    /// A small tree with every kind of entry the packer handles.
    func makeTree(_ root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/b/nested", withIntermediateDirectories: true)
        try Data("alpha".utf8).write(to: URL(fileURLWithPath: root + "/a.txt"))
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: root + "/b/run.sh"))
        chmod(root + "/b/run.sh", 0o700)
        chmod(root + "/a.txt", 0o600)
        try Data(String(repeating: "z", count: 300_000).utf8).write(to: URL(fileURLWithPath: root + "/b/nested/big"))
        try fm.createSymbolicLink(atPath: root + "/link", withDestinationPath: "a.txt")
        link(root + "/a.txt", root + "/b/same")
        try Data("x".utf8).write(to: URL(fileURLWithPath: root + "/" + String(repeating: "long", count: 40)))
    }

    func pack(_ dir: String, _ compression: Compression, mtime: Int64 = 0) throws -> (PackResult, Data) {
        let sink = MemorySink()
        let result = try TarPacker.pack(directory: dir, mtime: mtime, into: try makeCompressor(compression, into: sink))
        return (result, sink.data)
    }

    @Test(arguments: [Compression.none, .zstd, .gzip])
    func sameTreeSameBytesAnywhere(_ compression: Compression) throws {
        let one = try TemporaryDirectory("pack-one"), two = try TemporaryDirectory("pack-two-other-path")
        try makeTree(one.path)
        sleep(1)  // different mtimes, ctimes, inode numbers and paths
        try makeTree(two.path + "/deeper")
        let (r1, d1) = try pack(one.path, compression)
        let (r2, d2) = try pack(two.path + "/deeper", compression)
        #expect(r1.tarDigest == r2.tarDigest)
        #expect(d1 == d2)
        #expect(r1.files == 4)  // b/same is stored as a hardlink
    }

    @Test func identityDoesNotDependOnCompression() throws {
        let tmp = try TemporaryDirectory()
        try makeTree(tmp.path)
        let digests = try [Compression.none, .zstd, .gzip].map { try pack(tmp.path, $0).0.tarDigest }
        #expect(Set(digests).count == 1)
        let (plain, bytes) = try pack(tmp.path, .none)
        #expect(Digest.of(bytes) == plain.tarDigest)
    }

    @Test func headersAreNormalised() throws {
        let tmp = try TemporaryDirectory()
        try makeTree(tmp.path + "/t")
        let (_, bytes) = try pack(tmp.path + "/t", .none, mtime: 1_700_000_000)
        try bytes.write(to: URL(fileURLWithPath: tmp.path + "/t.tar"))
        let reader = try TarReader(path: tmp.path + "/t.tar")
        var seen: [String: TarEntryHeader] = [:]
        var order: [String] = []
        while let h = try reader.next() {
            let path = h.kind == .directory ? String(h.path.dropLast()) : h.path  // libarchive writes "dir/"
            seen[path] = h
            order.append(path)
        }
        #expect(order == order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        for h in seen.values {
            #expect(h.uid == 0 && h.gid == 0)
            #expect(h.mtime == 1_700_000_000)
        }
        #expect(seen["a.txt"]?.mode == 0o644)
        #expect(seen["b/run.sh"]?.mode == 0o755)
        #expect(seen["b"]?.mode == 0o755)
        #expect(seen["link"]?.kind == .symlink && seen["link"]?.linkTarget == "a.txt")
        #expect(seen["b/same"]?.kind == .hardlink && seen["b/same"]?.linkTarget == "a.txt")
        #expect(seen[String(repeating: "long", count: 40)] != nil)
        // No owner names, no atime/ctime records anywhere in the stream.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("atime=") && !text.contains("ctime=") && !text.contains("root"))
    }

    @Test func unreadableEntriesAreNamed() throws {
        let tmp = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: tmp.path + "/t", withIntermediateDirectories: true)
        mkfifo(tmp.path + "/t/pipe", 0o644)
        #expect { try pack(tmp.path + "/t", .zstd) } throws: { error in
            (error as? SlipwayError)?.message.contains("/t/pipe") == true
        }
        #expect(throws: SlipwayError.self) { try pack(tmp.path + "/missing", .zstd) }
    }

    @Test func roundTripThroughSafeExtraction() throws {
        let tmp = try TemporaryDirectory()
        try makeTree(tmp.path + "/src")
        let (first, bytes) = try pack(tmp.path + "/src", .zstd)
        try bytes.write(to: URL(fileURLWithPath: tmp.path + "/a.tar.zst"))
        try Extraction.extract(archive: tmp.path + "/a.tar.zst", to: tmp.path + "/out")
        let (second, _) = try pack(tmp.path + "/out", .zstd)
        #expect(first.tarDigest == second.tarDigest)
    }
}
