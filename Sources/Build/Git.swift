import Foundation
import SlipwayCore

/// Runs git with `posix_spawn` and `waitpid`: Foundation's `Process` waits by polling its
/// run loop, which costs milliseconds per call, and a result-cache hit is mostly git calls.
enum Git {
    static let executable = "/usr/bin/git"

    /// git's stdout, trimmed.
    static func run(_ arguments: [String], in directory: String) throws -> String {
        String(decoding: try data(arguments, in: directory), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// git's stdout as it is; throws with git's stderr when it fails.
    static func data(_ arguments: [String], in directory: String, input: Data? = nil) throws -> Data {
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1], inp: [Int32] = [-1, -1]
        let cloexecStream = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, cloexecStream, 0, &out) == 0 else { throw SlipwayError.system("socketpair") }
        guard socketpair(AF_UNIX, cloexecStream, 0, &err) == 0 else {
            Syscall.close(out[0]); Syscall.close(out[1])
            throw SlipwayError.system("socketpair")
        }
        defer { Syscall.close(out[0]); Syscall.close(err[0]) }
        // Small inputs (object names) fit the socket buffer: written in full before git runs.
        if let input {
            guard socketpair(AF_UNIX, cloexecStream, 0, &inp) == 0 else { throw SlipwayError.system("socketpair") }
            defer { Syscall.close(inp[1]) }
            try input.withUnsafeBytes { try Syscall.writeAll(inp[1], $0, what: "write to git") }
        }
        defer { if inp[0] >= 0 { Syscall.close(inp[0]) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if inp[0] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let argv = [executable, "-C", directory] + arguments
        let args = argv.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, args, environ)
        Syscall.close(out[1])
        Syscall.close(err[1])
        guard rc == 0 else {
            throw SlipwayError.failed("cannot run git (\(String(cString: strerror(rc)))): install git to build from a checkout")
        }
        let (stdout, stderr) = try drain(out[0], err[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else {
            let text = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw SlipwayError.failed("git \(arguments.first ?? ""): \(text)")
        }
        return stdout
    }

    /// Reads both streams to their end at once, so neither can fill up and stall git.
    private static func drain(_ a: Int32, _ b: Int32) throws -> (Data, Data) {
        var results = [Data(), Data()]
        var fds = [pollfd(fd: a, events: Int16(POLLIN), revents: 0), pollfd(fd: b, events: Int16(POLLIN), revents: 0)]
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open > 0 {
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                throw SlipwayError.system("poll")
            }
            for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = read(fds[i].fd, &buffer, buffer.count)
                if n > 0 {
                    results[i].append(contentsOf: buffer[0..<n])
                } else if n == 0 || errno != EINTR {
                    fds[i].fd = -1
                    open -= 1
                }
            }
        }
        return (results[0], results[1])
    }
}
