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
        guard fd >= 0 else { throw SlipwayError.system("open \(path)") }
        try self.init(fd: fd, source: path, mode: mode, ownsFD: true)
    }

    public init(fd: Int32, source: String, mode: Mode = .tar, ownsFD: Bool = false) throws {
        self.source = source
        self.input = RawInput(fd: fd, source: source, ownsFD: ownsFD)
        a = archive_read_new()!
        archive_read_support_filter_all(a)
        switch mode {
        case .tar: archive_read_support_format_tar(a); archive_read_support_format_gnutar(a)
        case .raw: archive_read_support_format_raw(a)
        }
        let ctx = Unmanaged.passUnretained(input).toOpaque()
        if archive_read_open2(a, ctx, nil, rawInputRead, nil, nil) != ARCHIVE_OK {
            let error = input.error ?? archiveError(a, "\(source): not a readable archive")
            archive_read_free(a)
            throw error
        }
    }

    deinit {
        archive_read_free(a)
    }

    /// The compression libarchive detected.
    public var compression: Compression {
        switch archive_filter_code(a, 0) {
        case ARCHIVE_FILTER_GZIP: return .gzip
        case ARCHIVE_FILTER_ZSTD: return .zstd
        case ARCHIVE_FILTER_XZ: return .xz
        default: return .none
        }
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

    /// Reads the rest of the input, so `rawDigest` covers every byte of the file.
    public func drain() throws {
        try input.drain()
    }

    /// SHA-256 of the raw bytes read so far (call `drain()` first for the whole file).
    public var rawDigest: String { input.digest.finalizeHex() }
    public var rawBytes: Int64 { input.bytes }

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

/// libarchive's read side: pulls blocks from an fd and hashes them.
final class RawInput {
    let fd: Int32
    let source: String
    let ownsFD: Bool
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    var digest = SHA256Stream()
    var bytes: Int64 = 0
    var error: Error?

    init(fd: Int32, source: String, ownsFD: Bool) {
        self.fd = fd
        self.source = source
        self.ownsFD = ownsFD
    }

    deinit {
        buffer.deallocate()
        if ownsFD { Syscall.close(fd) }
    }

    func fill() throws -> Int {
        let n = try Syscall.read(fd, into: buffer, what: "read \(source)")
        digest.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        bytes += Int64(n)
        return n
    }

    func drain() throws {
        while try fill() > 0 {}
    }
}

private func rawInputRead(_ a: OpaquePointer?, _ ctx: UnsafeMutableRawPointer?,
                          _ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t {
    let input = Unmanaged<RawInput>.fromOpaque(ctx!).takeUnretainedValue()
    do {
        let n = try input.fill()
        out?.pointee = UnsafeRawPointer(input.buffer.baseAddress)
        return la_ssize_t(n)
    } catch {
        input.error = error
        return -1
    }
}
