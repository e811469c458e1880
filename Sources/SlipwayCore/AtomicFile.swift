import Foundation

/// Writes a small file via a temporary name, fsync and rename, so readers see the old
/// content or the new, never half of it.
public func writeFileAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
    let staging = path + ".tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    let fd = try Syscall.retrying("create \(staging)") { open(staging, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
    defer { Syscall.close(fd) }
    do {
        try data.withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "write \(staging)") }
        try Syscall.fsync(fd, what: "fsync \(staging)")
        guard rename(staging, path) == 0 else { throw SlipwayError.rename(staging, to: path) }
    } catch {
        unlink(staging)
        throw error
    }
}
