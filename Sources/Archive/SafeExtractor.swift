import CLinux
import Foundation
import SlipwayCore

/// Writes archive entries under a root directory with `*at()` calls, never libarchive's disk
/// writer (it changes the process umask per entry: CVE-2023-30571). Every parent path is
/// resolved by the kernel (openat2) beneath the root, and leaves are created without
/// following symlinks, so no entry can write outside the root.
public final class SafeExtractor {
    public let rootPath: String
    private let rootFD: Int32
    private let options: ExtractOptions
    private var stats = ExtractStats()
    private var cachedParent: (path: String, fd: Int32, group: gid_t?)?
    private var deferredDirectories: [(path: String, mode: UInt32, mtime: Int64, uid: Int64, gid: Int64)] = []
    /// Paths written by this archive, so an opaque whiteout only hides lower layers.
    private var written: Set<String> = []
    private let isRoot = geteuid() == 0
    /// The process umask, read once without changing it (umask(2) would, for every thread).
    private static let umask = currentUmask()

    /// `rootPath` must be an existing directory.
    public init(rootPath: String, options: ExtractOptions) throws {
        self.rootPath = rootPath
        self.options = options
        rootFD = open(rootPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard rootFD >= 0 else { throw SlipwayError.open(rootPath) }
    }

    deinit {
        dropCache()
        Syscall.close(rootFD)
    }

    /// Extracts every entry of `reader`; throws on the first refused or failed entry.
    @discardableResult
    public func extract(_ reader: TarReader) throws -> ExtractStats {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { buffer.deallocate() }
        while let header = try reader.next() {
            stats.entries += 1
            if stats.entries > options.maxEntries {
                throw refuse(reader, header.path, "more than \(options.maxEntries) entries (the entry limit)")
            }
            try apply(header, from: reader)
        }
        try finishDirectories()
        return stats
    }

    // MARK: - Entries

    private func apply(_ header: TarEntryHeader, from reader: TarReader) throws {
        guard let path = try normalize(header.path, reader) else { return }
        let (parentPath, name) = split(path)
        if options.whiteouts, name.hasPrefix(".wh.") {
            try applyWhiteout(parentPath: parentPath, name: name, reader: reader, entry: header.path)
            return
        }
        let parent = try parentFD(parentPath, reader: reader, entry: header.path)
        if options.whiteouts { written.insert(path) }  // only opaque whiteouts read it
        var mode = header.mode & (options.keepSpecialBits ? 0o7777 : 0o777)
        switch header.kind {
        case .directory:
            if mkdirat(parent, name, 0o700) != 0 {
                guard errno == EEXIST else { throw fail("mkdir", path) }
                if !isDirectory(parent, name) {
                    try removeEntry(parent, name, path)
                    guard mkdirat(parent, name, 0o700) == 0 else { throw fail("mkdir", path) }
                }
            }
            if mode == 0 { mode = 0o755 }
            deferredDirectories.append((path, mode, header.mtime, header.uid, header.gid))
        case .regular:
            try writeFile(header, reader: reader, parent: parent, name: name, path: path, mode: mode)
        case .symlink:
            try replacing(parent, name, path) { symlinkat(header.linkTarget ?? "", parent, name) }
            try own(header, parent, name, path)
            invalidateCache(at: path)
        case .hardlink:
            guard let target = try normalize(header.linkTarget ?? "", reader, what: "hardlink target of '\(header.path)'") else {
                throw refuse(reader, header.path, "hardlink to the root directory")
            }
            if target == path { return }  // `tar -cf x.tar dir dir/file` links a repeated file to itself
            let (targetParentPath, targetName) = split(target)
            let targetParent = try openParent(targetParentPath, reader: reader, entry: header.path)
            defer { Syscall.close(targetParent) }
            try replacing(parent, name, path) { linkat(targetParent, targetName, parent, name, 0) }
        case .charDevice, .blockDevice, .fifo:
            guard options.allowDevices else {
                throw refuse(reader, header.path, "is a \(header.kind == .fifo ? "fifo" : "device node"); these are refused")
            }
            let type: mode_t = header.kind == .fifo ? S_IFIFO : header.kind == .charDevice ? S_IFCHR : S_IFBLK
            try replacing(parent, name, path) { mknodat(parent, name, type | mode_t(mode), header.device) }
            try own(header, parent, name, path)
        case .socket:
            throw refuse(reader, header.path, "is a socket; sockets cannot be extracted")
        }
    }

    private func writeFile(_ header: TarEntryHeader, reader: TarReader, parent: Int32, name: String,
                           path: String, mode: UInt32) throws {
        if header.size > options.maxBytes - stats.bytes {
            throw refuse(reader, header.path, "would bring the total to more than \(options.maxBytes) bytes (the size limit)")
        }
        var fd: Int32 = -1
        // Created with its permission bits, so most files need no chmod afterwards (the tree
        // being written is the caller's staging directory, not yet visible).
        try replacing(parent, name, path) {
            fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(mode & 0o777))
            return fd
        }
        defer { Syscall.close(fd) }
        var end: Int64 = 0
        try reader.readData { chunk, offset in
            var done = 0
            while done < chunk.count {
                let n = pwrite(fd, chunk.baseAddress! + done, chunk.count - done, off_t(offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw fail("write", path)
                }
                done += n
            }
            end = max(end, offset + Int64(chunk.count))
            stats.bytes += Int64(chunk.count)
            if stats.bytes > options.maxBytes {
                throw refuse(reader, header.path, "exceeds the size limit of \(options.maxBytes) bytes")
            }
        }
        if end < header.size, ftruncate(fd, off_t(header.size)) != 0 { throw fail("truncate", path) }
        // A file just created is already root's, in the group the kernel chose: most entries
        // need no chown.
        if options.keepOwnership && isRoot, header.uid != 0 || gid_t(truncatingIfNeeded: header.gid) != newFileGroup(parent),
           fchown(fd, uid_t(header.uid), gid_t(header.gid)) != 0 {
            throw fail("chown", path)
        }
        // After chown, which clears setuid bits; needed too for the bits the umask took away.
        if mode & 0o7000 != 0 || mode & 0o777 & Self.umask != 0 {
            guard fchmod(fd, mode_t(mode)) == 0 else { throw fail("chmod", path) }
        }
        var times = [timespec(tv_sec: Int(header.mtime), tv_nsec: 0), timespec(tv_sec: Int(header.mtime), tv_nsec: 0)]
        futimens(fd, &times)
        stats.files += 1
    }

    /// From /proc/self/status; when unreadable, every bit counts as masked, so every file is
    /// chmodded.
    static func currentUmask() -> UInt32 {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Umask:") }),
              let value = UInt32(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) else {
            return 0o777
        }
        return value
    }

    /// The group of a file created in `parent`: the directory's own when it is setgid, else
    /// ours; looked up once per cached parent.
    private func newFileGroup(_ parent: Int32) -> gid_t? {
        if let cached = cachedParent, cached.fd == parent, let group = cached.group { return group }
        var st = stat()
        guard fstat(parent, &st) == 0 else { return nil }
        let group = st.st_mode & S_ISGID != 0 ? st.st_gid : getegid()
        if cachedParent?.fd == parent { cachedParent?.group = group }
        return group
    }

    /// Runs a create call; when the name exists, removes what is there and tries once more.
    private func replacing(_ parent: Int32, _ name: String, _ path: String, _ create: () -> Int32) throws {
        if create() >= 0 { return }
        guard errno == EEXIST else { throw fail("create", path) }
        try removeEntry(parent, name, path)
        guard create() >= 0 else { throw fail("create", path) }
    }

    private func own(_ header: TarEntryHeader, _ parent: Int32, _ name: String, _ path: String) throws {
        guard options.keepOwnership && isRoot else { return }
        if fchownat(parent, name, uid_t(header.uid), gid_t(header.gid), AT_SYMLINK_NOFOLLOW) != 0 {
            throw fail("chown", path)
        }
    }

    // MARK: - Whiteouts

    private func applyWhiteout(parentPath: String, name: String, reader: TarReader, entry: String) throws {
        let parent = try parentFD(parentPath, reader: reader, entry: entry)
        if name == ".wh..wh..opq" {
            // Hide everything the lower layers put in this directory, keep this layer's own.
            for child in try listDirectory(parent) {
                let childPath = parentPath.isEmpty ? child : parentPath + "/" + child
                if !written.contains(childPath) { try removeEntry(parent, child, childPath) }
            }
        } else {
            let hidden = String(name.dropFirst(4))
            guard !hidden.isEmpty, hidden != ".", hidden != ".." else {
                throw refuse(reader, entry, "is a malformed whiteout")
            }
            try removeEntry(parent, hidden, parentPath.isEmpty ? hidden : parentPath + "/" + hidden, missingOK: true)
        }
    }

    // MARK: - Paths

    /// "./a//b/" → "a/b"; nil for the root itself. Absolute paths and ".." are refused.
    private func normalize(_ raw: String, _ reader: TarReader, what: String? = nil) throws -> String? {
        if Self.isCanonical(raw) { return raw }
        // `tar -C dir .` writes every entry as "./a/b": the same fast path without the prefix.
        if raw.utf8.starts(with: "./".utf8), raw.utf8.count > 2 {
            let rest = String(raw.utf8.dropFirst(2))!
            if Self.isCanonical(rest) { return rest }
        }
        let label = what ?? "'\(raw)'"
        if raw.hasPrefix("/") {
            throw SlipwayError.badInput("\(reader.source): entry \(label): absolute path refused; entries must stay inside the target")
        }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                throw SlipwayError.badInput("\(reader.source): entry \(label): '..' refused; entries must stay inside the target")
            }
            parts.append(part)
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// True for "a/b/c": no empty, "." or ".." component, not absolute. Most entries are
    /// written so; they skip the split and join (a measurable share of a 10k-entry unpack).
    static func isCanonical(_ raw: String) -> Bool {
        var length = 0, dots = 0
        for byte in raw.utf8 {
            if byte == UInt8(ascii: "/") {
                if length == 0 || (length == dots && dots <= 2) { return false }
                length = 0
                dots = 0
            } else {
                length += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return length > 0 && !(length == dots && dots <= 2)
    }

    private func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return ("", path) }
        return (String(path[..<slash]), String(path[path.index(after: slash)...]))
    }

    private var resolveFlags: UInt64 {
        switch options.symlinks {
        case .refuse: return UInt64(CL_RESOLVE_BENEATH | CL_RESOLVE_NO_SYMLINKS | CL_RESOLVE_NO_MAGICLINKS)
        case .resolveInRoot: return UInt64(CL_RESOLVE_IN_ROOT | CL_RESOLVE_NO_MAGICLINKS)
        }
    }

    /// The parent directory of an entry, created when missing; cached for runs of siblings.
    private func parentFD(_ parentPath: String, reader: TarReader, entry: String) throws -> Int32 {
        if parentPath.isEmpty { return rootFD }
        if let cached = cachedParent, cached.path == parentPath { return cached.fd }
        let fd = try openParent(parentPath, reader: reader, entry: entry)
        dropCache()
        cachedParent = (parentPath, fd, nil)
        return fd
    }

    /// Opens (O_PATH) a directory beneath the root, creating missing components.
    private func openParent(_ parentPath: String, reader: TarReader, entry: String, depth: Int = 0) throws -> Int32 {
        if parentPath.isEmpty { return dup(rootFD) }
        if depth > 40 { throw refuse(reader, entry, "its parent '\(parentPath)' has too many levels of symlinks") }
        let flags = Int32(CL_O_PATH) | O_DIRECTORY | O_CLOEXEC
        let fd = cl_openat2(rootFD, parentPath, flags, 0, resolveFlags)
        if fd >= 0 { return fd }
        switch errno {
        case ENOENT:
            // Create the missing directories one component at a time, each resolved by the kernel.
            var prefix = ""
            for component in parentPath.split(separator: "/") {
                prefix = prefix.isEmpty ? String(component) : prefix + "/" + component
                let probe = cl_openat2(rootFD, prefix, flags, 0, resolveFlags)
                if probe >= 0 { Syscall.close(probe); continue }
                guard errno == ENOENT else { return try openParent(prefix, reader: reader, entry: entry, depth: depth + 1) }
                let (above, leaf) = split(prefix)
                let aboveFD = try openParent(above, reader: reader, entry: entry, depth: depth + 1)
                defer { Syscall.close(aboveFD) }
                if mkdirat(aboveFD, leaf, 0o755) == 0 {
                    if options.whiteouts { written.insert(prefix) }
                } else if errno != EEXIST {
                    throw fail("mkdir", prefix)
                } else if options.symlinks == .resolveInRoot, let target = readLink(aboveFD, leaf) {
                    // A dangling symlink from a lower layer: create its target inside the root,
                    // as the kernel would resolve it with RESOLVE_IN_ROOT.
                    let resolved = clampInRoot(target.hasPrefix("/") ? target : above + "/" + target)
                    Syscall.close(try openParent(resolved, reader: reader, entry: entry, depth: depth + 1))
                }
            }
            let created = cl_openat2(rootFD, parentPath, flags, 0, resolveFlags)
            guard created >= 0 else { throw fail("open", parentPath) }
            return created
        case ELOOP:
            throw refuse(reader, entry, "its parent '\(parentPath)' goes through a symlink; writing through a symlink is refused")
        case EXDEV:
            throw refuse(reader, entry, "its parent '\(parentPath)' resolves outside the target")
        case ENOTDIR:
            throw refuse(reader, entry, "its parent '\(parentPath)' is not a directory")
        case ENOSYS:
            throw SlipwayError.failed("openat2 is not available: Linux 5.6 or later is required for safe extraction")
        default:
            throw fail("open", parentPath)
        }
    }

    private func readLink(_ parent: Int32, _ name: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(parent, name, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Resolves "." and ".." lexically with the root as its own parent, as chroot does.
    private func clampInRoot(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        return parts.joined(separator: "/")
    }

    /// Forgets the cached parent only when it is `path` or beneath it: callers still hold the
    /// fd of `path`'s own parent, which must stay open.
    private func invalidateCache(at path: String) {
        guard let cached = cachedParent, cached.path == path || cached.path.hasPrefix(path + "/") else { return }
        dropCache()
    }

    private func dropCache() {
        if let cached = cachedParent { Syscall.close(cached.fd) }
        cachedParent = nil
    }

    // MARK: - Directory modes, removal

    /// Directory modes and times are set last, deepest first, so a read-only directory in the
    /// archive does not stop its own children from being written.
    private func finishDirectories() throws {
        dropCache()
        for dir in deferredDirectories.reversed() {
            let fd = cl_openat2(rootFD, dir.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, resolveFlags)
            guard fd >= 0 else { continue }  // replaced by a later entry
            defer { Syscall.close(fd) }
            if options.keepOwnership && isRoot, fchown(fd, uid_t(dir.uid), gid_t(dir.gid)) != 0 {
                throw fail("chown", dir.path)
            }
            guard fchmod(fd, mode_t(dir.mode)) == 0 else { throw fail("chmod", dir.path) }
            var times = [timespec(tv_sec: Int(dir.mtime), tv_nsec: 0), timespec(tv_sec: Int(dir.mtime), tv_nsec: 0)]
            futimens(fd, &times)
        }
        deferredDirectories.removeAll()
    }

    private func isDirectory(_ parent: Int32, _ name: String) -> Bool {
        var st = stat()
        return fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    private func removeEntry(_ parent: Int32, _ name: String, _ path: String, missingOK: Bool = false) throws {
        if unlinkat(parent, name, 0) == 0 { invalidateCache(at: path); return }
        switch errno {
        case ENOENT where missingOK: return
        case EISDIR:
            try removeTree(at: parent, name, path)
            invalidateCache(at: path)
        default:
            throw fail("remove", path)
        }
    }

    private func removeTree(at parent: Int32, _ name: String, _ path: String) throws {
        let fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw fail("open", path) }
        defer { Syscall.close(fd) }
        for child in try listDirectory(fd) {
            if unlinkat(fd, child, 0) != 0 {
                guard errno == EISDIR else { throw fail("remove", path + "/" + child) }
                try removeTree(at: fd, child, path + "/" + child)
            }
        }
        guard unlinkat(parent, name, AT_REMOVEDIR) == 0 else { throw fail("remove", path) }
    }

    private func listDirectory(_ fd: Int32) throws -> [String] {
        try Syscall.directoryNames(of: fd, name: rootPath)
    }

    // MARK: - Errors

    private func refuse(_ reader: TarReader, _ entry: String, _ why: String) -> SlipwayError {
        .badInput("\(reader.source): entry '\(entry)' \(why)")
    }

    private func fail(_ what: String, _ path: String) -> SlipwayError {
        .system("\(what) \(rootPath)/\(path)")
    }
}
