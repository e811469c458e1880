import Glibc

/// A /proc for the sandbox's own PID namespace, with the host-wide knobs masked the way Docker
/// does: without a user namespace the build runs as uid 0, and uid 0 may write many sysctls
/// without any capability, so /proc/sys and friends are read-only and kernel-info files hidden.
struct ProcFilesystem {
    let targets: MountTarget
    /// In a user namespace root inside owns nothing in /proc/sys, so the masks are not needed
    /// (and each costs two mounts per sandbox start).
    let userNamespace: Bool

    private static let readOnly = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"]
    private static let hidden = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats"]

    func mount() throws(SetupFailure) {
        let proc = try targets.open("/proc")
        try check("mount(proc /proc)", Glibc.mount("proc", MountTarget.procPath(proc), "proc", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil))
        close(proc)
        if userNamespace { return }
        for path in Self.readOnly where exists(path) {
            let fd = try targets.open(path, kind: isDirectory(path) ? .directory : .file)
            try check("mount(bind \(path))", Glibc.mount(MountTarget.procPath(fd), MountTarget.procPath(fd), nil, UInt(MS_BIND | MS_REC), nil))
            close(fd)
            try RootFilesystem.remount(path, readOnly: true, targets: targets, kind: isDirectory(path) ? .directory : .file)
        }
        for path in Self.hidden where exists(path) {
            let fd = try targets.open(path, kind: .file)
            try check("mount(mask \(path))", Glibc.mount("/dev/null", MountTarget.procPath(fd), nil, UInt(MS_BIND), nil))
            close(fd)
        }
    }

    /// Whether the path exists under the new root (it is still reachable as a host path too,
    /// but only the sandbox's copy matters).
    private func exists(_ path: String) -> Bool {
        (try? targets.openExisting(path)).map { close($0); return true } ?? false
    }

    private func isDirectory(_ path: String) -> Bool {
        guard let fd = try? targets.openExisting(path) else { return false }
        defer { close(fd) }
        var info = stat()
        return fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
