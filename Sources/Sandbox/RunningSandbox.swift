import CLinux
import Foundation
import SlipwayCore
import Synchronization

/// A started sandbox: `wait()` streams its output and returns how it ended; `cancel()` (from
/// any thread) ends it early: SIGTERM to the whole tree, the grace period, then SIGKILL.
public final class RunningSandbox: Sendable {
    private enum State {
        case running(pidfd: Int32, pid: pid_t)
        case finished
    }

    private let helper: HelperProcess
    private let output: @Sendable (OutputLine) -> Void
    private let state: Mutex<State>

    init(helper: HelperProcess, output: @escaping @Sendable (OutputLine) -> Void) {
        self.helper = helper
        self.output = output
        self.state = Mutex(.running(pidfd: helper.pidfd, pid: helper.pid))
    }

    /// The helper's process id (the sandbox's supervisor on the host).
    public var helperProcessID: Int32 { helper.pid }

    /// Ends the sandbox: its processes get SIGTERM, then SIGKILL after the grace period.
    /// `wait()` then returns with reason `.cancelled`. Harmless once the sandbox has ended.
    public func cancel() {
        state.withLock { state in
            guard case .running(let pidfd, let pid) = state else { return }
            // pidfd cannot hit a recycled PID; plain kill is safe too while we hold the lock,
            // since the helper is reaped only under it.
            if pidfd >= 0 { _ = cl_pidfd_send_signal(pidfd, SIGTERM) } else { kill(pid, SIGTERM) }
        }
    }

    /// Streams stdout and stderr line by line to the output handler until the sandbox ends,
    /// then returns its result. Throws when the sandbox could not be set up.
    public func wait() throws -> SandboxResult {
        var report = HelperReport()
        OutputPump(stdout: helper.stdout, stderr: helper.stderr, report: helper.report).run(
            output: output, report: { report.consume($0) })
        var status: Int32 = 0
        state.withLock { state in
            while waitpid(helper.pid, &status, 0) < 0 && errno == EINTR {}
            if case .running(let pidfd, _) = state, pidfd >= 0 { Syscall.close(pidfd) }
            state = .finished
        }
        Syscall.close(helper.lifeline)
        for failure in report.execFailures {
            output(OutputLine(stream: .stderr, text: "slipway sandbox: cannot run \(failure)"))
        }
        return try report.outcome(helperStatus: status)
    }
}
