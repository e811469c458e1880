import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The packer reads, hashes and compresses on separate threads; its bytes must stay exactly
/// those of the single-threaded packer before it (artifacts are content-addressed), and a
/// failure in any stage must stop every stage.
@Suite(.tags(.small)) struct PipelinedPackTests {
    /// A tree larger than the ring of blocks and than one zstd job: files that end exactly on
    /// and just past a block boundary, pseudo-random files that compress partly, and every
    /// kind of entry (long paths take a pax header).
    static func makeTree(_ root: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/data/deeper", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/docs", withIntermediateDirectories: true)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func bytes(_ count: Int) -> Data {
            var words = [UInt64](repeating: 0, count: (count + 7) / 8)
            for i in words.indices {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                words[i] = (state & 0x0F0F_0F0F_0F0F_0F0F) | 0x4040_4040_4040_4040
            }
            return words.withUnsafeBytes { Data($0.prefix(count)) }
        }
        for (i, size) in [3 << 20, 1 << 20, (1 << 20) + 1, 5 << 20, 777].enumerated() {
            try bytes(size).write(to: URL(fileURLWithPath: root + "/data/blob-\(i)"))
        }
        try bytes(4 << 20).write(to: URL(fileURLWithPath: root + "/data/deeper/" + String(repeating: "long-name-", count: 12)))
        try Data(String(repeating: "the same line of text\n", count: 40_000).utf8).write(to: URL(fileURLWithPath: root + "/docs/readme.txt"))
        try Data().write(to: URL(fileURLWithPath: root + "/docs/empty"))
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: root + "/run.sh"))
        chmod(root + "/run.sh", 0o755)
        try fm.createSymbolicLink(atPath: root + "/docs/link", withDestinationPath: "readme.txt")
        link(root + "/data/blob-4", root + "/docs/same")
    }

    /// SHA-256 of the tar stream and of the encoded bytes, as the single-threaded packer wrote
    /// them for `makeTree` (the packer of release 0.9.0).
    static let previous: [Compression: (tar: String, encoded: String)] = [
        .none: ("cee1fbd2f05937061997b89fedf5d03165d67f6d80a6bd8e496abd17fb12f1c9",
                "cee1fbd2f05937061997b89fedf5d03165d67f6d80a6bd8e496abd17fb12f1c9"),
        .zstd: ("cee1fbd2f05937061997b89fedf5d03165d67f6d80a6bd8e496abd17fb12f1c9",
                "6c1d55b4b32ed8da2b5125f0b0e37b205c8621642191c7f774182bb351453fa3"),
        .gzip: ("cee1fbd2f05937061997b89fedf5d03165d67f6d80a6bd8e496abd17fb12f1c9",
                "cb3fd0df5a18aa2dad28d8adb3919ea6238534a5f35e85555a69113a7df9679b"),
    ]

    @Test(arguments: [Compression.none, .zstd, .gzip])
    func theBytesAreThoseOfTheSingleThreadedPacker(_ compression: Compression) throws {
        let tmp = try TemporaryDirectory("pipelined-pack")
        try Self.makeTree(tmp.path + "/tree")
        let sink = MemorySink()
        let result = try TarPacker.pack(directory: tmp.path + "/tree", into: try makeCompressor(compression, into: sink))
        let expected = try #require(Self.previous[compression])
        #expect(result.tarDigest.hex == expected.tar)
        #expect(Digest.of(sink.data).hex == expected.encoded)
        #expect(result.files == 9 && result.entries == 14)
    }

    /// A write that fails (a full disk, for real) stops the reading too: the packer does not
    /// go on reading files whose bytes have nowhere to go.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFailedWriteStopsTheReader() throws {
        let tmp = try TemporaryDirectory("pipelined-pack-full")
        try Self.makeTree(tmp.path + "/tree")
        try FileManager.default.createDirectory(atPath: tmp.path + "/small", withIntermediateDirectories: true)
        #expect(mount("tmpfs", tmp.path + "/small", "tmpfs", 0, "size=512k") == 0)
        defer { umount(tmp.path + "/small") }
        let fd = open(tmp.path + "/small/blob", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        defer { close(fd) }
        var read: (done: Int64, total: Int64) = (0, 0)
        #expect {
            try TarPacker.pack(directory: tmp.path + "/tree", into: try makeCompressor(.none, into: FileSink(fd: fd, path: tmp.path + "/small/blob"))) {
                read = ($0, $1)
            }
        } throws: { error in
            (error as? SlipwayError)?.errno == ENOSPC
        }
        // Stopped early: before its first progress report, or before half of the tree.
        #expect(read.done < read.total / 2 || read == (0, 0), "\(read)")
    }

    /// A file that cannot be read stops the hashing and the compression, and its name is in
    /// the error.
    @Test func anUnreadableFileStopsEveryStage() throws {
        let tmp = try TemporaryDirectory("pipelined-pack-vanish")
        try Self.makeTree(tmp.path + "/tree")
        let sink = MemorySink()
        #expect {
            // After the first file, the last one goes: its open fails.
            try TarPacker.pack(directory: tmp.path + "/tree", into: try makeCompressor(.zstd, into: sink)) { _, _ in
                unlink(tmp.path + "/tree/run.sh")
            }
        } throws: { error in
            (error as? SlipwayError)?.description.contains("cannot read \(tmp.path)/tree/run.sh") == true
        }
    }
}
