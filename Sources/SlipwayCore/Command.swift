import CLinux
import Foundation

/// A program to start, and where its standard streams go. `spawn()` starts it as a
/// `ChildProcess`; `run` and `runLines` start it and read it to the end.
///
/// Every child gets real pipes (never sockets, so `echo x > /dev/stderr` works), starts in its
/// own process group with default signal handling and an empty signal mask, and holds only
/// descriptors 0, 1 and 2: everything else this process has open, close-on-exec or not, is
/// closed in the child.
public struct Command: Sendable {
    /// Where the child's stdin comes from.
    public enum Input: Sendable {
        /// /dev/null.
        case null
        /// A pipe the caller writes with `ChildProcess.send` and ends with `closeInput()`.
        case pipe
        /// A pipe fed with these bytes while the output is read, then closed.
        case bytes([UInt8])
    }

    /// Where the child's stdout or stderr goes.
    public enum Output: Sendable, Equatable {
        /// A pipe this process reads.
        case pipe
        /// /dev/null.
        case null
        /// A descriptor of this process (a file, or this process's own stderr).
        case descriptor(Int32)
        /// stderr only: the same pipe as stdout, interleaved as written.
        case stdout
    }

    public var argv: [String]
    public var environment: [String: String]
    public var input: Input
    public var stdout: Output
    public var stderr: Output
    /// Its own process group (pgid = pid), so a timeout can kill everything it started.
    public var newProcessGroup: Bool

    /// `argv[0]` is a path: nothing searches PATH.
    public init(_ argv: [String], environment: [String: String] = Command.baseEnvironment(), input: Input = .null,
                stdout: Output = .pipe, stderr: Output = .stdout, newProcessGroup: Bool = true) {
        precondition(!argv.isEmpty, "a command needs a program")
        precondition(stdout != .stdout, "stdout cannot go to itself")
        self.argv = argv
        self.environment = environment
        self.input = input
        self.stdout = stdout
        self.stderr = stderr
        self.newProcessGroup = newProcessGroup
    }

    /// The environment every child starts from: this process's PATH and locale only, so a
    /// deploy behaves the same from a shell or a service.
    public static func baseEnvironment() -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var base = ["PATH": env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        for key in ["HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SSH_AUTH_SOCK"] { base[key] = env[key] }
        return base
    }

    /// Starts the program. The caller reads it (`pump`, `readLine`) and waits for it.
    public func spawn() throws -> ChildProcess {
        try spawn(closingListedDescriptors: false)
    }

    /// `closingListedDescriptors` forces the fallback that closes the descriptors open at the
    /// time of the call one by one (for tests; glibc before 2.34 always takes it).
    func spawn(closingListedDescriptors listed: Bool) throws -> ChildProcess {
        _ = Self.signalSetup
        var opened: [Int32] = []  // every descriptor made here, closed on failure
        var childEnds: [Int32] = []  // closed in this process once the child has them
        defer { for fd in childEnds { Syscall.close(fd) } }
        func pipe(_ what: String) throws -> (read: Int32, write: Int32) {
            let fds = try Self.pipe(what)
            opened += [fds.read, fds.write]
            return fds
        }
        do {
            var stdinSource: Int32?, stdinWriter: Int32?
            switch input {
            case .null: break
            case .pipe, .bytes:
                let fds = try pipe("stdin")
                stdinSource = fds.read
                stdinWriter = fds.write
                childEnds.append(fds.read)
                // Never block on a child that does not read: the pump polls for room.
                _ = fcntl(fds.write, F_SETFL, fcntl(fds.write, F_GETFL) | O_NONBLOCK)
            }
            var readers: [(ChildProcess.Stream, Int32)] = []
            func target(_ output: Output, _ stream: ChildProcess.Stream, stdoutTarget: Int32?) throws -> Int32? {
                switch output {
                case .pipe:
                    let fds = try pipe(stream == .stdout ? "stdout" : "stderr")
                    readers.append((stream, fds.read))
                    childEnds.append(fds.write)
                    return fds.write
                case .null: return nil
                case .descriptor(let fd): return fd
                case .stdout: return stdoutTarget
                }
            }
            let outTarget = try target(stdout, .stdout, stdoutTarget: nil)
            let errTarget = try target(stderr, .stderr, stdoutTarget: outTarget)

            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for (fd, source) in [(Int32(0), stdinSource), (1, outTarget), (2, errTarget)] {
                if let source {
                    posix_spawn_file_actions_adddup2(&actions, source, fd)
                } else {
                    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
                }
            }
            guard cl_spawn_close_from(&actions, 3, listed ? 1 : 0) == 0 else { throw SlipwayError.system("posix_spawn_file_actions (close from 3)") }

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            // The calling thread's mask and this process's ignored signals (SIGPIPE) are not
            // the child's business.
            var none = sigset_t()
            sigemptyset(&none)
            posix_spawnattr_setsigmask(&attributes, &none)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigdefault(&attributes, &all)
            var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
            if newProcessGroup {
                posix_spawnattr_setpgroup(&attributes, 0)
                flags |= Int32(POSIX_SPAWN_SETPGROUP)
            }
            posix_spawnattr_setflags(&attributes, Int16(flags))

            let args = argv.map { strdup($0) } + [nil]
            let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                args.forEach { free($0) }
                env.forEach { free($0) }
            }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, argv[0], &actions, &attributes, args, env)
            guard rc == 0 else { throw SlipwayError.system("run \(argv[0])", errno: rc) }
            var pending: [UInt8]?
            if case .bytes(let bytes) = input { pending = bytes }
            return ChildProcess(pid: pid, groupLeader: newProcessGroup, input: stdinWriter, pendingInput: pending, outputs: readers)
        } catch {
            for fd in opened where !childEnds.contains(fd) { Syscall.close(fd) }
            throw error
        }
    }

    /// A pipe made close-on-exec atomically (pipe2), so a child spawned at the same moment on
    /// another thread cannot inherit and hold open its write end (a reader would never see
    /// end of file). Both ends sit above 2, so the dup2 onto 0...2 never meets a source that
    /// another dup2 already replaced (when this process runs with 0, 1 or 2 closed).
    static func pipe(_ what: String) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard cl_pipe_cloexec(&fds) == 0 else { throw SlipwayError.system("pipe (\(what))") }
        for i in 0..<2 where fds[i] <= 2 {
            let raised = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)
            Syscall.close(fds[i])
            fds[i] = raised
        }
        guard fds[0] >= 0, fds[1] >= 0 else {
            for fd in fds where fd >= 0 { Syscall.close(fd) }
            throw SlipwayError.system("fcntl(F_DUPFD_CLOEXEC) (\(what))")
        }
        return (fds[0], fds[1])
    }

    /// Writing to a child that has exited fails with EPIPE instead of killing this process
    /// (children get SIGPIPE back at its default: setsigdefault). A SIGINT, SIGTERM, SIGHUP or
    /// SIGQUIT that would end this process goes on to the children's process groups first, so
    /// hooks and ssh do not outlive a `slipway deploy` stopped with Ctrl-C or `kill`: they are
    /// in groups of their own, which a terminal's signals do not reach.
    private static let signalSetup: Void = {
        signal(SIGPIPE, SIG_IGN)
        cl_forward_signals_to_child_groups()
    }()
}

extension Command {
    /// What `run` collected.
    public struct Outcome: Sendable {
        public var ending: ChildProcess.Ending
        public var stdout: [UInt8]
        public var stderr: [UInt8]
    }

    /// Runs the program to the end (see `ChildProcess.pump` for `timeout` and `grace`),
    /// collecting its stdout and stderr pipes whole.
    public func run(timeout: TimeInterval? = nil, grace: TimeInterval? = nil) throws -> Outcome {
        let child = try spawn()
        var outcome = Outcome(ending: .timedOut, stdout: [], stderr: [])
        outcome.ending = child.pump(deadline: timeout.map { Date().addingTimeInterval($0) }, grace: grace) { stream, bytes in
            if stream == .stdout { outcome.stdout += bytes } else { outcome.stderr += bytes }
        }
        return outcome
    }

    /// Runs the program to the end, each line of its output to `line` as it comes.
    public func runLines(timeout: TimeInterval? = nil, grace: TimeInterval? = nil,
                         line: (ChildProcess.Stream, String) -> Void) throws -> ChildProcess.Ending {
        try spawn().pumpLines(deadline: timeout.map { Date().addingTimeInterval($0) }, grace: grace, line: line)
    }
}
