import CArchive
import Foundation
import SlipwayCore

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
/// pointing at the first path in order. Hashes the stream while it writes it.
public enum TarPacker {
    public static func pack(directory: String, mtime: Int64 = 0, into sink: ByteSink,
                            progress: ((Int64, Int64) -> Void)? = nil) throws -> PackResult {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw SlipwayError.badInput("\(directory): not a directory")
        }
        let tree = try TreeWalk.entries(of: directory)
        let total = tree.reduce(Int64(0)) { $0 + $1.size }
        let out = TarStreamWriter(sink: sink)
        _ = ArchiveLocale.utf8
        let a = archive_write_new()!
        defer { archive_write_free(a) }
        archive_write_set_format_pax_restricted(a)
        // Unbuffered: libarchive hands our data blocks straight through; no padding beyond
        // the two end-of-archive blocks.
        archive_write_set_bytes_per_block(a, 0)
        let ctx = Unmanaged.passUnretained(out).toOpaque()
        guard archive_write_open2(a, ctx, nil, tarStreamWrite, nil, nil) == ARCHIVE_OK else {
            throw archiveError(a, "open tar writer")
        }
        let entry = archive_entry_new()!
        defer { archive_entry_free(entry) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { buffer.deallocate() }
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
                try copyFile(path, expected: item.size, buffer: buffer) { chunk in
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
        try sink.finish()
        return PackResult(tarDigest: out.digest.finalize(), tarSize: out.size, files: files, entries: tree.count)
    }

    /// Streams exactly `expected` bytes of a file; a file that changes size while packed is an error.
    private static func copyFile(_ path: String, expected: Int64, buffer: UnsafeMutableRawBufferPointer,
                                 _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.system("cannot read \(path)") }
        defer { Syscall.close(fd) }
        var left = expected
        while left > 0 {
            let n = try Syscall.read(fd, into: buffer, what: "read \(path)")
            if n == 0 { break }
            let take = Int(min(Int64(n), left))
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<take]))
            left -= Int64(take)
        }
        if left != 0 { throw SlipwayError.failed("\(path): file shrank while it was being packed") }
    }
}

/// Receives libarchive's output: hashes the tar bytes and passes them on.
final class TarStreamWriter {
    let sink: ByteSink
    var digest = SHA256Stream()
    var size: Int64 = 0
    var error: Error?

    init(sink: ByteSink) { self.sink = sink }

    func rethrow() throws {
        if let error { throw error }
    }
}

private func tarStreamWrite(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?,
                            _ buffer: UnsafeRawPointer?, _ length: Int) -> la_ssize_t {
    let out = Unmanaged<TarStreamWriter>.fromOpaque(ctx!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: buffer, count: length)
    out.digest.update(bytes)
    out.size += Int64(length)
    do {
        try out.sink.write(bytes)
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
