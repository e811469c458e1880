import Glibc

/// A /proc for the sandbox's own PID namespace, with the host-wide knobs masked the way Docker
/// does: without a user namespace the build runs as uid 0, and uid 0 may write many sysctls
/// without any capability, so /proc/sys and friends are read-only and kernel-info files hidden.
struct ProcFilesystem {
    let targets: MountTarget
    /// In a user namespace root inside owns nothing in /proc/sys, so the masks are not needed
    /// (and each costs two mounts per sandbox start).
    let userNamespace: Bool

    static let readOnly = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"]
    static let hidden = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats"]

    /// The paths made read-only and those hidden behind /dev/null.
    static func masks(userNamespace: Bool) -> (readOnly: [String], hidden: [String]) {
        userNamespace ? ([], []) : (readOnly, hidden)
    }

    func mount() throws(SetupFailure) {
        let proc = try targets.open("/proc")
        try check("mount(proc /proc)", Glibc.mount("proc", MountTarget.procPath(proc), "proc", UInt(MS_NOSUID | MS_NODEV | MS_NOEXEC), nil))
        close(proc)
        let masks = Self.masks(userNamespace: userNamespace)
        // Paths this kernel lacks are skipped; each one is resolved once, in the new /proc
        // (resolution stays inside the new root, so no host path is ever touched).
        for path in masks.readOnly {
            guard let fd = try? targets.openExisting(path) else { continue }
            try check("mount(bind \(path))", Glibc.mount(MountTarget.procPath(fd), MountTarget.procPath(fd), nil, UInt(MS_BIND | MS_REC), nil))
            close(fd)
            try RootFilesystem.remount(path, readOnly: true, targets: targets)
        }
        for path in masks.hidden {
            guard let fd = try? targets.openExisting(path) else { continue }
            try check("mount(mask \(path))", Glibc.mount("/dev/null", MountTarget.procPath(fd), nil, UInt(MS_BIND), nil))
            close(fd)
        }
    }
}
