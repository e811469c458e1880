import Foundation

/// A file written under a temporary name and renamed over its destination once whole, so no
/// reader sees it half-written: `place(at:)` flushes it to disk and renames it, `close()`
/// closes it and, unless it was placed, removes it (so every failure leaves nothing behind).
public struct StagingFile {
    public let path: String
    public let fd: Int32
    private var placed = false

    /// Creates `path` for writing; it must not exist yet, unless `replacing`.
    public init(_ path: String, mode: mode_t = 0o644, replacing: Bool = false) throws {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (replacing ? O_TRUNC : O_EXCL)
        var fd: Int32
        repeat { fd = open(path, flags, mode) } while fd < 0 && errno == EINTR
        guard fd >= 0 else { throw SlipwayError.create(path) }
        self.fd = fd
        self.path = path
    }

    /// Flushes the content to disk and renames the file to `destination`.
    public mutating func place(at destination: String) throws {
        try Syscall.fsync(fd, what: "fsync \(path)")
        guard rename(path, destination) == 0 else { throw SlipwayError.rename(path, to: destination) }
        placed = true
    }

    /// Closes the file, and removes it unless it was placed.
    public func close() {
        Syscall.close(fd)
        if !placed { unlink(path) }
    }
}
