import CLinux
import Foundation
import SlipwayCore
import Specs

/// An appspec's `permissions` applied to a release on this machine, through descriptors: each
/// object is opened beneath the release with `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`,
/// its entries are looked at with `fstatat(AT_SYMLINK_NOFOLLOW)` and opened `O_NOFOLLOW`, and
/// owners and modes are changed through those descriptors. A symlink is never followed: an
/// object reached through one is refused, and links among the entries are left alone (as
/// `find ! -type l` did), so a permissions entry can only change files the deploy installed.
///
/// What is selected is what CodeDeploy selects: the object's entries (not the object itself),
/// all of them below it for `pattern: "**"`, else its direct children matching the glob,
/// minus `except`, of the given `type`. Children are changed before their directory, so a
/// mode that closes a directory does not stop the walk.
struct ReleasePermissions {
    let permissions: [InstallPlan.Permission]

    func apply(beneath root: String) throws {
        guard !permissions.isEmpty else { return }
        let tree = try BeneathDirectory(root)
        for permission in permissions { try apply(permission, in: tree) }
    }

    private func apply(_ permission: InstallPlan.Permission, in tree: BeneathDirectory) throws {
        let rule = permission.rule
        let object: OpenedPath
        switch tree.open(permission.object, noSymlinks: true) {
        case let .success(opened): object = opened
        case .failure(.missing):
            throw SlipwayError.failed("permissions: object \(rule.object) was not installed")
        case .failure(.escapes), .failure(.symlink):
            throw SlipwayError.badInput("permissions: object \(rule.object) is reached through a symlink in the release; "
                                        + "permissions change only what the deployment installed, never what a link points to")
        case let .failure(.other(code)):
            throw SlipwayError.system(call: "openat2", tree.path + "/" + permission.object, errno: code)
        }
        let owner = try Self.ids(rule)
        guard try object.status().st_mode & S_IFMT == S_IFDIR else { return }
        let directory = openat(object.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw SlipwayError.open(object.name) }
        try walk(directory, name: object.name, rule: rule, owner: owner, depth: 1)
    }

    /// Changes the selected entries of the directory `fd` (which it closes), depth first.
    private func walk(_ fd: Int32, name: String, rule: PermissionRule, owner: (uid: uid_t, gid: gid_t)?, depth: Int) throws {
        defer { Syscall.close(fd) }
        let recursive = rule.pattern == "**"
        for entry in try Syscall.directoryNames(of: fd, name: name) {
            var info = stat()
            guard fstatat(fd, entry, &info, AT_SYMLINK_NOFOLLOW) == 0 else { throw SlipwayError.stat(name + "/" + entry) }
            let type = info.st_mode & S_IFMT
            if type == S_IFLNK { continue }
            let path = name + "/" + entry
            if recursive && type == S_IFDIR {
                let child = openat(fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw SlipwayError.open(path) }
                try walk(child, name: path, rule: rule, owner: owner, depth: depth + 1)
            }
            guard selects(rule, entry: entry, type: type) else { continue }
            let opened = openat(fd, entry, CL_O_PATH | O_NOFOLLOW | O_CLOEXEC)
            guard opened >= 0 else { throw SlipwayError.open(path) }
            let file = OpenedPath(fd: opened, name: path)
            // Replaced by a link since it was looked at: left alone, like any link.
            guard try file.status().st_mode & S_IFMT != S_IFLNK else { continue }
            if let owner { try file.chown(owner.uid, owner.gid) }
            if let mode = rule.mode { try file.chmod(mode_t(mode)) }
        }
    }

    private func selects(_ rule: PermissionRule, entry: String, type: mode_t) -> Bool {
        if rule.pattern != "**" && fnmatch(rule.pattern, entry, 0) != 0 { return false }
        if rule.except.contains(where: { fnmatch($0, entry, 0) == 0 }) { return false }
        if rule.types.count == 1 { return rule.types[0] == .file ? type == S_IFREG : type == S_IFDIR }
        return true
    }

    /// The owner and group a rule sets (-1 keeps one), or nil when it sets neither.
    static func ids(_ rule: PermissionRule) throws -> (uid: uid_t, gid: gid_t)? {
        guard rule.owner != nil || rule.group != nil else { return nil }
        var uid = uid_t.max, gid = gid_t.max
        if let owner = rule.owner {
            guard let entry = getpwnam(owner) else { throw SlipwayError.failed("permissions: user \(owner) does not exist on this host") }
            uid = entry.pointee.pw_uid
        }
        if let group = rule.group {
            guard let entry = getgrnam(group) else { throw SlipwayError.failed("permissions: group \(group) does not exist on this host") }
            gid = entry.pointee.gr_gid
        }
        return (uid, gid)
    }
}
