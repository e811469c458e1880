import Foundation
import Synchronization

/// Catches a close of a descriptor number its closer no longer owns (a double close, a close
/// of a stale number) while code under test runs in this process.
///
/// Such a close takes down whatever the number was given to in between, and a number is
/// given out again at once: open, socket, accept and dup all take the lowest free one. A
/// thread of this detector keeps taking numbers (dups of a private unlinked file) and checks
/// that each still names that file until it closes it itself; one that no longer does was
/// closed under it. Under a double close of code on another thread the detector's number is
/// the one closed the second time, as NIO's accepted socket was in the crash this guards against.
public final class StrayCloseDetector: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let strays = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    /// Runs `body` while the detector watches; how many of its descriptors someone else
    /// closed meanwhile. The watching thread ends however `body` does.
    public static func count(during body: () throws -> Void) throws -> Int {
        let detector = try StrayCloseDetector()
        defer { _ = detector.stop() }
        try body()
        return detector.stop()
    }

    /// Starts watching; `stop()` ends it.
    private init() throws {
        let path = NSTemporaryDirectory() + "slipway-stray-close-\(getpid())-\(UUID().uuidString)"
        let master = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard master >= 0 else { throw TestFailure("create \(path): \(String(cString: strerror(errno)))") }
        unlink(path)
        var info = stat()
        fstat(master, &info)
        let inode = info.st_ino
        Thread.detachNewThread { [self] in
            defer { close(master); finished.signal() }
            while !stopped.load(ordering: .relaxed) {
                let fd = fcntl(master, F_DUPFD_CLOEXEC, 0)
                guard fd >= 0 else { usleep(1_000); continue }
                var mine = true
                for _ in 0..<16 where mine {
                    var now = stat()
                    mine = fstat(fd, &now) == 0 && now.st_ino == inode
                }
                // A number taken from under us is not ours to close any more.
                if mine { close(fd) } else { strays.add(1, ordering: .relaxed) }
            }
        }
    }

    /// Stops the thread; how many of its descriptors someone else closed.
    private func stop() -> Int {
        if !stopped.exchange(true, ordering: .relaxed) { finished.wait() }
        return strays.load(ordering: .relaxed)
    }
}
