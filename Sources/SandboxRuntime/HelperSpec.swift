import Glibc
import SandboxWire

/// The spec the helper applies: what the service requested, plus what the helper decides for
/// itself once, in the supervisor, before the clone (inside the namespaces getpid() is 1 and
/// geteuid() is 0, so neither can be asked again there).
struct HelperSpec {
    /// Who the build is on the host.
    enum Identity: Equatable {
        /// Root without a user namespace: host uid 0 with every capability dropped. Only when
        /// the service sent no subordinate ranges, or id-mapped mounts are not available.
        case host
        /// Not root: a user namespace mapping root inside to the caller (the one mapping an
        /// unprivileged process may write).
        case caller
        /// Root: a user namespace mapping ids 0... inside onto the `slipway` subordinate ranges,
        /// with the image, workspace and binds shown through id-mapped mounts.
        case subordinate(uids: WireSpec.IDRange, gids: WireSpec.IDRange)
    }

    /// The decoded, validated spec from the service.
    let requested: WireSpec
    /// Names the sandbox's cgroup: the requested name, else one unique among live sandboxes.
    let cgroupName: String
    let identity: Identity

    init(_ requested: WireSpec, processID: pid_t = getpid(), effectiveUserID: uid_t = geteuid()) {
        self.requested = requested
        cgroupName = "slipway-" + (requested.name ?? "sandbox-\(processID)")
        if effectiveUserID != 0 {
            identity = .caller
        } else if let uids = requested.subordinateUIDs, let gids = requested.subordinateGIDs {
            identity = .subordinate(uids: uids, gids: gids)
        } else {
            identity = .host
        }
    }

    /// The same spec run as `identity` (the fallback when id-mapped mounts fail).
    private init(_ other: HelperSpec, identity: Identity) {
        requested = other.requested
        cgroupName = other.cgroupName
        self.identity = identity
    }

    func with(identity: Identity) -> HelperSpec { HelperSpec(self, identity: identity) }

    /// Whether the sandbox gets a user namespace.
    var usesUserNamespace: Bool { identity != .host }

    /// Whether the sandbox's sources arrive as id-mapped mounts made by the supervisor.
    var usesIdmappedMounts: Bool {
        if case .subordinate = identity { return true }
        return false
    }
}
