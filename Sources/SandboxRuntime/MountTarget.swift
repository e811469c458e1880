import CLinux
import Glibc

/// Mount points inside the new root, resolved with `openat2(RESOLVE_IN_ROOT)` so that a symlink
/// in the image (`/workspace -> /etc`, or `-> ../../host`) resolves inside the image and a mount
/// can never land on a host path. Mounting then happens on `/proc/self/fd/N` (as runc does).
struct MountTarget {
    let root: Int32

    enum Kind { case directory, file }

    /// Opens `path` under the root as an O_PATH fd, creating missing directories (and the final
    /// file, for file binds, in place of a dangling symlink) on the way.
    func open(_ path: String, kind: Kind = .directory) throws(SetupFailure) -> Int32 {
        let components = try Self.components(of: path)
        var prefix = ""
        for (index, component) in components.enumerated() {
            let isLast = index == components.count - 1
            let parent = prefix.isEmpty ? "." : prefix
            prefix += (prefix.isEmpty ? "" : "/") + component
            if resolve(prefix) >= 0 { continue }
            guard errno == ENOENT else { throw SetupFailure(step: "resolve \(path) in the sandbox root") }
            let parentFd = try resolveOrThrow(parent, path)
            defer { close(parentFd) }
            if isLast && kind == .file {
                var fd = openat(parentFd, component, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                if fd < 0 && errno == ELOOP {
                    // A symlink leading nowhere (`resolv.conf -> ../run/systemd/resolve/…`):
                    // replaced by a file in the overlay's upper layer, the image is untouched.
                    guard unlinkat(parentFd, component, 0) == 0 else { throw SetupFailure(step: "replace the dangling symlink \(path) in the sandbox root") }
                    fd = openat(parentFd, component, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0o644)
                }
                if fd < 0 && errno != EEXIST { throw SetupFailure(step: "create \(path) in the sandbox root") }
                if fd >= 0 { close(fd) }
            } else if mkdirat(parentFd, component, 0o755) != 0 && errno != EEXIST {
                throw SetupFailure(step: "mkdir \(prefix) in the sandbox root")
            }
        }
        return try resolveOrThrow(prefix.isEmpty ? "." : prefix, path)
    }

    /// The names along `path`, which must not climb with `..` (RESOLVE_IN_ROOT would keep it
    /// inside the root anyway, but a spec asking for it is wrong). Empty and `.` names drop out.
    static func components(of path: String) throws(SetupFailure) -> [String] {
        let components = path.split(separator: "/").filter { $0 != "." }.map(String.init)
        guard !components.contains("..") else { throw SetupFailure(step: "mount target \(path)", message: "'..' is not allowed") }
        return components
    }

    /// `/proc/self/fd/N` for an fd from `open`, the form mount(2) accepts.
    static func procPath(_ fd: Int32) -> String { "/proc/self/fd/\(fd)" }

    private func resolve(_ relative: String) -> Int32 {
        let fd = cl_openat2(root, relative, CL_O_PATH | O_CLOEXEC, 0, UInt64(CL_RESOLVE_IN_ROOT | CL_RESOLVE_NO_MAGICLINKS))
        if fd >= 0 { close(fd) }
        return fd
    }

    private func resolveOrThrow(_ relative: String, _ path: String) throws(SetupFailure) -> Int32 {
        let fd = cl_openat2(root, relative, CL_O_PATH | O_CLOEXEC, 0, UInt64(CL_RESOLVE_IN_ROOT | CL_RESOLVE_NO_MAGICLINKS))
        if fd < 0 { throw SetupFailure(step: "resolve \(path) in the sandbox root") }
        return fd
    }
}

extension MountTarget {
    /// Opens an existing path under the root without creating anything.
    func openExisting(_ path: String) throws(SetupFailure) -> Int32 {
        let relative = String(path.drop(while: { $0 == "/" }))
        let fd = cl_openat2(root, relative.isEmpty ? "." : relative, CL_O_PATH | O_CLOEXEC, 0, UInt64(CL_RESOLVE_IN_ROOT | CL_RESOLVE_NO_MAGICLINKS))
        if fd < 0 { throw SetupFailure(step: "resolve \(path) in the sandbox root") }
        return fd
    }
}
