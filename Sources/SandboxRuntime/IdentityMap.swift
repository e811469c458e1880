import Glibc
import SandboxWire

/// The sandbox's user namespace maps, written by the supervisor into /proc/CHILD.
/// Unprivileged: root inside is the caller, the one mapping such a process may write; order
/// matters: uid_map, then setgroups=deny (required before an unprivileged gid_map, so dropped
/// supplementary groups cannot be regained), then gid_map. As root: ids 0... inside are the
/// subordinate ranges (written directly, as newuidmap would); setgroups stays allowed so that
/// the payload can drop the helper's supplementary groups.
enum IdentityMap {
    static func write(for pid: pid_t, identity: HelperSpec.Identity) throws(SetupFailure) {
        try write(into: "/proc/\(pid)", files: files(identity, uid: geteuid(), gid: getegid()))
    }

    /// Writes the maps into `directory` (a process's /proc entry), in order.
    static func write(into directory: String, files: [(file: String, text: String)]) throws(SetupFailure) {
        for (file, text) in files {
            try FileText.write(directory + "/" + file, text)
        }
    }

    /// The files and their text, in the order the kernel requires; none for `.host`.
    static func files(_ identity: HelperSpec.Identity, uid: uid_t, gid: gid_t) -> [(file: String, text: String)] {
        switch identity {
        case .host: []
        case .caller: [("uid_map", "0 \(uid) 1\n"), ("setgroups", "deny"), ("gid_map", "0 \(gid) 1\n")]
        case let .subordinate(uids, gids): [("uid_map", "0 \(uids.start) \(uids.count)\n"), ("gid_map", "0 \(gids.start) \(gids.count)\n")]
        }
    }
}
