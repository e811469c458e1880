import Foundation

/// Feeding a child's stdin and reading its output: one read loop, `pump`, with `send` and
/// `readLine` for callers that talk to the child before it ends.
extension ChildProcess {
    /// Writes all of `bytes` to the child's stdin (`Command.Input.pipe`), reading its output
    /// meanwhile so a child that writes before it reads cannot stall on a full pipe.
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        try io.withLock { pipes in
            guard let fd = pipes.input else { throw SlipwayError.failed("process \(pid): its stdin is not a pipe, or is closed") }
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
