import Foundation
import SlipwayCore
import Synchronization

/// The deploy lock of a target on this machine: `flock(2)` on `.slipway/lock`, whose text names
/// the owner (pid, start, what it does).
///
/// flock is atomic and the kernel drops it when its holder dies, even by SIGKILL, so a lock
/// left by a dead deploy is never a lock at all: the next deploy takes it and, finding the
/// dead owner's text still there, reports the takeover. The descriptor is close-on-exec so
/// hook scripts and daemons they start never hold it.
public final class DeployLock: HostLock {
    public let path: String
    private let fd: Int32
    private let released = Atomic(false)
    /// The text a previous holder left when it died holding the lock, if any.
    public let staleOwner: String?

    /// Takes the lock, waiting up to `wait` seconds; throws a clear error naming the holder.
    public init(path: String, purpose: String, wait: TimeInterval = 0) throws {
        self.path = path
        let fd = try Syscall.retrying("open \(path)") { open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) }
        let deadline = Date().addingTimeInterval(wait)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                Syscall.close(fd)
                throw SlipwayError.system("lock \(path)", errno: code)
            }
            if Date() >= deadline {
                let owner = DeployLock.read(fd)
                Syscall.close(fd)
                throw SlipwayError.failed("\(path): another deploy holds this target (\(owner.isEmpty ? "owner unknown" : owner)); "
                                          + "wait for it to finish or retry with a longer wait")
            }
            usleep(50_000)
        }
        let previous = DeployLock.read(fd)
        staleOwner = previous.isEmpty ? nil : previous
        let owner = "pid \(getpid()) on \(localHostName()) since \(Timestamp.format(Date())): \(purpose)"
        _ = ftruncate(fd, 0)
        _ = Array(owner.utf8).withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
    }

    /// Clears the owner text and releases the lock; once: a second call must not close the
    /// number again (by then it may be another thread's descriptor).
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = ftruncate(fd, 0)
        // Unlock explicitly: a child being spawned on another thread holds a copy of this
        // descriptor until its exec, and closing ours alone would keep the lock until then.
        _ = flock(fd, LOCK_UN)
        Syscall.close(fd)
    }

    private static func read(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }
}

/// This machine's name from gethostname(2) (Foundation's `hostName` may do DNS lookups).
func localHostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
