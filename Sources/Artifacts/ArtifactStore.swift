import Archive
import Foundation
import SlipwayCore

/// A content-addressed store of artifacts under `<home>/store`:
///
///     blobs/sha256/ab/abcd….        the stored (usually zstd) tarball
///     blobs/sha256/ab/abcd….json    its ArtifactRecord
///     refs/<kind>/<name>            a digest kept alive by a build, release or pin
///     tmp/                          staging; a crash leaves only files here
///
/// A blob is written to tmp, fsynced, hashed and only then renamed under its digest, so a
/// name never holds partial bytes; writers of the same digest race harmlessly.
public struct ArtifactStore: Sendable {
    public let root: String

    public init(home: SlipwayHome) {
        root = home.store
    }

    public init(root: String) {
        self.root = root
    }

    var blobsDir: String { root + "/blobs/sha256" }
    var tmpDir: String { root + "/tmp" }
    var refsDir: String { root + "/refs" }

    public func blobPath(_ digest: Digest) -> String { "\(blobsDir)/\(digest.hex.prefix(2))/\(digest.hex)" }
    func recordPath(_ digest: Digest) -> String { blobPath(digest) + ".json" }

    // MARK: - Writing

    /// Packs a directory deterministically into the store.
    public func pack(directory: String, compression: Compression = .zstd, level: Int? = nil,
                     mtime: Int64 = 0, provenance: Provenance = Provenance(),
                     progress: ((Int64, Int64) -> Void)? = nil) throws -> ArtifactRecord {
        try ingest(compression: compression) { sink in
            let compressor = try makeCompressor(compression, level: level, into: sink)
            let result = try TarPacker.pack(directory: directory, mtime: mtime, into: compressor, progress: progress)
            return (result.tarDigest, result.tarSize, result.files, result.entries)
        } makeRecord: { tar, blob, files, entries in
            ArtifactRecord(digest: tar.digest, size: tar.size, mediaType: compression.mediaType,
                           created: Date(), files: files, entries: entries, blob: blob, provenance: provenance)
        }
    }

    /// Stores an existing tarball as it is (plain, gzip, zstd or xz); its identity is the
    /// digest of its uncompressed stream.
    public func importTarball(_ path: String, provenance: Provenance = Provenance()) throws -> ArtifactRecord {
        // First pass: a tar that reads to the end, with its entry count.
        var entries = 0, files = 0
        let check = try TarReader(path: path)
        while let header = try check.next() {
            entries += 1
            if header.kind == .regular { files += 1 }
        }
        var compression = Compression.none
        return try ingest(compression: nil) { sink in
            let reader = try TarReader(path: path, mode: .raw)
            compression = reader.compression
            var tar = SHA256Stream()
            var size: Int64 = 0
            guard try reader.next() != nil else { throw SlipwayError.badInput("\(path): empty file") }
            try reader.readData { chunk, _ in
                tar.update(chunk)
                size += Int64(chunk.count)
            }
            try reader.drain()
            try copyFile(path) { try sink.write($0) }
            return (tar.finalize(), size, files, entries)
        } makeRecord: { tar, blob, files, entries in
            var blob = blob
            blob.compression = compression
            return ArtifactRecord(digest: tar.digest, size: tar.size, mediaType: compression.mediaType,
                                  created: Date(), files: files, entries: entries, blob: blob, provenance: provenance)
        }
    }

    private typealias Produced = (digest: Digest, size: Int64, files: Int, entries: Int)

    /// Stages a blob in tmp, then publishes it under its identity with its record.
    private func ingest(compression: Compression?, _ write: (FileSink) throws -> Produced,
                        makeRecord: ((digest: Digest, size: Int64), BlobInfo, Int, Int) -> ArtifactRecord) throws -> ArtifactRecord {
        try makeDirectories(tmpDir)
        removeAbandonedStaging()
        var staging = try StagingFile(stagingPath())
        defer { staging.close() }
        let sink = FileSink(fd: staging.fd, path: staging.path)
        let produced = try write(sink)
        let blob = BlobInfo(digest: sink.digest.finalize(), size: sink.bytesWritten,
                            compression: compression ?? .none)
        if let existing = try? record(produced.digest) {
            return existing  // already stored: keep the first record and its provenance
        }
        let final = blobPath(produced.digest)
        try makeDirectories((final as NSString).deletingLastPathComponent)
        try staging.place(at: final)
        let new = makeRecord((produced.digest, produced.size), blob, produced.files, produced.entries)
        try writeRecord(new)
        try Syscall.fsyncDirectory((final as NSString).deletingLastPathComponent)
        return new
    }

    func writeRecord(_ record: ArtifactRecord) throws {
        try writeFileAtomically(try Timestamp.encoder().encode(record), to: recordPath(record.digest))
    }

    /// Hands the bytes of the file at `path` to `write`, 1 MiB at a time.
    func copyFile(_ path: String, to write: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        defer { Syscall.close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try Syscall.read(fd, into: buffer, what: "read \(path)")
            if n == 0 { return }
            try write(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    // MARK: - Reading

    /// The record for a digest.
    public func record(_ digest: Digest) throws -> ArtifactRecord {
        let path = recordPath(digest)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SlipwayError.notFound("no artifact \(digest)")
        }
        do {
            return try Timestamp.decoder().decode(ArtifactRecord.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(path): unreadable artifact record", cause: error)
        }
    }

    /// Every artifact, newest first.
    public func list() throws -> [ArtifactRecord] {
        allDigests().compactMap { try? record($0) }.sorted { $0.created > $1.created }
    }

    /// Digests of stored blobs (whether or not a record exists), from their file names.
    func allDigests() -> [Digest] {
        let fm = FileManager.default
        guard let fans = try? fm.contentsOfDirectory(atPath: blobsDir) else { return [] }
        return fans.flatMap { fan in
            ((try? fm.contentsOfDirectory(atPath: blobsDir + "/" + fan)) ?? []).compactMap { try? Digest(hex: $0) }
        }
    }

    /// Resolves a digest or a unique prefix (`sha256:` optional), like git's short ids.
    public func resolve(_ reference: String) throws -> ArtifactRecord {
        try resolve(try DigestPrefix(parsing: reference))
    }

    /// The artifact `prefix` names: all 64 digits, or a prefix only one stored artifact has.
    public func resolve(_ prefix: DigestPrefix) throws -> ArtifactRecord {
        if let digest = prefix.digest { return try record(digest) }
        let stored = allDigests().filter { FileManager.default.fileExists(atPath: recordPath($0)) }
        guard let digest = try prefix.unique(in: stored, noun: "artifacts") else {
            throw SlipwayError.notFound("no artifact matches '\(prefix)'")
        }
        return try record(digest)
    }
}
