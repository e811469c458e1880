import Glibc

/// Maps root inside the sandbox's user namespace to the caller, the one mapping an
/// unprivileged process may write. Order matters: uid_map, then setgroups=deny (required before
/// an unprivileged gid_map, so dropped supplementary groups cannot be regained), then gid_map.
enum IdentityMap {
    static func write(for pid: pid_t) throws(SetupFailure) {
        try write(into: "/proc/\(pid)", uid: geteuid(), gid: getegid())
    }

    /// Writes the maps into `directory` (a process's /proc entry), in `files(uid:gid:)` order.
    static func write(into directory: String, uid: uid_t, gid: gid_t) throws(SetupFailure) {
        for (file, text) in files(uid: uid, gid: gid) {
            try FileText.write(directory + "/" + file, text)
        }
    }

    /// The files and their text, in the order the kernel requires.
    static func files(uid: uid_t, gid: gid_t) -> [(file: String, text: String)] {
        [("uid_map", "0 \(uid) 1\n"), ("setgroups", "deny"), ("gid_map", "0 \(gid) 1\n")]
    }
}
