import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// `TarReader(decodingAhead:)` decodes and hashes on a second thread: it must read exactly what
/// the single-threaded reader reads, and report corrupt, truncated or abandoned input.
@Suite(.tags(.small)) struct DecodeAheadTests {
    typealias E = TarFixture.Entry

    /// Small files and one large one, so the decoder fills the pipe and has to wait.
    let entries: [E] = [E(path: "d", kind: .dir), E(path: "d/a", kind: .file("alpha")),
                        E(path: "d/big", kind: .hugeFile(6 << 20)), E(path: "z", kind: .file("zed"))]

    func entryList(_ reader: TarReader) throws -> [String] {
        var paths: [String] = []
        while let header = try reader.next() {
            paths.append(header.path)
            try reader.readData { _, _ in }
        }
        try reader.drain()
        return paths
    }

    @Test(arguments: ["none", "gzip", "zstd"])
    func readsWhatTheSingleThreadedReaderReads(_ filter: String) throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/a.tar"
        try TarFixture.write(entries, to: archive, filter: filter)
        let plain = try TarReader(path: archive), ahead = try TarReader(decodingAhead: archive)
        #expect(try entryList(ahead) == entryList(plain))
        #expect(try ahead.rawDigest == plain.rawDigest)
        #expect(try ahead.rawDigest.hex == (try SHA256Stream.hex(ofFile: archive)))
        #expect(ahead.rawBytes == plain.rawBytes)
        #expect(ahead.compression == plain.compression)
        #expect(ahead.isCompressed == (filter != "none"))
    }

    @Test func rawModeYieldsTheDecompressedStream() throws {
        let tmp = try TemporaryDirectory()
        try writeZstd(entries, to: tmp.path + "/a.tar.zst")  // leaves the plain tar beside it
        var tar = SHA256Stream()
        let reader = try TarReader(decodingAhead: tmp.path + "/a.tar.zst", mode: .raw)
        _ = try reader.next()
        try reader.readData { chunk, _ in tar.update(chunk) }
        try reader.drain()
        #expect(tar.finalizeHex() == (try SHA256Stream.hex(ofFile: tmp.path + "/a.tar.zst.plain")))
    }

    /// The archive compressed as artifacts are (zstd with frame checksums).
    func writeZstd(_ entries: [E], to path: String) throws {
        try TarFixture.write(entries, to: path + ".plain", filter: "none")
        let out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(out) }
        let compressor = try makeCompressor(.zstd, into: FileSink(fd: out, path: path))
        let data = try Data(contentsOf: URL(fileURLWithPath: path + ".plain"))
        try data.withUnsafeBytes { try compressor.write($0) }
        try compressor.finish()
    }

    /// Cuts the zstd archive short or flips a byte in its middle: extraction fails and leaves
    /// no tree, and the error names the archive.
    @Test(arguments: ["truncate", "flip"])
    func damagedZstdLeavesNothing(_ damage: String) throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/a.tar.zst"
        try writeZstd(entries, to: archive)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: archive)[.size] as? Int)
        let fd = open(archive, O_RDWR)
        if damage == "truncate" {
            ftruncate(fd, off_t(size / 2))
        } else {
            var byte: UInt8 = 0
            pread(fd, &byte, 1, off_t(size / 2))
            byte ^= 0x5A
            pwrite(fd, &byte, 1, off_t(size / 2))
        }
        close(fd)
        #expect { try Extraction.extract(archive: archive, to: tmp.path + "/out/t") } throws: { error in
            (error as? SlipwayError)?.message.contains(archive) == true
        }
        #expect(tmp.tree("out").isEmpty, "partial tree left: \(tmp.tree("out"))")
    }

    /// A refused entry before the end: the reader stops while the decoder still has data to
    /// write; the decoder thread must stop too (no hang, no SIGPIPE for the process).
    @Test func stoppingEarlyStopsTheDecoder() throws {
        let tmp = try TemporaryDirectory()
        let archive = tmp.path + "/a.tar.zst"
        try TarFixture.write([E(path: "../evil", kind: .file("x"))] + entries, to: archive, filter: "zstd")
        #expect(throws: SlipwayError.self) { try Extraction.extract(archive: archive, to: tmp.path + "/out/t") }
        #expect(tmp.tree("out").isEmpty)
        // Opened and dropped unread.
        for _ in 0..<20 { _ = try TarReader(decodingAhead: archive) }
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: SlipwayError.self) { try TarReader(decodingAhead: "/nonexistent/blob") }
    }
}
