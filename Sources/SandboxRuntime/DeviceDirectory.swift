import Glibc

/// A minimal /dev: a tmpfs holding binds of the harmless host devices, a private devpts
/// instance (so a build gets a pty without seeing the host's), /dev/shm and the usual symlinks.
/// Binds rather than mknod, because mknod is refused inside a user namespace.
struct DeviceDirectory {
    let targets: MountTarget
    let userNamespace: Bool

    static let devices = ["null", "zero", "full", "random", "urandom", "tty"]
    static let links = [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                                ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx")]

    /// A private devpts instance; gid=5 (tty) only exists when no user namespace limits the gid
    /// map to one entry.
    static func ptsOptions(userNamespace: Bool) -> String {
        "newinstance,ptmxmode=0666,mode=0620" + (userNamespace ? "" : ",gid=5")
    }

    func mount() throws(SetupFailure) {
        let mountPoint = try targets.open("/dev")
        try check("mount(tmpfs /dev)", Glibc.mount("tmpfs", MountTarget.procPath(mountPoint), "tmpfs", UInt(MS_NOSUID), "mode=0755"))
        close(mountPoint)
        let dev = try targets.open("/dev")
        defer { close(dev) }
        let base = MountTarget.procPath(dev)
        for name in Self.devices {
            let fd = openat(dev, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o666)
            if fd < 0 { throw SetupFailure(step: "create /dev/\(name)") }
            close(fd)
            try check("mount(bind /dev/\(name))", Glibc.mount("/dev/" + name, base + "/" + name, nil, UInt(MS_BIND), nil))
        }
        for (name, destination) in Self.links {
            try check("symlink /dev/\(name)", symlinkat(destination, dev, name))
        }
        try check("mkdir /dev/pts", mkdirat(dev, "pts", 0o755))
        try check("mount(devpts /dev/pts)", Glibc.mount("devpts", base + "/pts", "devpts", UInt(MS_NOSUID | MS_NOEXEC),
                                                       Self.ptsOptions(userNamespace: userNamespace)))
        try check("mkdir /dev/shm", mkdirat(dev, "shm", 0o1777))
        try check("mount(tmpfs /dev/shm)", Glibc.mount("tmpfs", base + "/shm", "tmpfs", UInt(MS_NOSUID | MS_NODEV), "mode=1777"))
    }
}
