import Glibc
import SandboxWire

/// The spec the helper applies: what the service requested, plus what the helper decides for
/// itself once, in the supervisor, before the clone (inside the namespaces getpid() is 1 and
/// geteuid() is 0, so neither can be asked again there).
struct HelperSpec {
    /// The decoded, validated spec from the service.
    let requested: WireSpec
    /// Names the sandbox's cgroup: the requested name, else one unique among live sandboxes.
    let cgroupName: String
    /// Whether the sandbox needs a user namespace: always when the caller is not root.
    let usesUserNamespace: Bool

    init(_ requested: WireSpec, processID: pid_t = getpid(), effectiveUserID: uid_t = geteuid()) {
        self.requested = requested
        cgroupName = "slipway-" + (requested.name ?? "sandbox-\(processID)")
        usesUserNamespace = effectiveUserID != 0
    }
}
