import CLinux
import Glibc

/// PID 1 of the sandbox. It builds the root file system, starts the payload, then reaps every
/// orphan and forwards termination signals to the whole tree. When it exits, the kernel kills
/// everything left in the PID namespace, so no daemon a build started can outlive the build.
struct SandboxInit {
    let spec: HelperSpec
    let rlimits: [(resource: Int32, value: UInt64)]

    /// Waits for the supervisor's go-ahead on `sync` (identity maps and cgroups are in place),
    /// then sets up and runs. Never returns.
    func run(sync: Int32) -> Never {
        // The supervisor is single-threaded, so its death is this signal's trigger. It may have
        // died before the signal was armed: then its end of `sync` is closed, which the poll
        // below sees as a hang-up (getppid() cannot tell: it is 0 in a new PID namespace).
        _ = cl_set_parent_death_signal(SIGKILL)
        var go: UInt8 = 0
        let n = read(sync, &go, 1)
        guard n == 1 && go == UInt8(ascii: "g") else { _exit(125) }
        var hangUp = pollfd(fd: sync, events: 0, revents: 0)
        guard poll(&hangUp, 1, 0) == 0 else { _exit(125) }
        close(sync)
        StepTrace.mark("init-go")
        do {
            try RootFilesystem(spec: spec).enter()
            try check("sethostname", sethostname(spec.requested.hostname, spec.requested.hostname.utf8.count))
            if !spec.requested.hostNetwork { try check("bring up lo", cl_bring_loopback_up()) }
            StepTrace.mark("hostname-lo")
        } catch {
            ReportChannel.fail(error)
            _exit(125)
        }
        let signals = [SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]
        let events = signals.withUnsafeBufferPointer { cl_signalfd_for($0.baseAddress, Int32($0.count)) }
        if events < 0 {
            ReportChannel.fail(SetupFailure(step: "signalfd in sandbox init"))
            _exit(125)
        }
        let payload = fork()
        if payload < 0 {
            ReportChannel.fail(SetupFailure(step: "fork payload"))
            _exit(125)
        }
        if payload == 0 {
            close(events)
            Payload(spec: spec, rlimits: rlimits).exec()
        }
        StepTrace.mark("payload-forked")
        // Keep nothing the build could wait on: the payload has its own copies of stdio.
        close(ReportChannel.fd)
        supervise(payload: payload, events: events)
    }

    private func supervise(payload: pid_t, events: Int32) -> Never {
        var descriptor = pollfd(fd: events, events: Int16(POLLIN), revents: 0)
        while true {
            _ = poll(&descriptor, 1, -1)
            while true {
                let signal = cl_signalfd_read(events)
                if signal < 0 { break }
                if signal == SIGCHLD {
                    reap(payload: payload)
                } else {
                    // kill(-1) from PID 1 reaches every process in the namespace but itself.
                    _ = kill(-1, signal)
                }
            }
        }
    }

    /// Reaps every exited child; exits with the payload's status once it is gone.
    private func reap(payload: pid_t) {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard pid == payload else { continue }
            StepTrace.mark("payload-reaped")
            _exit(Supervisor.shellStatus(status))
        }
    }
}
