import CZlib
import CZstd
import Foundation
import SlipwayCore

/// How a tar stream is encoded on disk.
public enum Compression: String, Sendable, Codable, CaseIterable {
    case none, gzip, zstd, xz

    public var mediaType: String {
        switch self {
        case .none: return "application/vnd.slipway.artifact.tar"
        case .gzip: return "application/vnd.slipway.artifact.tar+gzip"
        case .zstd: return "application/vnd.slipway.artifact.tar+zstd"
        case .xz: return "application/vnd.slipway.artifact.tar+xz"
        }
    }

    public var fileExtension: String {
        switch self {
        case .none: return "tar"
        case .gzip: return "tar.gz"
        case .zstd: return "tar.zst"
        case .xz: return "tar.xz"
        }
    }
}

/// Where bytes go: a file, a hasher, a compressor.
public protocol ByteSink: AnyObject {
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Flushes everything buffered; called once at the end.
    func finish() throws
}

/// Writes to a file descriptor and hashes what it wrote.
public final class FileSink: ByteSink {
    public let fd: Int32
    public let path: String
    public private(set) var digest = SHA256Stream()
    public private(set) var bytesWritten: Int64 = 0

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        digest.update(bytes)
        bytesWritten += Int64(bytes.count)
        try Syscall.writeAll(fd, bytes, what: "write \(path)")
    }

    public func finish() throws {}
}

/// A compressor in front of another sink: `compress` feeds it bytes (and, at the end, asks it
/// to flush its last frame); everything it produces goes to `sink`.
public protocol Compressor: ByteSink {
    var sink: ByteSink { get }
    func compress(_ bytes: UnsafeRawBufferPointer, finishing: Bool) throws
}

extension Compressor {
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try compress(bytes, finishing: false)
    }

    public func finish() throws {
        try compress(UnsafeRawBufferPointer(start: nil, count: 0), finishing: true)
        try sink.finish()
    }
}

public func makeCompressor(_ compression: Compression, level: Int? = nil, into sink: ByteSink) throws -> ByteSink {
    switch compression {
    case .none: return sink
    case .zstd: return try ZstdCompressor(level: level ?? 3, into: sink)
    case .gzip: return try GzipCompressor(level: level ?? 6, into: sink)
    case .xz: throw SlipwayError.badInput("writing xz is not supported; use zstd (default) or gzip")
    }
}

/// zstd through libzstd with two worker threads: compression is most of a pack's work, so it
/// gets both cores while this thread reads and hashes. For any worker count of one or more the
/// output for given bytes and level is the same, whatever the timing.
public final class ZstdCompressor: Compressor {
    private let cctx: OpaquePointer
    public let sink: ByteSink
    private let out: UnsafeMutableRawBufferPointer

    public init(level: Int, into sink: ByteSink) throws {
        guard let cctx = ZSTD_createCCtx() else { throw SlipwayError.system(call: "ZSTD_createCCtx", errno: ENOMEM) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, Int32(level))
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
        // A libzstd built without threads would compress on one core and write other bytes
        // than every other build of Slipway: refused rather than silently different.
        guard ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2)) == 0 else {
            ZSTD_freeCCtx(cctx)
            throw SlipwayError.failed("zstd: this libzstd (\(String(cString: ZSTD_versionString()))) was built without multithreading: link a threaded one")
        }
        self.cctx = cctx
        self.sink = sink
        self.out = .allocate(byteCount: ZSTD_CStreamOutSize(), alignment: 16)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        out.deallocate()
    }

    public func compress(_ bytes: UnsafeRawBufferPointer, finishing: Bool) throws {
        let mode = finishing ? ZSTD_e_end : ZSTD_e_continue
        var input = ZSTD_inBuffer(src: bytes.baseAddress, size: bytes.count, pos: 0)
        while true {
            var output = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
            let remaining = ZSTD_compressStream2(cctx, &output, &input, mode)
            if ZSTD_isError(remaining) != 0 {
                throw SlipwayError.failed("zstd: \(String(cString: ZSTD_getErrorName(remaining)))")
            }
            if output.pos > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: out[0..<output.pos])) }
            let done = finishing ? remaining == 0 : input.pos == input.size
            if done { return }
        }
    }
}

/// gzip through zlib: header mtime 0 and no file name, so the output is deterministic.
public final class GzipCompressor: Compressor {
    private var stream = z_stream()
    public let sink: ByteSink
    private let out: UnsafeMutableRawBufferPointer

    public init(level: Int, into sink: ByteSink) throws {
        self.sink = sink
        self.out = .allocate(byteCount: 1 << 18, alignment: 16)
        // windowBits 15 + 16 asks zlib for a gzip wrapper with a zeroed header.
        let rc = deflateInit2_(&stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw SlipwayError.failed("zlib: deflateInit2 failed (\(rc))") }
    }

    deinit {
        deflateEnd(&stream)
        out.deallocate()
    }

    public func compress(_ bytes: UnsafeRawBufferPointer, finishing: Bool) throws {
        let flush = finishing ? Z_FINISH : Z_NO_FLUSH
        stream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(bytes.count)
        while true {
            stream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(out.count)
            let rc = deflate(&stream, flush)
            if rc == Z_STREAM_ERROR { throw SlipwayError.failed("zlib: deflate failed") }
            let produced = out.count - Int(stream.avail_out)
            if produced > 0 { try sink.write(UnsafeRawBufferPointer(rebasing: out[0..<produced])) }
            if finishing ? rc == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out != 0) { return }
        }
    }
}
