import CArchive
import Foundation
import SlipwayCore
import Synchronization

/// What packing a tree produced.
public struct PackResult: Sendable {
    /// SHA-256 of the uncompressed tar stream: the artifact's identity.
    public var tarDigest: Digest
    public var tarSize: Int64
    public var files: Int
    public var entries: Int
}

/// Writes a directory as a deterministic tar stream: canonical order, one mtime, uid/gid 0
/// without names, modes 0644/0755 from the exec bit, no atime/ctime, symlinks kept, hardlinks
/// pointing at the first path in order.
///
/// Three stages on three threads, like `tar | tee >(sha256sum) | zstd` but with no copies
/// between them: this thread walks the tree, reads each file straight into a block of a
/// `BlockRing` and lets libarchive frame it; a second thread hashes every block (the
/// artifact's identity); a third feeds the same blocks to `sink` (usually a compressor with
/// workers of its own). Whichever stage fails first stops the other two, and its error is
/// the one thrown.
public enum TarPacker {
    public static func pack(directory: String, mtime: Int64 = 0, into sink: ByteSink,
                            progress: ((Int64, Int64) -> Void)? = nil) throws -> PackResult {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SlipwayError.badInput("\(directory): not a directory")
        }
        let tree = try TreeWalk.entries(of: directory)
        let ring = BlockRing(consumers: 2)
        let tar = StageResult<(digest: Digest, size: Int64)>()
        let hasher = StageThread {
            var digest = SHA256Stream()
            var size: Int64 = 0
            if ring.consume(0, { digest.update($0); size += Int64($0.count) }) {
                tar.set((digest.finalize(), size))
            }
        }
        let output = Handover(value: sink)
        let writer = StageThread {
            guard ring.consume(1, { try output.value.write($0) }) else { return }
            do {
                try output.value.finish()
            } catch {
                ring.stop(error)
            }
        }
        var files = 0
        do {
            files = try writeTar(tree, of: directory, mtime: mtime, into: RingWriter(ring), progress: progress)
        } catch {
            ring.stop(error)
        }
        hasher.join()
        writer.join()
        if let error = ring.firstError { throw error }
        guard let (digest, size) = tar.get() else {
            throw SlipwayError.failed("\(directory): the tar stream was not hashed")
        }
        return PackResult(tarDigest: digest, tarSize: size, files: files, entries: tree.count)
    }

    /// The producer: frames `tree` with libarchive into `out`; the number of regular files.
    private static func writeTar(_ tree: [TreeEntry], of directory: String, mtime: Int64, into out: RingWriter,
                                 progress: ((Int64, Int64) -> Void)?) throws -> Int {
        let total = tree.reduce(Int64(0)) { $0 + $1.size }
        _ = ArchiveLocale.utf8
        let a = archive_write_new()!
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        // Unbuffered: libarchive hands our data blocks straight through (so file data read
        // into the ring stays where it is); no padding beyond the two end-of-archive blocks.
        archive_write_set_bytes_per_block(a, 0)
        let ctx = Unmanaged.passUnretained(out).toOpaque()
        guard archive_write_open2(a, ctx, nil, tarStreamWrite, nil, nil) == ARCHIVE_OK else {
            throw archiveError(a, "open tar writer")
        }
        let entry = archive_entry_new()!
        defer { archive_entry_free(entry) }
        var done: Int64 = 0
        var files = 0
        for item in tree {
            archive_entry_clear(entry)
            archive_entry_set_pathname_utf8(entry, item.path)
            archive_entry_set_mtime(entry, time_t(mtime), 0)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            switch item.kind {
            case .directory:
                archive_entry_set_filetype(entry, UInt32(Glibc.S_IFDIR))
                archive_entry_set_perm(entry, 0o755)
            case .regular:
                archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
                archive_entry_set_perm(entry, item.executable ? 0o755 : 0o644)
                archive_entry_set_size(entry, item.size)
                files += 1
            case .symlink:
                archive_entry_set_filetype(entry, UInt32(Glibc.S_IFLNK))
                archive_entry_set_perm(entry, 0o777)
                archive_entry_set_symlink_utf8(entry, item.linkTarget)
            case .hardlink:
                archive_entry_set_filetype(entry, UInt32(Glibc.S_IFREG))
                archive_entry_set_perm(entry, item.executable ? 0o755 : 0o644)
                archive_entry_set_hardlink_utf8(entry, item.linkTarget)
                archive_entry_set_size(entry, 0)
            }
            guard archive_write_header(a, entry) == ARCHIVE_OK else {
                try out.rethrow()
                throw archiveError(a, "\(item.path): write tar header")
            }
            if item.kind == .regular {
                let path = directory + "/" + item.path
                try copyFile(path, expected: item.size, into: out) { chunk in
                    if archive_write_data(a, chunk.baseAddress, chunk.count) < 0 {
                        try out.rethrow()
                        throw archiveError(a, "\(path): write tar data")
                    }
                }
                done += item.size
                progress?(done, total)
            }
        }
        guard archive_write_close(a) == ARCHIVE_OK else {
            try out.rethrow()
            throw archiveError(a, "close tar writer")
        }
        try out.rethrow()
        try out.end()
        return files
    }

    /// Streams exactly `expected` bytes of a file, read into the ring where the tar stream
    /// goes next; a file that changes size while packed is an error.
    private static func copyFile(_ path: String, expected: Int64, into out: RingWriter,
                                 _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.system("cannot read \(path)") }
        defer { Syscall.close(fd) }
        var left = expected
        while left > 0 {
            let room = try out.space()
            let want = Int(min(Int64(room.count), left))
            let n = try Syscall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: room[0..<want]), what: "read \(path)")
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: room[0..<n]))
            left -= Int64(n)
        }
        if left != 0 { throw SlipwayError.failed("\(path): file shrank while it was being packed") }
    }
}

/// The producer's side of the ring: receives libarchive's output and fills the ring's slots
/// in order, handing each over when it is full. File data is read straight into the free end
/// of the current slot (`space`), so when libarchive passes it back it is only counted.
final class RingWriter {
    private let ring: BlockRing
    private var index = 0
    private var slot: UnsafeMutableRawBufferPointer?
    private var used = 0
    /// A read into the ring gets at least this much room: a nearly full slot is handed over
    /// early rather than read into in small pieces.
    private static let minimumRoom = 64 << 10
    var error: Error?

    init(_ ring: BlockRing) { self.ring = ring }

    func rethrow() throws {
        if let error { throw error }
    }

    /// The free end of the current slot (a new one if too little is left).
    func space() throws -> UnsafeMutableRawBufferPointer {
        if let slot, slot.count - used >= Self.minimumRoom {
            return UnsafeMutableRawBufferPointer(rebasing: slot[used...])
        }
        if slot != nil { publish() }
        guard let fresh = ring.claim(index) else { throw RingStopped() }
        slot = fresh
        used = 0
        return fresh
    }

    /// Appends `bytes` to the stream.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let error { throw error }  // libarchive writes its end blocks even after a failure
        if let slot, let base = bytes.baseAddress, base == UnsafeRawPointer(slot.baseAddress! + used),
           bytes.count <= slot.count - used {
            used += bytes.count  // read into place by `space`
            return
        }
        var offset = 0
        while offset < bytes.count {
            if slot == nil || used == slot!.count { _ = try space() }
            let take = min(slot!.count - used, bytes.count - offset)
            // memmove: libarchive could pass back part of the slot's free end.
            memmove(slot!.baseAddress! + used, bytes.baseAddress! + offset, take)
            used += take
            offset += take
        }
    }

    /// Hands over the last block, then the end of the stream.
    func end() throws {
        if slot != nil && used > 0 { publish() }
        if slot == nil {
            guard ring.claim(index) != nil else { throw RingStopped() }
        }
        ring.publish(index, length: 0)
        slot = nil
    }

    private func publish() {
        ring.publish(index, length: used)
        index = (index + 1) % ring.slotCount
        slot = nil
        used = 0
    }
}

private func tarStreamWrite(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?,
                            _ buffer: UnsafeRawPointer?, _ length: Int) -> la_ssize_t {
    let out = Unmanaged<RingWriter>.fromOpaque(ctx!).takeUnretainedValue()
    do {
        try out.write(UnsafeRawBufferPointer(start: buffer, count: length))
    } catch {
        out.error = error
        return -1
    }
    return la_ssize_t(length)
}

func archiveError(_ a: OpaquePointer, _ what: String) -> SlipwayError {
    let text = archive_error_string(a).map { String(cString: $0) } ?? "unknown libarchive error"
    return SlipwayError.badInput("\(what): \(text)")
}
