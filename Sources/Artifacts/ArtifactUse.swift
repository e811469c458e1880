import Foundation
import SlipwayCore

/// A reader's hold on an artifact while a deploy or an unpack reads it: a shared `flock` on
/// its record. Garbage collection deletes only what it can lock exclusively, so nothing in use
/// disappears underneath its reader; the kernel drops the hold if the reader dies.
public final class ArtifactUse: Sendable {
    private let fd: Int32

    init(recordPath: String) throws {
        let fd = try Syscall.retrying("open \(recordPath)") { open(recordPath, O_RDONLY | O_CLOEXEC) }
        do { try Syscall.retrying("lock \(recordPath)") { flock(fd, LOCK_SH) } } catch {
            Syscall.close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { Syscall.close(fd) }
}

extension ArtifactStore {
    /// Holds `digest` against garbage collection until the returned value is released.
    public func use(_ digest: Digest) throws -> ArtifactUse {
        try ArtifactUse(recordPath: recordPath(digest))
    }
}
