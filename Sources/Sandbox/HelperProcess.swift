import CLinux
import Foundation
import SlipwayCore

/// The spawned helper and the service's ends of its pipes.
struct HelperProcess {
    let pid: pid_t
    /// pidfd for signalling without PID-reuse races (-1 on kernels without pidfd_open).
    let pidfd: Int32
    let stdout: Int32
    let stderr: Int32
    let report: Int32
    /// The spec pipe's write end, held open for the sandbox's lifetime: its EOF tells the helper
    /// that the service died.
    let lifeline: Int32

    /// posix_spawn (vfork-based in glibc, so safe from a multithreaded process) of the helper
    /// with the spec on fd 3, the report pipe on fd 4 and stdout/stderr on pipes. Every fd the
    /// service creates is close-on-exec, so only these five reach the helper.
    static func spawn(_ command: [String], spec: [UInt8]) throws -> HelperProcess {
        // Every descriptor made here is closed when this returns, but for the service's ends
        // of a helper that started: out of descriptors (EMFILE at the third pipe, say), those
        // made before must not stay open.
        var made: [Int32] = []
        defer { for fd in made { Syscall.close(fd) } }
        func pipe(_ what: String) throws -> (read: Int32, write: Int32) {
            let ends = try Self.pipe(what)
            made += [ends.read, ends.write]
            return ends
        }
        let specPipe = try pipe("spec")
        let reportPipe = try pipe("report")
        let outPipe = try pipe("stdout")
        let errPipe = try pipe("stderr")
        let null = try Syscall.retrying("open /dev/null") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        made.append(null)
        let childEnds = [null, outPipe.write, errPipe.write, specPipe.read, reportPipe.write]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in childEnds.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The calling thread's mask and handlers are the service's business, not the helper's.
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = command.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard result == 0 else { throw SlipwayError.system("spawn sandbox helper \(command[0])", errno: result) }
        made = childEnds  // the helper has its copies; the service keeps its own ends
        let helper = HelperProcess(pid: pid, pidfd: cl_pidfd_open(pid), stdout: outPipe.read, stderr: errPipe.read,
                                   report: reportPipe.read, lifeline: specPipe.write)
        do {
            try spec.withUnsafeBytes { try Syscall.writeAll(specPipe.write, $0, what: "write sandbox spec") }
        } catch {
            // The helper died before reading; its report (if any) says why, so carry on.
        }
        return helper
    }

    /// A close-on-exec pipe whose ends sit above fd 10, so that dup2 onto 0...4 never meets a
    /// source that is itself one of those numbers.
    private static func pipe(_ what: String) throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard cl_pipe_cloexec(&fds) == 0 else { throw SlipwayError.system("pipe (\(what))") }
        let read = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)
        let write = read < 0 ? -1 : fcntl(fds[1], F_DUPFD_CLOEXEC, 10)
        let code = errno
        Syscall.close(fds[0])
        Syscall.close(fds[1])
        guard read >= 0, write >= 0 else {
            if read >= 0 { Syscall.close(read) }
            throw SlipwayError.system("fcntl(F_DUPFD_CLOEXEC) (\(what))", errno: code)
        }
        return (read, write)
    }
}
