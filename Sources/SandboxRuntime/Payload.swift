import CLinux
import Glibc
import SandboxWire

/// The last process step before the build command runs: a new session (no controlling tty to
/// push input into, CVE-2017-5226), the requested identity, no capabilities at all (bounding set
/// included), no_new_privs (setuid binaries grant nothing), no inherited fds, the seccomp
/// filter, and exactly the environment the spec lists.
struct Payload {
    let spec: HelperSpec
    let rlimits: [(resource: Int32, value: UInt64)]

    func exec() -> Never {
        do {
            try prepare()
            let program = Self.resolve(spec.requested.command[0], environment: spec.requested.environment)
            StepTrace.mark("payload-exec")
            Self.execve(program, spec.requested.command, spec.requested.environment)
            let code = errno
            ReportChannel.send(.execFailure("\(spec.requested.command[0]): \(ErrorName.describe(code))"))
            _exit(code == ENOENT ? 127 : 126)
        } catch {
            ReportChannel.fail(error)
            _exit(125)
        }
    }

    private func prepare() throws(SetupFailure) {
        try check("sigprocmask", cl_unblock_all_signals())
        try check("setsid", setsid())
        for limit in rlimits {
            var value = rlimit(rlim_cur: rlim_t(limit.value), rlim_max: rlim_t(limit.value))
            try check("setrlimit(\(limit.resource))", setrlimit(__rlimit_resource_t(UInt32(limit.resource)), &value))
        }
        try check("chdir \(spec.requested.workingDirectory)", chdir(spec.requested.workingDirectory))
        // Every capability number the kernel could have: those past its last one fail with
        // EINVAL, which the shim skips (cheaper than reading /proc/sys/kernel/cap_last_cap).
        try check("drop bounding capabilities", cl_drop_bounding_set(63))
        // With a one-entry map (rootless) only root inside exists and setgroups is denied;
        // otherwise the helper's supplementary groups go and the requested ids are taken.
        let callerMapped = spec.identity == .caller
        if !callerMapped { try check("setgroups", setgroups(0, nil)) }
        if spec.requested.gid != 0 || !callerMapped { try check("setgid \(spec.requested.gid)", setgid(spec.requested.gid)) }
        if spec.requested.uid != 0 || !callerMapped { try check("setuid \(spec.requested.uid)", setuid(spec.requested.uid)) }
        try check("prctl(PR_SET_NO_NEW_PRIVS)", cl_set_no_new_privs())
        try check("drop capabilities", cl_clear_capabilities())
        try check("mark inherited fds close-on-exec", cl_mark_fds_cloexec_from(3))
        // Last, after every mount and identity change of the helper's own: the filter denies
        // exactly those calls to the build.
        if let filter = spec.requested.seccompFilter {
            try check("install seccomp filter", filter.withUnsafeBytes { cl_install_seccomp_filter($0.baseAddress, Int32($0.count / 8)) })
        }
    }

    /// The PATH of a spec without one, as a login shell would have it.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// `name` as given when it has a slash, else the first executable match on the
    /// environment's PATH (`name` itself when none matches, for execve to report ENOENT).
    static func resolve(_ name: String, environment: [String]) -> String {
        if name.contains("/") { return name }
        let path = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
        for directory in path.split(separator: ":") {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return name
    }

    /// Returns only when execve failed (errno says why).
    /// The vectors are raw allocations rather than arrays of optional pointers, whose generic
    /// type the Swift runtime would otherwise build at every sandbox start.
    private static func execve(_ program: String, _ arguments: [String], _ environment: [String]) {
        func vector(_ strings: [String]) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> {
            let vector = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
            for index in strings.indices { vector[index] = strdup(strings[index]) }
            vector[strings.count] = nil
            return vector
        }
        _ = Glibc.execve(program, vector(arguments), vector(environment))
    }
}
