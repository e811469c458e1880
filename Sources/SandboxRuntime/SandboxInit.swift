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
        var trees = [Int32](repeating: -1, count: Int(CL_MAX_PASSED_FDS))
        let received = cl_receive_byte_with_fds(sync, &go, &trees, CL_MAX_PASSED_FDS)
        guard received >= 0 && go == UInt8(ascii: "g") else { _exit(125) }
        if spec.usesIdmappedMounts {
            // Cloned as host root into a namespace whose maps did not exist yet; now that they do,
            // becoming root inside makes this process the first subordinate id. A credential
            // change clears the parent-death signal, so it is armed again before the check below.
            if cl_become(0, 0) != 0 {
                ReportChannel.fail(SetupFailure(step: "become root in the user namespace"))
                _exit(125)
            }
            _ = cl_set_parent_death_signal(SIGKILL)
        }
        var hangUp = pollfd(fd: sync, events: 0, revents: 0)
        guard poll(&hangUp, 1, 0) == 0 else { _exit(125) }
        close(sync)
        StepTrace.mark("init-go")
        var space = SpaceLimits()
        do {
            // The session keyring the service had is possessed by whoever inherits it; a fresh
            // one leaves every key of the host behind (the payload inherits this one).
            try check("keyctl(JOIN_SESSION_KEYRING)", cl_join_new_session_keyring())
            space = try RootFilesystem(spec: spec, trees: Array(trees.prefix(Int(received)))).enter()
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
        // Keep nothing the build could wait on: the payload has its own copies of stdio. The
        // report pipe stays only when the space limits are to be checked at the end.
        if !space.watched { close(ReportChannel.fd) }
        supervise(payload: payload, events: events, space: space)
    }

    private func supervise(payload: pid_t, events: Int32, space: SpaceLimits) -> Never {
        var descriptor = pollfd(fd: events, events: Int16(POLLIN), revents: 0)
        while true {
            _ = poll(&descriptor, 1, -1)
            while true {
                let signal = cl_signalfd_read(events)
                if signal < 0 { break }
                if signal == SIGCHLD {
                    reap(payload: payload, space: space)
                } else {
                    // kill(-1) from PID 1 reaches every process in the namespace but itself.
                    _ = kill(-1, signal)
                }
            }
        }
    }

    /// Reaps every exited child; exits with the payload's status once it is gone.
    private func reap(payload: pid_t, space: SpaceLimits) {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            guard pid == payload else { continue }
            StepTrace.mark("payload-reaped")
            if space.watched {
                for record in space.check() { ReportChannel.send(record) }
            }
            _exit(Supervisor.shellStatus(status))
        }
    }
}
