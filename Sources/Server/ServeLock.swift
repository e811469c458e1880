import Foundation
import SlipwayCore

/// One `slipway serve` per SLIPWAY_HOME: an exclusive flock on `serve/lock`, held for the
/// life of the process (the kernel lets it go when the process ends, however it ends). The
/// file holds the holder's PID for the message a second start gets. The descriptor is
/// close-on-exec, so a daemon started by a deploy hook never holds the lock.
public final class ServeLock: Sendable {
    public let file: String
    private let fd: Int32

    public init(home: SlipwayHome) throws {
        let file = home.path + "/serve/lock"
        self.file = file
        try makeDirectories((file as NSString).deletingLastPathComponent, mode: 0o700)
        let fd = try Syscall.retrying("open \(file)") { open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            Syscall.close(fd)
            guard code == EWOULDBLOCK else { throw SlipwayError.system("flock \(file)", errno: code) }
            throw SlipwayError.badInput("another slipway serve\(holder.flatMap(Int32.init).map { " (PID \($0))" } ?? "") is already "
                                        + "running on SLIPWAY_HOME \(home.path): stop it first, or give this one another SLIPWAY_HOME")
        }
        self.fd = fd
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        Syscall.close(fd)
    }
}
