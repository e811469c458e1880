import CArchive
import Foundation
import SlipwayCore

/// One entry's header as read from an archive.
public struct TarEntryHeader: Sendable {
    public enum Kind: String, Sendable { case regular, directory, symlink, hardlink, charDevice, blockDevice, fifo, socket }
    public var path: String
    public var kind: Kind
    public var mode: UInt32
    public var size: Int64
    public var uid: Int64
    public var gid: Int64
    public var mtime: Int64
    /// Symlink target, or the path a hardlink points at.
    public var linkTarget: String?
    public var device: dev_t
}

/// Reads a tar stream (plain, gzip, zstd, xz, bzip2: detected from content) with libarchive,
/// hashing the raw file bytes on the way so a stored blob is verified in the same pass.
/// In `.raw` mode it yields the decompressed stream itself (to hash an artifact's identity).
public final class TarReader {
    public enum Mode { case tar, raw }

    public let source: String
    private let a: OpaquePointer
    private let input: RawInput
    private var finished = false

    /// Opens `path` ("-" is not accepted: callers open stdin themselves and pass `fd`).
    public convenience init(path: String, mode: Mode = .tar) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        try self.init(fd: fd, source: path, mode: mode, ownsFD: true)
    }

    /// `hashing: false` skips `rawDigest` for a caller that hashes the file elsewhere (on
    /// another core, say).
    public convenience init(fd: Int32, source: String, mode: Mode = .tar, ownsFD: Bool = false, hashing: Bool = true) throws {
        try self.init(input: RawInput(origin: .file(fd, owned: ownsFD), source: source, hashing: hashing), mode: mode)
    }

    /// Reads `path` through a `BlobPipe`: the blob is read, hashed and (zstd) decompressed on
    /// a second thread while this one parses and writes. Same results as `init(path:)`.
    public convenience init(decodingAhead path: String, mode: Mode = .tar) throws {
        try self.init(input: RawInput(origin: .pipe(try BlobPipe(path: path)), source: path, hashing: false), mode: mode)
    }

    /// The same over `fd` (read from its current offset, and taken over); with
    /// `hashingDecoded`, `decodedDigest` is the SHA-256 of the decompressed stream.
    public convenience init(decodingAhead fd: Int32, source: String, hashingDecoded: Bool = false) throws {
        try self.init(input: RawInput(origin: .pipe(BlobPipe(fd: fd, source: source)), source: source, hashing: hashingDecoded),
                      mode: .tar)
    }

    /// Reads the tar inside `outer`'s decompressed stream (`outer` must be in `.raw` mode), so
    /// one pass yields both digests of a compressed layer: `outer.rawDigest` is the blob's,
    /// this reader's `rawDigest` the uncompressed tar's (an OCI `diff_id`).
    public convenience init(decompressedFrom outer: TarReader) throws {
        _ = try outer.next()  // the raw format's single entry
        try self.init(input: RawInput(origin: .reader(outer), source: outer.source), mode: .tar)
    }

    private init(input: RawInput, mode: Mode) throws {
        self.source = input.source
        self.input = input
        _ = ArchiveLocale.utf8
        a = archive_read_new()!
        archive_read_support_filter_all(a)
        switch mode {
        case .tar: archive_read_support_format_tar(a); archive_read_support_format_gnutar(a)
        case .raw: archive_read_support_format_raw(a)
        }
        let ctx = Unmanaged.passUnretained(input).toOpaque()
        if archive_read_open2(a, ctx, nil, rawInputRead, nil, nil) != ARCHIVE_OK {
            // No archive_read_free here: the object is fully initialised, so deinit frees `a`.
            throw input.error ?? archiveError(a, "\(source): not a readable archive")
        }
    }

    deinit {
        archive_read_free(a)
    }

    /// The compression libarchive detected.
    public var compression: Compression {
        if case .pipe(let pipe) = input.origin, pipe.decodes { return .zstd }
        return switch archive_filter_code(a, 0) {
        case ARCHIVE_FILTER_GZIP: .gzip
        case ARCHIVE_FILTER_ZSTD: .zstd
        case ARCHIVE_FILTER_XZ: .xz
        default: .none
        }
    }

    /// Whether the input went through a decompression filter (any libarchive knows).
    public var isCompressed: Bool {
        if case .pipe(let pipe) = input.origin, pipe.decodes { return true }
        return archive_filter_count(a) > 1
    }

    /// The next entry, or nil at the end of the archive.
    public func next() throws -> TarEntryHeader? {
        guard !finished else { return nil }
        var entry: OpaquePointer?
        let rc = archive_read_next_header(a, &entry)
        if rc == ARCHIVE_EOF { finished = true; return nil }
        if rc < ARCHIVE_WARN || entry == nil {
            throw input.error ?? archiveError(a, "\(source): damaged archive")
        }
        return Self.header(entry!)
    }

    /// Hands the current entry's data to `body` in blocks, with each block's file offset
    /// (sparse entries skip ranges).
    public func readData(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        while true {
            let rc = archive_read_data_block(a, &buffer, &size, &offset)
            if rc == ARCHIVE_EOF { return }
            if rc < ARCHIVE_WARN { throw input.error ?? archiveError(a, "\(source): damaged archive data") }
            try body(UnsafeRawBufferPointer(start: buffer, count: size), offset)
        }
    }

    /// `.raw` mode: the next block of the decompressed stream, empty at the end. The block is
    /// valid until the next call.
    public func nextBlock() throws -> UnsafeRawBufferPointer {
        guard !finished else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        var buffer: UnsafeRawPointer?
        var size = 0
        var offset: la_int64_t = 0
        let rc = archive_read_data_block(a, &buffer, &size, &offset)
        if rc == ARCHIVE_EOF { finished = true; return UnsafeRawBufferPointer(start: nil, count: 0) }
        if rc < ARCHIVE_WARN { throw input.error ?? archiveError(a, "\(source): damaged compressed data") }
        return UnsafeRawBufferPointer(start: buffer, count: size)
    }

    /// Reads the rest of the input, so `rawDigest` covers every byte of the file.
    public func drain() throws {
        try input.drain()
    }

    /// SHA-256 of the stream libarchive read, for a reader made with `hashingDecoded`.
    public var decodedDigest: Digest { input.digest.finalize() }

    /// SHA-256 of the raw bytes read so far (call `drain()` first for the whole file); throws
    /// what stopped the read-ahead thread, if it failed.
    public var rawDigest: Digest {
        get throws {
            if case .pipe(let pipe) = input.origin { return try pipe.finish().digest }
            return input.digest.finalize()
        }
    }
    public var rawBytes: Int64 {
        if case .pipe(let pipe) = input.origin { return (try? pipe.finish().bytes) ?? 0 }
        return input.bytes
    }

    static func header(_ e: OpaquePointer) -> TarEntryHeader {
        let hardlink = archive_entry_hardlink(e).map { String(cString: $0) }
        let kind: TarEntryHeader.Kind
        if hardlink != nil {
            kind = .hardlink
        } else {
            switch Int32(archive_entry_filetype(e)) {
            case Int32(Glibc.S_IFDIR): kind = .directory
            case Int32(Glibc.S_IFLNK): kind = .symlink
            case Int32(Glibc.S_IFCHR): kind = .charDevice
            case Int32(Glibc.S_IFBLK): kind = .blockDevice
            case Int32(Glibc.S_IFIFO): kind = .fifo
            case Int32(Glibc.S_IFSOCK): kind = .socket
            default: kind = .regular
            }
        }
        return TarEntryHeader(
            path: archive_entry_pathname(e).map { String(cString: $0) } ?? "",
            kind: kind,
            mode: UInt32(archive_entry_perm(e)),
            size: archive_entry_size_is_set(e) != 0 ? archive_entry_size(e) : 0,
            uid: archive_entry_uid(e),
            gid: archive_entry_gid(e),
            mtime: Int64(archive_entry_mtime(e)),
            linkTarget: hardlink ?? archive_entry_symlink(e).map { String(cString: $0) },
            device: archive_entry_rdev(e))
    }
}

/// libarchive's read side: pulls blocks from an fd, or from another reader's decompressed
/// stream, and hashes them.
final class RawInput {
    enum Origin {
        case file(Int32, owned: Bool)
        case reader(TarReader)
        /// Hashed (and zstd-decoded) on another thread; EOF reports that thread's errors.
        case pipe(BlobPipe)
    }

    let origin: Origin
    let source: String
    let hashing: Bool
    private var buffer: UnsafeMutableRawBufferPointer?
    var digest = SHA256Stream()
    var bytes: Int64 = 0
    var error: Error?

    init(origin: Origin, source: String, hashing: Bool = true) {
        self.origin = origin
        self.source = source
        self.hashing = hashing
    }

    deinit {
        buffer?.deallocate()
        if case .file(let fd, true) = origin { Syscall.close(fd) }
    }

    /// The next block of input (empty at the end), already hashed.
    func fill() throws -> UnsafeRawBufferPointer {
        let block: UnsafeRawBufferPointer
        switch origin {
        case .file(let fd, _):
            // 64 KiB: blocks still in cache when they are written out again; 1 MiB reads measured ~10% slower.
            if buffer == nil { buffer = .allocate(byteCount: 1 << 16, alignment: 16) }
            let n = try Syscall.read(fd, into: buffer!, what: "read \(source)")
            block = UnsafeRawBufferPointer(rebasing: buffer![0..<n])
        case .reader(let outer):
            block = try outer.nextBlock()
        case .pipe(let pipe):
            block = try pipe.next()
        }
        if hashing { digest.update(block) }
        bytes += Int64(block.count)
        return block
    }

    func drain() throws {
        while try fill().count > 0 {}
    }
}

private func rawInputRead(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?,
                          _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    let input = Unmanaged<RawInput>.fromOpaque(ctx!).takeUnretainedValue()
    do {
        let block = try input.fill()
        out?.pointee = block.baseAddress
        return la_ssize_t(block.count)
    } catch {
        input.error = error
        return -1
    }
}
