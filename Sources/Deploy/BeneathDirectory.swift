import CLinux
import Foundation
import SlipwayCore

/// A directory of a release (or of its unpacked bundle) whose paths the kernel resolves
/// beneath it: `openat2(RESOLVE_BENEATH)` refuses any path that a symlink, `..` or an absolute
/// name would take out of it. A hook location or a `permissions` object is text from the
/// artifact, and the artifact may hold symlinks (they are kept, as in any tar); read as text,
/// `scripts/start.sh` could name `/etc/shadow` through a link. Opened this way it cannot.
///
/// Modes and owners are changed through the opened descriptor (`fchownat(AT_EMPTY_PATH)`,
/// and `chmod` of `/proc/self/fd/N`, the kernel's name for exactly that open file, since
/// `fchmod` does not take an `O_PATH` descriptor), so no path is resolved a second time.
final class BeneathDirectory {
    let path: String
    let fd: Int32

    init(_ path: String) throws {
        let fd = Glibc.open(path, CL_O_PATH | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(path) }
        self.path = path
        self.fd = fd
    }

    deinit { Syscall.close(fd) }

    /// Why a path could not be opened beneath the directory.
    enum Refusal: Error {
        /// It leads out of the directory through a symlink (or `..`).
        case escapes
        /// It goes through a symlink at all (only when symlinks are refused outright).
        case symlink
        case missing
        case other(Int32)
    }

    /// `relative` opened `O_PATH` beneath the directory. Symlinks that stay inside are
    /// followed unless `noSymlinks`; one that leads out is refused.
    func open(_ relative: String, noSymlinks: Bool = false, directory: Bool = false) -> Result<OpenedPath, Refusal> {
        var resolve = UInt64(CL_RESOLVE_BENEATH | CL_RESOLVE_NO_MAGICLINKS)
        if noSymlinks { resolve |= UInt64(CL_RESOLVE_NO_SYMLINKS) }
        let flags = CL_O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0)
        var opened: Int32
        repeat { opened = cl_openat2(fd, relative.isEmpty ? "." : relative, flags, 0, resolve) } while opened < 0 && errno == EINTR
        guard opened >= 0 else {
            switch errno {
            case EXDEV: return .failure(.escapes)
            case ELOOP: return .failure(noSymlinks ? .symlink : .escapes)
            case ENOENT, ENOTDIR: return .failure(.missing)
            default: return .failure(.other(errno))
            }
        }
        return .success(OpenedPath(fd: opened, name: path + "/" + relative))
    }
}

/// A file or directory opened `O_PATH`: its type, its resolved name, and mode and owner
/// changes made through the descriptor.
final class OpenedPath {
    let fd: Int32
    /// The path it was opened as (for messages).
    let name: String

    init(fd: Int32, name: String) {
        self.fd = fd
        self.name = name
    }

    deinit { Syscall.close(fd) }

    /// AT_EMPTY_PATH (<fcntl.h>, a GNU extension Glibc does not export to Swift): the call acts
    /// on the descriptor itself.
    static let emptyPath: Int32 = 0x1000

    func status() throws -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SlipwayError.stat(name) }
        return info
    }

    /// The kernel's name for the open file: symlinks resolved, beneath the directory it was
    /// opened in.
    func resolvedPath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")
    }

    func chmod(_ mode: mode_t) throws {
        guard Glibc.chmod("/proc/self/fd/\(fd)", mode) == 0 else { throw SlipwayError.chmod(name) }
    }

    func chown(_ uid: uid_t, _ gid: gid_t) throws {
        guard fchownat(fd, "", uid, gid, Self.emptyPath) == 0 else { throw SlipwayError.system(call: "chown", name) }
    }
}
