import Crypto
import Foundation

/// A streaming SHA-256 (swift-crypto: the CPU's SHA instructions where present).
public struct SHA256Stream {
    private var hasher = SHA256()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    public mutating func update(_ data: Data) {
        hasher.update(data: data)
    }

    /// The digest; the stream should not be used afterwards.
    public func finalize() -> Digest {
        Digest(trustedHex: finalizeHex())
    }

    /// The hex digest; the stream should not be used afterwards.
    public func finalizeHex() -> String {
        Hex.encode(hasher.finalize())
    }

    /// SHA-256 of a whole byte string, as hex.
    public static func hex(of data: Data) -> String {
        var s = SHA256Stream()
        s.update(data)
        return s.finalizeHex()
    }

    /// SHA-256 of a file's bytes, as hex, read in large blocks.
    public static func hex(ofFile path: String) throws -> String {
        let fd = try Syscall.retrying("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { Syscall.close(fd) }
        return try hex(ofFD: fd, what: path)
    }

    /// SHA-256 of an open file's bytes with pread, as a digest.
    public static func digest(ofFD fd: Int32, what path: String) throws -> Digest {
        Digest(trustedHex: try hex(ofFD: fd, what: path))
    }

    /// SHA-256 of an open file's bytes with pread, so the fd's offset (which another reader
    /// may share) is left alone.
    public static func hex(ofFD fd: Int32, what path: String) throws -> String {
        var s = SHA256Stream()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let n = try Syscall.retrying("read \(path)") { pread(fd, buffer.baseAddress, buffer.count, offset) }
            if n == 0 { break }
            s.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            offset += off_t(n)
        }
        return s.finalizeHex()
    }
}
