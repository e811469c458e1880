import CLinux
import Glibc

/// The sandbox's file system: an overlay over the read-only image, the workspace and extra
/// binds, fresh /proc, a minimal /dev and a tmpfs /tmp; then `pivot_root` into it.
/// Runs in the sandbox's PID 1, inside the new mount (and user) namespace.
struct RootFilesystem {
    let spec: HelperSpec
    /// The supervisor's id-mapped trees, in `IdmappedSources.sources` order (rootfs, workspace,
    /// binds, kept upper directory); empty unless the identity is `.subordinate`.
    var trees: [Int32] = []
    /// Staging tmpfs, mounted over the host's /tmp in this private namespace only. Every host
    /// source is opened as an fd before it is mounted, so what it covers does not matter.
    private let staging = "/tmp"

    /// Builds the root and enters it; returns what PID 1 checks for the space limits at the end.
    func enter() throws(SetupFailure) -> SpaceLimits {
        // Open sources first: nothing mounted later can redirect them. Id-mapped trees were
        // opened by the supervisor, in the same order.
        let sources = try openSources()

        // Nothing done below may propagate back to the host's mount namespace.
        StepTrace.mark("sources-opened")
        try check("mount(/, MS_REC|MS_PRIVATE)", mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil))
        // The staging tmpfs holds the overlay's upper layer: its size is the upper-layer limit.
        let upperSize = spec.requested.keepUpperDirectory == nil ? spec.requested.upperSizeBytes : nil
        try check("mount(tmpfs \(staging))", mount("tmpfs", staging, "tmpfs", UInt(MS_NOSUID | MS_NODEV),
                                                   SpaceLimits.tmpfsOptions("mode=0700", size: upperSize)))
        let newRoot = staging + "/root"
        try check("mkdir \(newRoot)", mkdir(newRoot, 0o755))
        StepTrace.mark("staging")
        var space = SpaceLimits()
        space.upperBytes = upperSize
        space.tmpBytes = spec.requested.tmpSizeBytes
        space.upper = try mountOverlay(lower: sources.lower, keep: sources.keep, on: newRoot)
        StepTrace.mark("overlay")

        let root = try check("open \(newRoot)", open(newRoot, CL_O_PATH | O_DIRECTORY | O_CLOEXEC))
        let targets = MountTarget(root: root)
        try ProcFilesystem(targets: targets, userNamespace: spec.usesUserNamespace).mount()
        StepTrace.mark("proc")
        try DeviceDirectory(targets: targets, userNamespace: spec.identity == .caller).mount()
        StepTrace.mark("dev")
        let tmp = try targets.open("/tmp")
        try check("mount(tmpfs /tmp)", mount("tmpfs", MountTarget.procPath(tmp), "tmpfs", UInt(MS_NOSUID | MS_NODEV),
                                             SpaceLimits.tmpfsOptions("mode=1777", size: spec.requested.tmpSizeBytes)))
        close(tmp)
        if let workspace = sources.workspace {
            try bind(workspace, to: spec.requested.workspacePath, readOnly: false, targets: targets)
        }
        for (bind, source) in zip(spec.requested.binds, sources.binds) {
            try self.bind(source, to: bind.destination, readOnly: bind.readOnly, targets: targets)
        }
        StepTrace.mark("tmp-binds")
        try pivot(into: newRoot)
        StepTrace.mark("pivot")
        return space
    }

    /// The image, workspace, bind and kept-upper sources as fds: the supervisor's id-mapped
    /// trees, or O_PATH fds on the host paths.
    private func openSources() throws(SetupFailure) -> (lower: Int32, workspace: Int32?, binds: [Int32], keep: Int32?) {
        if spec.usesIdmappedMounts {
            let expected = 1 + (spec.requested.workspace == nil ? 0 : 1) + spec.requested.binds.count
                + (spec.requested.keepUpperDirectory == nil ? 0 : 1)
            guard trees.count == expected else {
                throw SetupFailure(step: "receive id-mapped mounts", message: "\(trees.count) of \(expected) arrived")
            }
            var next = 1
            let workspace = spec.requested.workspace.map { _ in trees[1] }
            if workspace != nil { next += 1 }
            let binds = Array(trees[next..<(next + spec.requested.binds.count)])
            next += binds.count
            let keep = spec.requested.keepUpperDirectory.map { _ in trees[next] }
            return (trees[0], workspace, binds, keep)
        }
        let lower = try openSource(spec.requested.rootfs, what: "rootfs")
        let workspace = try spec.requested.workspace.map { (path) throws(SetupFailure) in try openSource(path, what: "workspace") }
        var binds: [Int32] = []
        for bind in spec.requested.binds { binds.append(try openSource(bind.source, what: "bind source")) }
        let keep = try spec.requested.keepUpperDirectory.map { (path) throws(SetupFailure) in try openSource(path, what: "upper directory") }
        return (lower, workspace, binds, keep)
    }

    private func openSource(_ path: String, what: String) throws(SetupFailure) -> Int32 {
        try check("open \(what) \(path)", open(path, CL_O_PATH | O_CLOEXEC))
    }

    /// Lower = the shared image, never written; upper/work = a fresh tmpfs directory (gone with
    /// the namespace) or the kept directory. Paths go through /proc/self/fd so that commas or
    /// colons in host paths cannot inject overlay options. An id-mapped tree is attached under
    /// the staging tmpfs first (at a fixed path of ours), so that overlayfs sees an ordinary
    /// mount on every kernel that has id-mapped layers. Returns an O_PATH fd on the upper
    /// directory.
    private func mountOverlay(lower: Int32, keep: Int32?, on target: String) throws(SetupFailure) -> Int32 {
        var lowerPath = MountTarget.procPath(lower)
        var keep = keep
        if spec.usesIdmappedMounts {
            lowerPath = staging + "/lower"
            try attach(lower, at: lowerPath, what: "rootfs")
            if let tree = keep {
                try attach(tree, at: staging + "/keep", what: "upper directory")
                keep = try check("open \(staging)/keep", open(staging + "/keep", CL_O_PATH | O_DIRECTORY | O_CLOEXEC))
            }
        }
        let base = keep.map(MountTarget.procPath) ?? staging
        for directory in ["upper", "work"] where mkdir(base + "/" + directory, 0o755) != 0 && errno != EEXIST {
            throw SetupFailure(step: "mkdir overlay \(directory)")
        }
        let options = Self.overlayOptions(lower: lowerPath, base: base, userNamespace: spec.usesUserNamespace)
        try check("mount(overlay \(spec.requested.rootfs))", mount("overlay", target, "overlay", UInt(MS_NOSUID | MS_NODEV), options))
        return try check("open overlay upper", open(base + "/upper", CL_O_PATH | O_DIRECTORY | O_CLOEXEC))
    }

    /// Attaches a detached tree on a new directory of the staging tmpfs.
    private func attach(_ tree: Int32, at path: String, what: String) throws(SetupFailure) {
        try check("mkdir \(path)", mkdir(path, 0o755))
        let target = try check("open \(path)", open(path, CL_O_PATH | O_DIRECTORY | O_CLOEXEC))
        defer { close(target) }
        try check("move_mount(\(what) onto \(path))", cl_attach_tree(tree, target))
    }

    /// Inside a user namespace overlayfs may only use user.* xattrs for whiteouts.
    static func overlayOptions(lower: String, base: String, userNamespace: Bool) -> String {
        "lowerdir=\(lower),upperdir=\(base)/upper,workdir=\(base)/work" + (userNamespace ? ",userxattr" : "")
    }

    /// Binds a host fd at `destination`, then remounts it nosuid,nodev (and read-only when asked),
    /// keeping the flags the kernel locks in a user namespace (noexec, atime) or EPERM follows.
    /// An id-mapped tree already carries those flags (the supervisor set them): it is attached.
    private func bind(_ source: Int32, to destination: String, readOnly: Bool, targets: MountTarget) throws(SetupFailure) {
        var info = stat()
        try check("stat bind source for \(destination)", fstat(source, &info))
        let kind: MountTarget.Kind = (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
        let target = try targets.open(destination, kind: kind)
        if spec.usesIdmappedMounts {
            defer { close(target) }
            try check("move_mount(\(destination))", cl_attach_tree(source, target))
            return
        }
        try check("mount(bind \(destination))", mount(MountTarget.procPath(source), MountTarget.procPath(target), nil, UInt(MS_BIND | MS_REC), nil))
        close(target)
        try Self.remount(destination, readOnly: readOnly, targets: targets)
    }

    static func remount(_ destination: String, readOnly: Bool, targets: MountTarget) throws(SetupFailure) {
        // The mount just made sits on top of `destination`: a fresh resolve reaches it.
        let mounted = try targets.openExisting(destination)
        defer { close(mounted) }
        var fs = statvfs()
        try check("statvfs \(destination)", fstatvfs(mounted, &fs))
        let flags = remountFlags(mounted: fs.f_flag, readOnly: readOnly)
        try check("mount(remount \(readOnly ? "ro" : "rw") \(destination))", mount(nil, MountTarget.procPath(mounted), nil, flags, nil))
    }

    /// The flags for remounting a bind nosuid,nodev (read-only when asked), carrying over what
    /// the mount already has (`mounted`, statvfs's f_flag): in a user namespace the kernel locks
    /// read-only, noexec and the atime flags, and a remount that drops one fails with EPERM.
    static func remountFlags(mounted: UInt, readOnly: Bool) -> UInt {
        var flags = UInt(MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
        if readOnly || mounted & UInt(CL_ST_RDONLY) != 0 { flags |= UInt(MS_RDONLY) }
        if mounted & UInt(CL_ST_NOEXEC) != 0 { flags |= UInt(MS_NOEXEC) }
        if mounted & UInt(CL_ST_NOATIME) != 0 { flags |= UInt(MS_NOATIME) }
        if mounted & UInt(CL_ST_NODIRATIME) != 0 { flags |= UInt(MS_NODIRATIME) }
        if mounted & UInt(CL_ST_RELATIME) != 0 { flags |= UInt(MS_RELATIME) }
        return flags
    }

    /// pivot_root(".", ".") stacks the old root on top of the new one; detaching it removes the
    /// whole host tree from this namespace, which chroot would leave reachable.
    private func pivot(into newRoot: String) throws(SetupFailure) {
        try check("chdir \(newRoot)", chdir(newRoot))
        try check("pivot_root", cl_pivot_root(".", "."))
        try check("umount2(old root, MNT_DETACH)", umount2(".", Int32(MNT_DETACH)))
        try check("chdir /", chdir("/"))
    }
}
