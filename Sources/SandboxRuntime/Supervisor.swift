import CLinux
import Glibc
import SandboxWire

/// The helper's outer process. It stays in the host's namespaces, creates the cgroups, clones
/// the sandbox's PID 1 into new namespaces, writes its identity maps, moves it into the cgroups,
/// and only then lets it run. It then enforces the timeout, watches for cancellation (SIGTERM
/// from the service, or EOF on the spec pipe when the service dies) and reports the result.
struct Supervisor {
    let spec: HelperSpec
    /// The spec pipe, kept open by the service for the sandbox's lifetime.
    let lifeline: Int32

    /// Why the supervisor ended the sandbox; nil when it ended by itself.
    enum Ending { case timedOut, cancelled, abandoned, processLimit }

    func run() -> Int32 {
        let started = Clock.now()
        var cgroups = CgroupLimits(spec: spec)
        for text in cgroups.unenforced { ReportChannel.send(.unenforced(text)) }
        let fallback = Self.fallbackLimits(spec.requested, pidsEnforced: cgroups.pidsEnforced, memoryEnforced: cgroups.memoryEnforced)
        for text in fallback.notes { ReportChannel.send(.unenforced(text)) }
        if spec.requested.upperSizeBytes != nil, let keep = spec.requested.keepUpperDirectory {
            ReportChannel.send(.unenforced("upper-size not enforced: the upper layer is kept on disk in \(keep)"))
        }

        let signals = [SIGCHLD, SIGTERM, SIGINT, SIGHUP]
        let events = signals.withUnsafeBufferPointer { cl_signalfd_for($0.baseAddress, Int32($0.count)) }
        guard events >= 0 else {
            ReportChannel.fail(SetupFailure(step: "signalfd in supervisor"))
            return 125
        }
        var attempt = spec
        while true {
            switch launch(attempt, cgroups: &cgroups, rlimits: fallback.limits, events: events, started: started) {
            case .ended(let code):
                return code
            case .idmapUnavailable(let failure):
                // Said as loudly as a limit that could not be applied: the build still runs, but
                // as host uid 0 (no capabilities, seccomp and a fresh keyring still in place).
                ReportChannel.send(.unenforced("user namespace not used: \(failure.step): \(failure.message); "
                    + "the build runs as host uid 0 with no capabilities instead (id-mapped mounts need Linux 5.19 or later "
                    + "and a file system that supports them: ext4, xfs, btrfs, tmpfs from 6.3)"))
                attempt = attempt.with(identity: .host)
            }
        }
    }

    /// How one launch ended: with the helper's exit code, or before the child ran anything
    /// because the sources could not be id-mapped.
    enum Launch { case ended(Int32), idmapUnavailable(SetupFailure) }

    private func launch(_ spec: HelperSpec, cgroups: inout CgroupLimits, rlimits: [(resource: Int32, value: UInt64)],
                        events: Int32, started: Double) -> Launch {
        // A socket, not a pipe: the go-ahead carries the id-mapped mounts (SCM_RIGHTS).
        var sync: [Int32] = [-1, -1]
        guard cl_socketpair_cloexec(&sync) == 0 else {
            ReportChannel.fail(SetupFailure(step: "socketpair in supervisor"))
            return .ended(125)
        }
        // Without identity maps to write or cgroups to join, PID 1 has nothing to wait for: the
        // go-ahead goes into the socket before the clone and PID 1 reads it at once, which saves
        // a round trip between the two processes on every start.
        let needsGoAhead = spec.usesUserNamespace || !cgroups.directories.isEmpty
        if !needsGoAhead { _ = cl_send_byte_with_fds(sync[1], UInt8(ascii: "g"), nil, 0) }
        // The supervisor's end stays open until the sandbox has ended: PID 1 takes its hang-up
        // as the supervisor's death (see SandboxInit.run).
        defer { close(sync[1]) }
        StepTrace.mark("clone-start")
        let child = cl_clone_into_namespaces(Self.namespaceFlags(hostNetwork: spec.requested.hostNetwork,
                                                                  userNamespace: spec.usesUserNamespace))
        if child == 0 {
            close(events)
            close(sync[1])
            close(lifeline)
            SandboxInit(spec: spec, rlimits: rlimits).run(sync: sync[0])
        }
        close(sync[0])
        StepTrace.mark("clone-done")
        if child < 0 {
            ReportChannel.fail(NamespaceAdvice.failure(errno: errno, userNamespace: spec.usesUserNamespace))
            cgroups.remove()
            return .ended(125)
        }
        var trees: [Int32] = []
        do {
            try IdentityMap.write(for: child, identity: spec.identity)
            if spec.usesIdmappedMounts {
                switch IdmappedSources.open(for: child, spec: spec.requested) {
                case .success(let opened): trees = opened
                case .failure(let failure):
                    kill(child, SIGKILL)
                    _ = waitStatus(child)
                    return .idmapUnavailable(failure)
                }
            }
        } catch {
            ReportChannel.fail(error)
            kill(child, SIGKILL)
            _ = waitStatus(child)
            cgroups.remove()
            return .ended(125)
        }
        StepTrace.mark("maps-written")
        if needsGoAhead {
            let before = cgroups.unenforced.count
            cgroups.join(child)
            for text in cgroups.unenforced.dropFirst(before) { ReportChannel.send(.unenforced(text)) }
            _ = trees.withUnsafeBufferPointer { cl_send_byte_with_fds(sync[1], UInt8(ascii: "g"), $0.baseAddress, Int32($0.count)) }
            IdmappedSources.closeAll(trees)
        }
        StepTrace.mark("go-sent")

        let (status, ending) = wait(for: child, events: events, cgroups: cgroups)
        StepTrace.mark("init-reaped")
        let duration = Clock.now() - started
        let records = Self.endRecords(status: status, ending: ending, oomKills: ending == nil ? cgroups.oomKills() : 0,
                                      spec: spec.requested, duration: duration)
        if ending == nil, let pids = spec.requested.pids, cgroups.pidsLimitHits() > 0 {
            ReportChannel.send(.limitReached(Self.processLimitText(pids, stopped: false)))
        }
        for record in records { ReportChannel.send(record) }
        StepTrace.mark("reported")
        cgroups.remove()
        StepTrace.mark("cgroups-removed")
        return .ended(0)
    }

    /// The process limit by name, as the build's failure says it.
    static func processLimitText(_ pids: Int, stopped: Bool = true) -> String {
        "the process limit of \(pids) was reached (pids): a fork was refused" + (stopped ? ", so the sandbox was stopped" : "")
    }

    /// The namespaces of a sandbox: all of them, but the network when the host's is asked for
    /// and the user namespace when running as root.
    static func namespaceFlags(hostNetwork: Bool, userNamespace: Bool) -> Int32 {
        var flags = CL_CLONE_NEWNS | CL_CLONE_NEWPID | CL_CLONE_NEWUTS | CL_CLONE_NEWIPC | CL_CLONE_NEWCGROUP
        if !hostNetwork { flags |= CL_CLONE_NEWNET }
        if userNamespace { flags |= CL_CLONE_NEWUSER }
        return Int32(flags)
    }

    /// rlimits standing in for cgroup limits that could not be applied, and the notes saying so.
    /// Core dumps are always off: a crashing build must not write its memory into the workspace.
    static func fallbackLimits(_ spec: WireSpec, pidsEnforced: Bool, memoryEnforced: Bool)
        -> (limits: [(resource: Int32, value: UInt64)], notes: [String]) {
        var limits: [(resource: Int32, value: UInt64)] = [(CL_RLIMIT_CORE, 0)]
        var notes: [String] = []
        if let pids = spec.pids, !pidsEnforced {
            limits.append((CL_RLIMIT_NPROC, UInt64(pids)))
            notes.append("pids \(pids): applied only as RLIMIT_NPROC (per process owner in the sandbox's user namespace), not as a cgroup limit")
        }
        if let bytes = spec.memoryBytes, !memoryEnforced {
            limits.append((CL_RLIMIT_AS, UInt64(bytes)))
            notes.append("memory \(CgroupLimits.bytes(bytes)): applied only as RLIMIT_AS per process (allocations fail instead of an OOM kill; the total is not capped)")
        }
        return (limits, notes)
    }

    /// Waits for PID 1, enforcing the deadline: SIGTERM to the tree (PID 1 forwards it), a grace
    /// period, then SIGKILL to PID 1, which makes the kernel kill the whole PID namespace.
    private func wait(for child: pid_t, events: Int32, cgroups: CgroupLimits) -> (Int32, Ending?) {
        let start = Clock.now()
        var deadline = spec.requested.timeout.map { start + $0 }
        var killAt: Double?
        var ending: Ending?
        // A tuple, not an array: the helper's generic instantiations are paid on every start.
        var descriptors = (pollfd(fd: events, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: lifeline, events: Int16(POLLIN), revents: 0))
        // A fork refused by the pids limit fails the build, so the sandbox is stopped then rather
        // than left to retry until its timeout: pids.events is read every quarter second.
        let watchesPids = cgroups.pidsEnforced && spec.requested.pids != nil
        var nextPidsCheck = start + Self.pidsCheckInterval
        while true {
            var next = switch (deadline, killAt) {
            case let (due?, kill?): min(due, kill)
            case let (due?, nil): due
            case let (nil, kill?): kill
            case (nil, nil): nil as Double?
            }
            if watchesPids && ending == nil { next = min(next ?? nextPidsCheck, nextPidsCheck) }
            let timeout = Self.pollTimeout(until: next, now: Clock.now())
            _ = withUnsafeMutableBytes(of: &descriptors) { poll($0.baseAddress!.assumingMemoryBound(to: pollfd.self), 2, timeout) }
            if descriptors.1.revents != 0 && ending == nil {
                // The service is gone: nobody will read the result, so kill at once.
                ending = .abandoned
                descriptors.1.fd = -1
                terminate(child, cgroups: cgroups, signal: SIGKILL)
            }
            while true {
                let signal = cl_signalfd_read(events)
                if signal < 0 { break }
                if signal == SIGCHLD {
                    if let status = reapIfExited(child) { return (status, ending) }
                } else if ending == nil {
                    ending = .cancelled
                    deadline = nil
                    kill(child, SIGTERM)
                    killAt = Clock.now() + spec.requested.killGracePeriod
                }
            }
            let now = Clock.now()
            if watchesPids && ending == nil && now >= nextPidsCheck {
                nextPidsCheck = now + Self.pidsCheckInterval
                if cgroups.pidsLimitHits() > 0, let pids = spec.requested.pids {
                    ending = .processLimit
                    deadline = nil
                    ReportChannel.send(.limitReached(Self.processLimitText(pids)))
                    terminate(child, cgroups: cgroups, signal: SIGKILL)
                }
            }
            if let due = deadline, now >= due, ending == nil {
                ending = .timedOut
                deadline = nil
                kill(child, SIGTERM)
                killAt = now + spec.requested.killGracePeriod
            }
            if let due = killAt, now >= due {
                killAt = nil
                terminate(child, cgroups: cgroups, signal: SIGKILL)
            }
        }
    }

    /// Seconds between reads of pids.events.
    static let pidsCheckInterval = 0.25

    /// Milliseconds for poll(2) until `next` (rounded up, at most an hour), -1 without one.
    static func pollTimeout(until next: Double?, now: Double) -> Int32 {
        guard let next else { return -1 }
        return Int32(max(0, min((next - now) * 1000 + 1, 3_600_000)))
    }

    private func terminate(_ child: pid_t, cgroups: CgroupLimits, signal: Int32) {
        kill(child, signal)
        cgroups.killAll()
    }

    private func reapIfExited(_ child: pid_t) -> Int32? {
        var status: Int32 = 0
        let pid = waitpid(child, &status, WNOHANG)
        guard pid == child else { return nil }
        return Self.shellStatus(status)
    }

    private func waitStatus(_ child: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        return Self.shellStatus(status)
    }

    /// The status as a shell reports it: the exit code, or 128 + the signal number.
    static func shellStatus(_ status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// The records that end a report: why the supervisor stepped in (if it did), then the
    /// result. Any OOM kill in the sandbox counts: a build whose compiler was killed has failed
    /// for lack of memory even when the shell around it carried on.
    static func endRecords(status: Int32, ending: Ending?, oomKills: Int, spec: WireSpec, duration: Double) -> [ReportRecord] {
        switch ending {
        case .timedOut:
            let limit = spec.timeout.map { Clock.describe(seconds: $0) } ?? "?"
            return [.message("timed out after \(limit): sent SIGTERM, then SIGKILL after \(Clock.describe(seconds: spec.killGracePeriod))"),
                    .result(ExitRecord(status: 124, reason: .timedOut, duration: duration))]
        case .cancelled, .abandoned:
            return [.message("cancelled"), .result(ExitRecord(status: status, reason: .cancelled, duration: duration))]
        case .processLimit:
            return [.result(ExitRecord(status: 137, reason: .limitExceeded, duration: duration))]
        case nil:
            if oomKills > 0, let bytes = spec.memoryBytes {
                return [.message("killed: the memory limit of \(CgroupLimits.bytes(bytes)) was exceeded"),
                        .result(ExitRecord(status: 137, reason: .outOfMemory, duration: duration))]
            }
            return [.result(ExitRecord(status: status, reason: status > 128 ? .signaled : .exited, duration: duration))]
        }
    }
}
