import CLinux
import Foundation
import Synchronization

/// A child started by `Command.spawn()`. One thread reads it (`pump`, `readLine`, `send`);
/// any thread may `signal` it. Its pipes close when a pump ends or the object goes away.
public final class ChildProcess: Sendable {
    public enum Stream: Sendable, Equatable { case stdout, stderr }

    /// How a pump ended.
    public enum Ending: Sendable, Equatable {
        /// The child exited and its output reached end of file: its exit status (128+signal
        /// when a signal killed it).
        case exited(Int32)
        /// The deadline passed first; the child's process group was killed.
        case timedOut
        /// The child exited, but something it started still held its output open when the
        /// grace period ran out.
        case outputHeldOpen(Int32)

        /// The exit status, when the child exited by itself.
        public var status: Int32? {
            switch self {
            case .exited(let code), .outputHeldOpen(let code): return code
            case .timedOut: return nil
            }
        }
    }

    public let pid: pid_t
    private let groupLeader: Bool
    private let life: Mutex<Life>
    private let io: Mutex<Pipes>

    /// Whether the child is reaped; signals go out only before, so they never reach a process
    /// that took over its PID.
    private struct Life {
        /// pidfd: readable once the child exits, so waiting for an exit is one more descriptor
        /// in the poll set. -1 on kernels without pidfd_open (before 5.3): then the pump looks
        /// every 50 ms.
        var pidfd: Int32
        var status: Int32?
    }

    private struct Pipes {
        var input: Int32?
        var pendingInput: [UInt8]
        var outputs: [Output]
        /// Output read while writing input or looking for a line, not yet handed out.
        var held: [(stream: Stream, bytes: [UInt8])] = []
    }

    private struct Output {
        var stream: Stream
        var fd: Int32
    }

    init(pid: pid_t, groupLeader: Bool, input: Int32?, pendingInput: [UInt8]?, outputs: [(ChildProcess.Stream, Int32)]) {
        self.pid = pid
        self.groupLeader = groupLeader
        life = Mutex(Life(pidfd: cl_pidfd_open(pid), status: nil))
        if groupLeader { cl_child_group_add(pid) }
        var stdin = input
        if let writer = input, pendingInput?.isEmpty == true {
            Syscall.close(writer)
            stdin = nil
        }
        io = Mutex(Pipes(input: stdin, pendingInput: pendingInput ?? [], outputs: outputs.map { Output(stream: $0.0, fd: $0.1) }))
    }

    deinit {
        io.withLock { pipes in
            if let fd = pipes.input { Syscall.close(fd) }
            for output in pipes.outputs { Syscall.close(output.fd) }
        }
        life.withLock { life in
            if life.pidfd >= 0 { Syscall.close(life.pidfd) }
            if life.status == nil && groupLeader { cl_child_group_remove(pid) }
        }
    }

    // MARK: Signals and exit

    /// Sends `signal` to the child's process group (or the child alone when it has none of its
    /// own). Nothing once the child has been reaped. Safe from any thread.
    public func signal(_ signal: Int32) {
        life.withLock { life in
            guard life.status == nil else { return }
            if groupLeader {
                kill(-pid, signal)
            } else if life.pidfd >= 0 {
                _ = cl_pidfd_send_signal(life.pidfd, signal)
            } else {
                kill(pid, signal)
            }
        }
    }

    /// The exit status (128+signal when killed) once the child has exited; nil while it runs.
    public func exitStatus() -> Int32? {
        life.withLock { life in
            if let status = life.status { return status }
            var raw: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &raw, WNOHANG) } while r < 0 && errno == EINTR
            guard r == pid || r < 0 else { return nil }
            return reaped(&life, raw: r < 0 ? 255 << 8 : raw)
        }
    }

    /// Blocks until the child exits; its exit status (128+signal when killed).
    @discardableResult
    public func wait() -> Int32 {
        if let status = life.withLock({ $0.status }) { return status }
        // Wait without reaping, so `signal` from another thread is never held up and never
        // races the PID's reuse; reap under the lock.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        return life.withLock { life in
            if let status = life.status { return status }
            var raw: Int32 = 0
            var r: pid_t
            repeat { r = waitpid(pid, &raw, 0) } while r < 0 && errno == EINTR
            return reaped(&life, raw: r < 0 ? 255 << 8 : raw)
        }
    }

    private func reaped(_ life: inout Life, raw: Int32) -> Int32 {
        // Its PID may be reused from now on: no more signals to it or its group.
        if groupLeader { cl_child_group_remove(pid) }
        let status = Self.exitCode(raw)
        life.status = status
        if life.pidfd >= 0 { Syscall.close(life.pidfd); life.pidfd = -1 }
        return status
    }

    /// A `waitpid` status as a shell reports it: the exit code, or 128+signal.
    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    // MARK: Input

    /// Writes all of `bytes` to the child's stdin (`Command.Input.pipe`), reading its output
    /// meanwhile so a child that writes before it reads cannot stall on a full pipe.
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        try io.withLock { pipes in
            guard let fd = pipes.input else { throw SlipwayError.failed("\(pid): stdin is not a pipe or is closed") }
            var offset = 0
            while offset < bytes.count {
                var fds = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)]
                    + pipes.outputs.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                if poll(&fds, nfds_t(fds.count), -1) < 0 {
                    if errno == EINTR { continue }
                    throw SlipwayError.system("poll")
                }
                var held: [(stream: Stream, bytes: [UInt8])] = []
                Self.read(&pipes.outputs, ready: Array(fds.dropFirst())) { stream, chunk in held.append((stream, Array(chunk))) }
                pipes.held += held
                guard fds[0].revents != 0 else { continue }
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n >= 0 { offset += n; continue }
                if errno == EINTR || errno == EAGAIN { continue }
                throw SlipwayError.system("write to process \(pid)")
            }
        }
    }

    /// Closes the child's stdin: it reads end of file.
    public func closeInput() {
        io.withLock { pipes in
            if let fd = pipes.input { Syscall.close(fd) }
            pipes.input = nil
            pipes.pendingInput = []
        }
    }

    // MARK: Output

    /// The next line of stdout (without its newline; the last one may lack it), or nil at end
    /// of file or when `deadline` passes. Output on stderr meanwhile is kept for `pump`.
    public func readLine(deadline: Date? = nil) -> String? {
        io.withLock { pipes in
            var text: [UInt8] = []
            pipes.held.removeAll { chunk in
                guard chunk.stream == .stdout else { return false }
                text += chunk.bytes
                return true
            }
            // What follows the line goes back in front, for the next call or `pump`.
            defer { if !text.isEmpty { pipes.held.insert((.stdout, text), at: 0) } }
            while true {
                if let newline = text.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: text[..<newline], as: UTF8.self)
                    text.removeSubrange(...newline)
                    return line
                }
                guard pipes.outputs.contains(where: { $0.stream == .stdout }) else {
                    defer { text = [] }
                    return text.isEmpty ? nil : String(decoding: text, as: UTF8.self)
                }
                let wait = deadline.map { Self.milliseconds(until: $0) } ?? -1
                if wait == 0 { return nil }
                var fds = pipes.outputs.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                if poll(&fds, nfds_t(fds.count), wait) < 0 && errno != EINTR { return nil }
                var other: [(stream: Stream, bytes: [UInt8])] = []
                Self.read(&pipes.outputs, ready: fds) { stream, chunk in
                    if stream == .stdout { text += chunk } else { other.append((stream, Array(chunk))) }
                }
                pipes.held += other
            }
        }
    }

    /// The one read loop: hands out output as it comes, feeds pending input (and closes a stdin
    /// the caller fed with `send`), and returns when the child has exited and its output is at
    /// end of file. At `deadline` (nil: none) it kills the child's process group; when the
    /// child has exited but something it started still holds the output open, it stops
    /// reading after `grace` (nil: reads to end of file). It sleeps in poll(2) on the pipes and
    /// the child's pidfd, never on a timer. The pipes are closed when it returns.
    public func pump(deadline: Date? = nil, grace: TimeInterval? = nil, output: (Stream, UnsafeRawBufferPointer) -> Void) -> Ending {
        io.withLock { pipes in
            defer {
                if let fd = pipes.input { Syscall.close(fd) }
                pipes.input = nil
                for output in pipes.outputs { Syscall.close(output.fd) }
                pipes.outputs = []
            }
            // A caller-fed stdin ends here; pending bytes are fed as the child takes them.
            if pipes.pendingInput.isEmpty, let fd = pipes.input {
                Syscall.close(fd)
                pipes.input = nil
            }
            for chunk in pipes.held where !chunk.bytes.isEmpty { chunk.bytes.withUnsafeBytes { output(chunk.stream, $0) } }
            pipes.held = []
            var exitedAt: Date?
            var status = exitStatus()
            if status != nil { exitedAt = Date() }
            while true {
                if let status {
                    if pipes.outputs.isEmpty { return .exited(status) }
                    if let grace, let exitedAt, Date() >= exitedAt.addingTimeInterval(grace) { return .outputHeldOpen(status) }
                } else if let deadline, Date() >= deadline {
                    signal(SIGKILL)
                    wait()
                    return .timedOut
                }
                if pipes.outputs.isEmpty && pipes.input == nil && deadline == nil {
                    return .exited(wait())
                }
                var fds = pipes.outputs.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
                let inputSlot = pipes.input.map { fd -> Int in
                    fds.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0))
                    return fds.count - 1
                }
                let pidfd = status == nil ? life.withLock { $0.pidfd } : -1
                if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
                var timeout: Int32 = -1
                if status == nil, let deadline { timeout = Self.milliseconds(until: deadline) }
                if let grace, let exitedAt { timeout = Self.milliseconds(until: exitedAt.addingTimeInterval(grace)) }
                if status == nil && pidfd < 0 { timeout = timeout < 0 ? 50 : min(timeout, 50) }
                if poll(&fds, nfds_t(fds.count), timeout) < 0 && errno != EINTR { usleep(10_000) }
                Self.read(&pipes.outputs, ready: fds, output)
                if let slot = inputSlot, fds[slot].revents != 0 { Self.feed(&pipes) }
                if status == nil, pidfd < 0 || fds.last!.revents != 0, let code = exitStatus() {
                    status = code
                    exitedAt = Date()
                }
            }
        }
    }

    /// `pump`, with output split into lines (a line longer than 64 KiB comes in pieces).
    public func pumpLines(deadline: Date? = nil, grace: TimeInterval? = nil, line: (Stream, String) -> Void) -> Ending {
        var stdout = LineBuffer(), stderr = LineBuffer()
        let ending = pump(deadline: deadline, grace: grace) { stream, bytes in
            for text in stream == .stdout ? stdout.append(bytes) : stderr.append(bytes) { line(stream, text) }
        }
        if let last = stdout.finish() { line(.stdout, last) }
        if let last = stderr.finish() { line(.stderr, last) }
        return ending
    }

    /// Reads once from each output whose poll entry (`ready`, in the same order) fired; closes
    /// and removes those at end of file or failing.
    private static func read(_ outputs: inout [Output], ready: [pollfd], _ deliver: (Stream, UnsafeRawBufferPointer) -> Void) {
        for index in outputs.indices.reversed() where ready[index].revents != 0 {
            let output = outputs[index]
            let n = withUnsafeTemporaryAllocation(byteCount: 65_536, alignment: 1) { buffer -> Int in
                let n = Glibc.read(output.fd, buffer.baseAddress, buffer.count)
                if n > 0 { deliver(output.stream, UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
                return n
            }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            if n <= 0 {
                Syscall.close(output.fd)
                outputs.remove(at: index)
            }
        }
    }

    /// Writes what the pipe takes of the pending input; closes stdin when all is written or
    /// the child closed its end.
    private static func feed(_ pipes: inout Pipes) {
        guard let fd = pipes.input else { return }
        let n = pipes.pendingInput.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if n > 0 { pipes.pendingInput.removeFirst(n) }
        if n < 0 && (errno == EINTR || errno == EAGAIN) { return }
        if pipes.pendingInput.isEmpty || n < 0 {
            Syscall.close(fd)
            pipes.input = nil
            pipes.pendingInput = []
        }
    }

    private static func milliseconds(until date: Date) -> Int32 {
        let left = date.timeIntervalSinceNow
        return left <= 0 ? 0 : Int32(min(left * 1000, Double(Int32.max)).rounded(.up))
    }
}
