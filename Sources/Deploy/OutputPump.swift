import Foundation
import SlipwayCore

/// Reads a child's output as lines until it exits; keeps reading after the exit only for a
/// grace period, so a daemon that inherited stdout and never closes it cannot hang a deploy.
struct OutputPump {
    var grace: TimeInterval = 2

    enum Ending: Equatable { case exited(Int32), timedOut, outputHeldOpen(Int32) }

    /// Pumps `child.output` to `line` until exit (or `deadline`, when the group is killed).
    func run(_ child: ChildProcess, deadline: Date, line: (String) -> Void) -> Ending {
        guard let fd = child.output else { return .exited(child.wait()) }
        defer { Syscall.close(fd) }
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var exitStatus: Int32?
        var exitedAt: Date?
        var eof = false
        func flush(all: Bool) {
            while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                line(String(decoding: pending[..<nl], as: UTF8.self))
                pending.removeSubrange(...nl)
            }
            if all && !pending.isEmpty {
                line(String(decoding: pending, as: UTF8.self))
                pending.removeAll()
            }
        }
        while true {
            if exitStatus == nil, let status = child.poll() {
                exitStatus = status
                exitedAt = Date()
            }
            if eof, let status = exitStatus { flush(all: true); return .exited(status) }
            if let at = exitedAt, let status = exitStatus, Date().timeIntervalSince(at) > grace {
                flush(all: true)
                return .outputHeldOpen(status)
            }
            if exitStatus == nil, Date() >= deadline {
                child.killGroup()
                _ = child.wait()
                flush(all: true)
                return .timedOut
            }
            if eof { usleep(10_000); continue }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = Glibc.poll(&pfd, 1, 50)
            if ready > 0 {
                let n = Glibc.read(fd, &buffer, buffer.count)
                if n > 0 {
                    pending.append(contentsOf: buffer[0..<n])
                    flush(all: false)
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    eof = true
                }
            }
        }
    }
}
