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
    let life: Mutex<Life>
    let io: Mutex<Pipes>

    /// Whether the child is reaped; signals go out only before, so they never reach a process
    /// that took over its PID.
    struct Life {
        /// pidfd: readable once the child exits, so waiting for an exit is one more descriptor
        /// in the poll set. -1 on kernels without pidfd_open (before 5.3): then the pump looks
        /// every 50 ms.
        var pidfd: Int32
        var status: Int32?
    }

    struct Pipes {
        var input: Int32?
        var pendingInput: [UInt8]
        var outputs: [Output]
        /// Output read while writing input or looking for a line, not yet handed out.
        var held: [(stream: Stream, bytes: [UInt8])] = []
    }

    struct Output {
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
}
