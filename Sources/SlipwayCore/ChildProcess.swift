import Foundation

/// A child process started with `posix_spawn` in its own process group, so a timeout can
/// kill everything it started (scripts that fork, `sleep` in a loop) with one `kill(-pgid)`.
public struct ChildProcess: Sendable {
    public let pid: pid_t
    /// Read end of the child's stdout+stderr, when captured.
    public let output: Int32?
    /// Write end of the child's stdin, when piped.
    public let input: Int32?

    public enum Input: Sendable { case null, pipe }

    /// Spawns `argv` with `environment`; stdout and stderr share one pipe unless `errors`
    /// names a descriptor for stderr.
    public static func spawn(_ argv: [String], environment: [String: String], input: Input = .null, errors: Int32? = nil) throws -> ChildProcess {
        var out: [Int32] = [-1, -1]
        // A socketpair made close-on-exec atomically (Glibc's Swift overlay lacks pipe2), so a
        // child spawned concurrently on another thread cannot inherit, and hold open, its
        // write end: a reader would never see end of file.
        guard cloexecPair(&out) == 0 else { throw SlipwayError.system("socketpair") }
        var inp: [Int32] = [-1, -1]
        if input == .pipe, cloexecPair(&inp) != 0 {
            Syscall.close(out[0]); Syscall.close(out[1])
            throw SlipwayError.system("pipe")
        }
        defer {
            Syscall.close(out[1])
            if inp[0] >= 0 { Syscall.close(inp[0]) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if inp[0] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors ?? out[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let args = argv.map { strdup($0) } + [nil]
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            args.forEach { free($0) }
            env.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, args, env)
        guard rc == 0 else {
            Syscall.close(out[0])
            if inp[1] >= 0 { Syscall.close(inp[1]) }
            throw SlipwayError.system("run \(argv[0])", errno: rc)
        }
        return ChildProcess(pid: pid, output: out[0], input: inp[1] >= 0 ? inp[1] : nil)
    }

    private static func cloexecPair(_ fds: inout [Int32]) -> Int32 {
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
    }

    /// Waits without blocking; the exit status (128+signal when killed) once it has exited.
    public func poll() -> Int32? {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        guard r == pid else { return r < 0 ? 255 : nil }
        return Self.exitCode(status)
    }

    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Self.exitCode(status)
    }

    /// Kills the whole process group.
    public func killGroup(_ signal: Int32 = SIGKILL) {
        kill(-pid, signal)
    }

    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The environment every child starts from: this process's PATH and locale only, so a
    /// deploy behaves the same from a shell or a service.
    public static func baseEnvironment() -> [String: String] {
        let env = ProcessInfo.processInfo.environment
        var base = ["PATH": env["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
        for key in ["HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "SSH_AUTH_SOCK"] { base[key] = env[key] }
        return base
    }
}
