import Archive
import Artifacts
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Synchronization
import Testing

/// A store in a fresh temp dir, with a small source tree beside it.
struct StoreFixture {
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    let store: ArtifactStore

    init() throws {
        directory = try TemporaryDirectory("slipway-store")
        let dir = directory.path
        store = ArtifactStore(root: dir + "/store")
        try FileManager.default.createDirectory(atPath: dir + "/src/sub", withIntermediateDirectories: true)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: dir + "/src/a"))
        try Data(String(repeating: "data ", count: 50_000).utf8).write(to: URL(fileURLWithPath: dir + "/src/sub/b"))
    }

    func flipByte(_ record: ArtifactRecord, at offset: Int = 40) throws {
        let fd = open(store.blobPath(record.digest), O_RDWR)
        defer { close(fd) }
        var byte: UInt8 = 0
        pread(fd, &byte, 1, off_t(offset))
        byte ^= 0xFF
        pwrite(fd, &byte, 1, off_t(offset))
    }

    var stagingFiles: [String] { (try? FileManager.default.contentsOfDirectory(atPath: dir + "/store/tmp")) ?? [] }
}

@Suite(.tags(.small)) struct ArtifactStoreTests {
    @Test func packVerifyUnpack() throws {
        let f = try StoreFixture()
        let record = try f.store.pack(directory: f.dir + "/src", provenance: Provenance(sourceCommit: "abc123"))
        #expect(record.digest.description.hasPrefix("sha256:") && record.hex.count == 64)
        #expect(record.files == 2)
        #expect(record.blob.compression == .zstd && record.blob.size < record.size)
        #expect(record.provenance.sourceCommit == "abc123")
        try f.store.verify(record)
        try f.store.unpack(record, to: f.dir + "/out")
        #expect(try String(contentsOfFile: f.dir + "/out/a", encoding: .utf8) == "hello")
        #expect(try f.store.list().map(\.digest) == [record.digest])
        #expect(f.stagingFiles.isEmpty)
    }

    @Test func sameTreeIsStoredOnce() throws {
        let f = try StoreFixture()
        let first = try f.store.pack(directory: f.dir + "/src", provenance: Provenance(buildID: "first"))
        let second = try f.store.pack(directory: f.dir + "/src", provenance: Provenance(buildID: "second"))
        #expect(first.digest == second.digest)
        #expect(second.provenance.buildID == "first")
        #expect(try f.store.list().count == 1)
    }

    @Test func concurrentWritersOfOneDigest() throws {
        let f = try StoreFixture()
        let digests = Mutex<Set<Digest>>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let r = try? f.store.pack(directory: f.dir + "/src") { digests.withLock { _ = $0.insert(r.digest) } }
        }
        #expect(digests.withLock { $0.count } == 1)
        let all = try f.store.list()
        #expect(all.count == 1)
        try f.store.verify(all[0])
        #expect(f.stagingFiles.isEmpty)
    }

    @Test func aFlippedByteIsCaughtEverywhere() throws {
        let f = try StoreFixture()
        let record = try f.store.pack(directory: f.dir + "/src")
        try f.flipByte(record)
        #expect { try f.store.verify(record) } throws: { e in
            let e = e as! SlipwayError
            return e.kind == .corrupt && e.message.contains(f.store.blobPath(record.digest)) && e.exitCode == 1
        }
        #expect(throws: SlipwayError.self) { try f.store.unpack(record, to: f.dir + "/out") }
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/out"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: f.dir).filter { $0.contains("partial") }.isEmpty)
        #expect(throws: SlipwayError.self) { try f.store.export(record, to: f.dir + "/copy.tar.zst") }
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/copy.tar.zst"))
    }

    @Test func aFlippedByteAtTheEndIsCaughtToo() throws {
        let f = try StoreFixture()
        let record = try f.store.pack(directory: f.dir + "/src", compression: .none)
        try f.flipByte(record, at: Int(record.blob.size) - 1)  // in the end-of-archive padding
        #expect(throws: SlipwayError.self) { try f.store.verify(record) }
        #expect(throws: SlipwayError.self) { try f.store.unpack(record, to: f.dir + "/out") }
        #expect(!FileManager.default.fileExists(atPath: f.dir + "/out"))
    }

    @Test func digestPrefixes() throws {
        let f = try StoreFixture()
        let record = try f.store.pack(directory: f.dir + "/src")
        #expect(try f.store.resolve(String(record.hex.prefix(8))).digest == record.digest)
        #expect(try f.store.resolve("sha256:" + record.hex.prefix(6)).digest == record.digest)
        #expect(try f.store.resolve(record.digest.description.uppercased()).digest == record.digest)
        // Unknown, too short, not hex.
        #expect { try f.store.resolve("0000000") } throws: { ($0 as! SlipwayError).kind == .notFound }
        #expect { try f.store.resolve("ab") } throws: { ($0 as! SlipwayError).message.contains("too short") }
        #expect { try f.store.resolve("xyz123") } throws: { ($0 as! SlipwayError).message.contains("not a digest") }
        // Ambiguous: a second record sharing the first 8 digits.
        let twin = try Digest(hex: String(record.hex.prefix(8)) + String(repeating: "0", count: 56))
        let blob = f.store.blobPath(record.digest), twinBlob = f.store.blobPath(twin)
        try FileManager.default.copyItem(atPath: blob, toPath: twinBlob)
        try FileManager.default.copyItem(atPath: blob + ".json", toPath: twinBlob + ".json")
        #expect { try f.store.resolve(String(record.hex.prefix(6))) } throws: { e in
            (e as! SlipwayError).message.contains("ambiguous") && (e as! SlipwayError).exitCode == 2
        }
        #expect(try f.store.resolve(String(record.hex.prefix(12))).digest == record.digest)
    }

    @Test func importKeepsTheEncodingAndFindsTheIdentity() throws {
        let f = try StoreFixture()
        let packed = try f.store.pack(directory: f.dir + "/src", compression: .gzip)
        try f.store.export(packed, to: f.dir + "/a.tar.gz")
        let other = ArtifactStore(root: f.dir + "/other")
        let imported = try other.importTarball(f.dir + "/a.tar.gz")
        #expect(imported.digest == packed.digest)
        #expect(imported.blob.compression == .gzip && imported.blob.digest == packed.blob.digest)
        try other.verify(imported)
        try Data("not a tarball at all".utf8).write(to: URL(fileURLWithPath: f.dir + "/junk.tar"))
        #expect { try other.importTarball(f.dir + "/junk.tar") } throws: { e in
            (e as! SlipwayError).message.contains("junk.tar") && (e as! SlipwayError).exitCode == 2
        }
    }

    @Test func garbageCollection() throws {
        let f = try StoreFixture()
        var records: [ArtifactRecord] = []
        for i in 0..<4 {
            try Data("version \(i)".utf8).write(to: URL(fileURLWithPath: f.dir + "/src/a"))
            records.append(try f.store.pack(directory: f.dir + "/src"))
            usleep(20_000)
        }
        try f.store.addReference(kind: "releases", name: "r1", digest: records[0].digest)
        let dry = try f.store.collectGarbage(keepLast: 1, dryRun: true)
        #expect(dry.removed == [records[2].digest.description, records[1].digest.description])
        #expect(try f.store.list().count == 4)
        let real = try f.store.collectGarbage(keepLast: 1, dryRun: false)
        #expect(real.removed.count == 2 && real.kept == 2)
        #expect(Set(try f.store.list().map(\.digest)) == [records[3].digest, records[0].digest])
        #expect(!FileManager.default.fileExists(atPath: f.store.blobPath(records[1].digest)))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskLeavesNoPartialBlob() throws {
        let f = try StoreFixture()
        defer { umount(f.dir + "/store") }
        try FileManager.default.createDirectory(atPath: f.dir + "/store", withIntermediateDirectories: true)
        #expect(mount("tmpfs", f.dir + "/store", "tmpfs", 0, "size=256k") == 0)
        var random = [UInt8](repeating: 0, count: 2 << 20)
        for i in random.indices { random[i] = UInt8.random(in: 0...255) }
        try Data(random).write(to: URL(fileURLWithPath: f.dir + "/src/noise"))
        #expect { try f.store.pack(directory: f.dir + "/src") } throws: { e in
            let e = e as! SlipwayError
            return e.errno == ENOSPC && e.description.contains("disk is full")
        }
        #expect(try f.store.list().isEmpty)
        #expect(f.stagingFiles.isEmpty)
    }
}

@Suite("Artifact comparison", .tags(.small))
struct ArtifactComparisonTests {
    @Test func namesEveryPathThatDiffersAndHow() throws {
        let scratch = try TemporaryDirectory("slipway-compare")
        let store = ArtifactStore(home: scratch.home)
        for (side, text, mode, link) in [("a", "one", 0o644, "same"), ("b", "two", 0o755, "other")] {
            _ = try scratch.write("\(side)/same.txt", "unchanged")
            _ = try scratch.write("\(side)/changed.txt", text, mode: mode_t(mode))
            _ = try scratch.write("\(side)/only-\(side).txt", side)
            try FileManager.default.createSymbolicLink(atPath: scratch.path + "/\(side)/link", withDestinationPath: link)
        }
        let first = try store.pack(directory: scratch.path + "/a"), second = try store.pack(directory: scratch.path + "/b")
        let differences = try store.compare(first, second)
        #expect(differences.map { "\($0.path): \($0.aspects.map(\.rawValue).joined(separator: ","))" } == [
            "changed.txt: content,mode", "link: link-target", "only-a.txt: only-in-first", "only-b.txt: only-in-second",
        ])
        #expect(try store.compare(first, first).isEmpty)
    }
}
