import Glibc

/// Maps root inside the sandbox's user namespace to the caller, the one mapping an
/// unprivileged process may write. Order matters: uid_map, then setgroups=deny (required before
/// an unprivileged gid_map, so dropped supplementary groups cannot be regained), then gid_map.
enum IdentityMap {
    static func write(for pid: pid_t) throws(SetupFailure) {
        let proc = "/proc/\(pid)"
        try FileText.write(proc + "/uid_map", "0 \(geteuid()) 1\n")
        try FileText.write(proc + "/setgroups", "deny")
        try FileText.write(proc + "/gid_map", "0 \(getegid()) 1\n")
    }
}
