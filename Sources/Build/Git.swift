import Foundation
import SlipwayCore

/// Runs git through `ChildProcess` (`posix_spawn` and `waitpid`): Foundation's `Process` waits by polling its
/// run loop, which costs milliseconds per call, and a result-cache hit is mostly git calls.
public enum Git {
    public static let executable = "/usr/bin/git"

    /// git's stdout, trimmed.
    public static func run(_ arguments: [String], in directory: String) throws -> String {
        String(decoding: try data(arguments, in: directory), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// git's stdout as it is; throws with git's stderr when it fails.
    public static func data(_ arguments: [String], in directory: String, input: Data? = nil) throws -> Data {
        var err: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &err) == 0 else {
            throw SlipwayError.system("socketpair")
        }
        defer { Syscall.close(err[0]) }
        let child: ChildProcess
        do {
            defer { Syscall.close(err[1]) }
            child = try ChildProcess.spawn([executable, "-C", directory] + arguments,
                                           environment: ProcessInfo.processInfo.environment,
                                           input: input == nil ? .null : .pipe, errors: err[1])
        } catch {
            throw SlipwayError.wrapping(error, "cannot run git (install git to build from a checkout)")
        }
        // Small inputs (object names) fit the socket buffer: written in full before reading.
        if let fd = child.input {
            defer { Syscall.close(fd) }
            try input?.withUnsafeBytes { try Syscall.writeAll(fd, $0, what: "write to git") }
        }
        let (stdout, stderr) = try drain(child.output!, err[0])
        Syscall.close(child.output!)
        guard child.wait() == 0 else {
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
