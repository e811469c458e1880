import Glibc

/// Turns a failed clone into a message that says how to enable namespaces here.
enum NamespaceAdvice {
    /// `exists` tells which sysctls this kernel has (a parameter for tests).
    static func failure(errno code: Int32, userNamespace: Bool,
                        exists: (String) -> Bool = FileText.exists) -> SetupFailure {
        var advice = ""
        if userNamespace {
            advice = "; unprivileged user namespaces look disabled: check `sysctl user.max_user_namespaces` (must be > 0)"
            if exists("/proc/sys/kernel/unprivileged_userns_clone") {
                advice += " and `sysctl -w kernel.unprivileged_userns_clone=1`"
            }
            if exists("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") {
                advice += "; on Ubuntu also `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` or an AppArmor profile allowing userns"
            }
            advice += "; or run the service as root"
        } else {
            advice = "; inside a container the runtime's seccomp profile or missing CAP_SYS_ADMIN blocks namespaces (Docker: --privileged or --security-opt seccomp=unconfined --cap-add SYS_ADMIN)"
        }
        if code == ENOSPC { advice = "; the namespace count limit is reached (user.max_*_namespaces)" + advice }
        let kinds = "mount, pid, net, uts, ipc, cgroup" + (userNamespace ? ", user" : "")
        return SetupFailure(step: "clone(\(kinds) namespaces)", message: ErrorName.describe(code) + advice)
    }
}
