import Foundation

/// Writes a small file via a temporary name, fsync and rename, so readers see the old
/// content or the new, never half of it.
public func writeFileAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
    var staging = try StagingFile(path + ".tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))", mode: mode)
    defer { staging.close() }
    try data.withUnsafeBytes { try Syscall.writeAll(staging.fd, $0, what: "write \(staging.path)") }
    try staging.place(at: path)
}
