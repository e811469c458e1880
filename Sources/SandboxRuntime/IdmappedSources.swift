import CLinux
import Glibc
import SandboxWire

/// The host directories a root sandbox sees through id-mapped mounts: made by the supervisor
/// (only host root may id-map a host file system) once the child's user namespace has its maps,
/// then passed to the child, which attaches them inside its own mount namespace. On disk
/// nothing changes owner: a file of uid 0 appears as root inside and a file the build creates
/// as root inside lands as uid 0, while the build's processes are the subordinate ids.
enum IdmappedSources {
    /// One source: the host path, whether it is mounted read-only, and what it is for messages.
    struct Source: Equatable {
        var path: String
        var readOnly: Bool
        var what: String
    }

    /// In the order the child expects them: the image (read-only: the overlay's lower layer),
    /// the workspace, each bind, the kept upper directory.
    static func sources(of spec: WireSpec) -> [Source] {
        var sources = [Source(path: spec.rootfs, readOnly: true, what: "rootfs")]
        if let workspace = spec.workspace { sources.append(Source(path: workspace, readOnly: false, what: "workspace")) }
        for bind in spec.binds { sources.append(Source(path: bind.source, readOnly: bind.readOnly, what: "bind source")) }
        if let keep = spec.keepUpperDirectory { sources.append(Source(path: keep, readOnly: false, what: "upper directory")) }
        return sources
    }

    /// The detached trees for `child`'s user namespace, or why they could not be made (the file
    /// system or kernel cannot id-map one of them: the caller falls back to host uid 0).
    static func open(for child: pid_t, spec: WireSpec) -> Result<[Int32], SetupFailure> {
        let sources = sources(of: spec)
        guard sources.count <= Int(CL_MAX_PASSED_FDS) else {
            return .failure(SetupFailure(step: "id-mapped mounts", message: "\(sources.count) sources, at most \(CL_MAX_PASSED_FDS)"))
        }
        let namespace = Glibc.open("/proc/\(child)/ns/user", O_RDONLY | O_CLOEXEC)
        if namespace < 0 { return .failure(SetupFailure(step: "open /proc/\(child)/ns/user")) }
        defer { Glibc.close(namespace) }
        var trees: [Int32] = []
        for source in sources {
            let tree = cl_open_idmapped_tree(source.path, namespace, source.readOnly ? 1 : 0)
            if tree < 0 {
                let failure = SetupFailure(step: "id-mapped mount of \(source.what) \(source.path)")
                closeAll(trees)
                return .failure(failure)
            }
            trees.append(tree)
        }
        return .success(trees)
    }

    static func closeAll(_ trees: [Int32]) {
        for tree in trees { Glibc.close(tree) }
    }
}
