import Foundation

/// Runs code with this process (almost) out of file descriptors, to take the error paths that
/// only EMFILE takes, and reports what those paths did to descriptors they did not own.
///
/// Only in a child copy of the test binary (`ChildTest`): the limit is lowered there and the
/// table filled, never in the test process, whose other suites would fail with it.
public enum DescriptorSqueeze {
    /// What a squeezed run did to this process's descriptors.
    public struct Report: Sendable, CustomStringConvertible {
        /// How many descriptors were left free for the run.
        public var free: Int
        /// Fillers closed (or replaced) by someone else: closes of numbers the closer did not own.
        public var strays: Int
        /// Descriptors open after the run that were not before it.
        public var leaked: [Int32: String]
        /// Descriptors open before the run that are gone or refer to something else after it.
        public var lost: [Int32: String]

        public var clean: Bool { strays == 0 && leaked.isEmpty && lost.isEmpty }

        public var description: String {
            "with \(free) descriptors free: \(strays) closed under their owner, leaked \(leaked), lost \(lost)"
        }
    }

    /// Lowers the soft RLIMIT_NOFILE to `headroom` above the highest descriptor open now, so
    /// that filling the table takes a moment. Refuses outside a child test.
    public static func lowerLimit(headroom: Int = 64) throws {
        guard ChildTest.isChild else { throw TestFailure("the descriptor limit is lowered only in a child test process") }
        let highest = openDescriptors().keys.max() ?? 2
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = rlim_t(Int(highest) + 1 + headroom)
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { throw TestFailure("setrlimit: \(String(cString: strerror(errno)))") }
    }

    /// Fills the descriptor table but for `free` numbers, runs `body`, empties it again, and
    /// compares the descriptors open before and after. The fillers are dups of a private
    /// unlinked file, so one closed by someone else (and perhaps given out again) is told apart.
    public static func run(leaving free: Int, _ body: () throws -> Void) throws -> Report {
        guard ChildTest.isChild else { throw TestFailure("descriptors are squeezed only in a child test process") }
        let path = NSTemporaryDirectory() + "slipway-squeeze-\(getpid())-\(UUID().uuidString)"
        let master = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard master >= 0 else { throw TestFailure("create \(path): \(String(cString: strerror(errno)))") }
        unlink(path)
        defer { close(master) }
        var info = stat()
        fstat(master, &info)
        let inode = info.st_ino
        let before = openDescriptors()
        var fillers: [Int32] = []
        while true {
            let fd = fcntl(master, F_DUPFD_CLOEXEC, 0)
            if fd < 0 { break }
            fillers.append(fd)
        }
        // The highest ones go, so the run gets numbers above everything it finds open.
        for _ in 0..<min(free, fillers.count) { close(fillers.removeLast()) }
        let outcome = Result { try body() }
        var strays = 0
        for fd in fillers {
            var now = stat()
            if fstat(fd, &now) == 0 && now.st_ino == inode { close(fd) } else { strays += 1 }
        }
        let after = openDescriptors().filter { $0.key != master }
        try outcome.get()
        let beforeRun = before.filter { $0.key != master }
        return Report(free: free, strays: strays,
                      leaked: after.filter { beforeRun[$0.key] != $0.value },
                      lost: beforeRun.filter { after[$0.key] != $0.value })
    }

    /// Every descriptor of this process and what /proc says it refers to.
    public static func openDescriptors() -> [Int32: String] {
        var open: [Int32: String] = [:]
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return open }
        for name in names {
            guard let fd = Int32(name), let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
            else { continue }
            open[fd] = target
        }
        // The directory listing's own descriptor is closed again by now.
        return open.filter { fcntl($0.key, F_GETFD) >= 0 }
    }
}

/// A test run again in a child copy of this test binary, for what must not happen in the test
/// process itself (a lowered descriptor limit). The child-side test is enabled only there.
public enum ChildTest {
    static let variable = "SLIPWAY_CHILD_TEST"

    /// Whether this process is such a child.
    public static var isChild: Bool { ProcessInfo.processInfo.environment[variable] == "1" }

    /// Runs the tests matching `filter` (Swift Testing's `--filter`) in a child; throws unless
    /// exactly they ran and passed, with what the child printed.
    public static func run(_ filter: String, timeout: Duration = .seconds(120)) throws -> ProgramOutput {
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let output = try Program.run(binary, ["--testing-library", "swift-testing", "--filter", filter],
                                     environment: [variable: "1", "NO_COLOR": "1"], timeout: timeout)
        // Swift Testing reports on stderr.
        guard output.status == 0, output.stderr.contains(" passed after "), !output.stderr.contains("skipped") else {
            throw TestFailure("the child test \(filter) did not pass:\n\(output)")
        }
        return output
    }
}
