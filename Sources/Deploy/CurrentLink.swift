import Foundation
import SlipwayCore

/// The `current` symlink of a target on this machine, and its atomic switch.
public struct CurrentLink: Sendable {
    public let layout: ReleaseLayout

    public init(layout: ReleaseLayout) {
        self.layout = layout
    }

    /// The release id `current` points at; nil when there is no link yet.
    public func read() throws -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(layout.current, &buffer, buffer.count - 1)
        if n < 0 {
            if errno == ENOENT { return nil }
            throw SlipwayError.system("readlink \(layout.current)")
        }
        return ReleaseLayout.releaseID(fromLink: String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// Points `current` at `releases/<id>` with no instant where it is missing or dangling.
    ///
    /// A fresh link under a unique temp name in the same directory is renamed over `current`
    /// (`rename(2)` replaces atomically; `ln -sfn` unlinks first on BusyBox and BSD). The
    /// directory is fsynced so the switch survives a power cut, then re-read to prove it took.
    /// A crash before the rename leaves only a `.current.tmp-*` link, which `sweepTemporaryLinks`
    /// removes and nothing ever publishes.
    public func switchTo(_ id: String) throws {
        guard ReleaseID.isValid(id) else { throw SlipwayError.badInput("'\(id)' is not a release id") }
        let dirfd = try Syscall.retrying("open \(layout.root)") { open(layout.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        defer { Syscall.close(dirfd) }
        let text = ReleaseLayout.linkText(id)
        let temporary = ".current.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard symlinkat(text, dirfd, temporary) == 0 else { throw SlipwayError.system("symlink \(layout.root)/\(temporary)") }
        guard renameat(dirfd, temporary, dirfd, "current") == 0 else {
            let code = errno
            unlinkat(dirfd, temporary, 0)
            throw SlipwayError.system("rename \(temporary) over \(layout.current)", errno: code)
        }
        try Syscall.fsync(dirfd, what: "fsync \(layout.root)")
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirfd, "current", &buffer, buffer.count - 1)
        let now = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        guard now == text else {
            throw SlipwayError.failed("\(layout.current) reads '\(now)' after switching to '\(text)': another process changed it")
        }
    }

    /// Removes temp links a crashed switch left behind (call with the lock held).
    public func sweepTemporaryLinks() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.root)) ?? [] where name.hasPrefix(".current.tmp-") {
            unlink(layout.root + "/" + name)
        }
    }
}
