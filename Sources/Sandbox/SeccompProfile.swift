import CLinux
import CSeccomp
import Foundation
import SlipwayCore

/// The build sandbox's default seccomp filter, modelled on Docker's default profile but written
/// as a deny list (everything else is allowed): the kernel interfaces a build never needs and
/// that carry most of the kernel's recent privilege-escalation bugs. Denied calls fail with
/// EPERM (not a kill), so tools that probe for a feature fall back as they would in Docker;
/// clone3 fails with ENOSYS, which makes glibc fall back to clone, whose flags the filter can see.
///
/// libseccomp compiles the filter once per service process (0.3 to 0.8 ms, more than a whole
/// sandbox start may grow by); the helper receives the BPF program in its spec and installs it
/// with one prctl just before exec.
public enum SeccompProfile {
    /// Calls refused with EPERM whatever their arguments.
    public static let denied = [
        // the kernel keyring: host keys, and a bug-prone interface
        "keyctl", "add_key", "request_key",
        // eBPF, perf, userfaultfd: the usual kernel exploitation primitives
        "bpf", "perf_event_open", "userfaultfd",
        // the kernel itself
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
        "reboot", "swapon", "swapoff", "acct", "syslog",
        // file handles bypass path checks (the "shocker" escape)
        "open_by_handle_at",
        // mounts, by the old and the new mount API
        "mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
        "mount_setattr",
        // joining namespaces
        "setns",
        // io_uring bypasses the filter for the operations it performs
        "io_uring_setup", "io_uring_enter", "io_uring_register",
    ]

    /// Namespace flags refused in clone and unshare (CLONE_NEWNS ... CLONE_NEWNET, and
    /// CLONE_NEWTIME, which only unshare takes).
    public static let namespaceFlags: [UInt64] = [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000,
                                                  0x2000_0000, 0x4000_0000, 0x80]

    /// personality(2) values allowed, as in Docker's profile: PER_LINUX, PER_LINUX32,
    /// UNAME26 with either, and 0xffffffff (the query). Anything else (ADDR_NO_RANDOMIZE,
    /// READ_IMPLIES_EXEC, other execution domains) is refused.
    public static let allowedPersonalities: [UInt32] = [0, 0x8, 0x20000, 0x20008, 0xffff_ffff]

    /// The compiled filter (classic BPF), built on first use: read from `<home>/seccomp` when
    /// an earlier process compiled the same rules with the same libseccomp, else compiled and
    /// left there. Compiling costs about 7.5 million instructions, a quarter of a whole
    /// `slipway sandbox run` (docs/benchmarks.md, "Start-up"); reading the program, a few
    /// thousand.
    public static func filter() throws -> [UInt8] {
        try compiled.get()
    }

    private static let compiled: Result<[UInt8], SlipwayError> = Result { () throws(SlipwayError) in
        try cachedOrCompiled(in: SlipwayHome.fromEnvironment().path + "/seccomp")
    }

    /// The program cached in `directory`, or compiled and cached there. The file starts with
    /// the text of everything the program is compiled from (`rules`) and is used only when
    /// that text is this process's, this user owns it and nobody else may write it; a cache
    /// that cannot be written is skipped, not an error.
    static func cachedOrCompiled(in directory: String) throws(SlipwayError) -> [UInt8] {
        let header = Array((rules + "\n").utf8)
        let path = directory + "/filter-" + String(fnv1a(header), radix: 16) + ".bpf"
        if let program = readCached(path, header: header) { return program }
        let program = try compile()
        writeCached(header + program, to: path, in: directory)
        return program
    }

    /// What the compiled program depends on: the rules, the native architecture and
    /// libseccomp's version.
    static var rules: String {
        let version = seccomp_version().map { "\($0.pointee.major).\($0.pointee.minor).\($0.pointee.micro)" } ?? "unknown"
        return "slipway seccomp filter 1; arch \(seccomp_arch_native()); libseccomp \(version); deny \(denied.joined(separator: ",")); "
            + "namespaces \(namespaceFlags.map { String($0) }.joined(separator: ",")); "
            + "personalities \(allowedPersonalities.map { String($0) }.joined(separator: ","))"
    }

    /// 64-bit FNV-1a: a file name for the rules (the file's header is compared whole).
    private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    private static func readCached(_ path: String, header: [UInt8]) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Syscall.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid(), info.st_mode & 0o022 == 0,
              info.st_size > header.count, (Int(info.st_size) - header.count) % 8 == 0, info.st_size <= 1 << 20 else { return nil }
        var content = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < content.count {
            let n = content.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            filled += n
        }
        guard content.starts(with: header) else { return nil }
        return Array(content[header.count...])
    }

    /// Written whole under a temporary name and renamed, so a reader sees all of it or none.
    private static func writeCached(_ content: [UInt8], to path: String, in directory: String) {
        guard (try? makeDirectories(directory, mode: 0o700)) != nil else { return }
        guard var staging = try? StagingFile(path + ".\(getpid()).tmp", mode: 0o600) else { return }
        defer { staging.close() }
        guard content.withUnsafeBytes({ (try? Syscall.writeAll(staging.fd, $0, what: staging.path)) != nil }) else { return }
        try? staging.place(at: path)
    }

    /// libseccomp's SCMP_ACT_ERRNO(code).
    static func errnoAction(_ code: Int32) -> UInt32 { 0x0005_0000 | (UInt32(code) & 0xffff) }

    static func compile() throws(SlipwayError) -> [UInt8] {
        guard let context = seccomp_init(SCMP_ACT_ALLOW) else { throw SlipwayError.failed("seccomp: seccomp_init failed") }
        defer { seccomp_release(context) }
        // A call from another ABI on the same CPU (int 0x80, x32) must meet the same rules, or it
        // would be a way around them; unknown architectures are killed.
        let native = seccomp_arch_native()
        let companions: [String] = switch native {
        case seccomp_arch_resolve_name("x86_64"): ["x86", "x32"]
        case seccomp_arch_resolve_name("aarch64"): ["arm"]
        default: []
        }
        for name in companions {
            let arch = seccomp_arch_resolve_name(name)
            let rc = seccomp_arch_add(context, arch)
            guard rc == 0 || rc == -EEXIST else { throw libraryError("seccomp_arch_add(\(name))", rc) }
        }
        _ = seccomp_attr_set(context, SCMP_FLTATR_CTL_OPTIMIZE, 2)

        let eperm = errnoAction(EPERM)
        for name in denied {
            try add(context, eperm, name, [])
        }
        for flag in namespaceFlags {
            let bit = [scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: flag, datum_b: flag)]
            try add(context, eperm, "unshare", bit)
            if flag != 0x80 { try add(context, eperm, "clone", bit) }
        }
        try add(context, errnoAction(ENOSYS), "clone3", [])
        for rule in personalityRules() {
            try add(context, eperm, "personality", [rule])
        }
        return try export(context)
    }

    /// personality(2) values outside `allowedPersonalities`, as single masked comparisons
    /// (libseccomp takes one comparison per argument and rule): with bit 31 clear, any bit but
    /// PER_LINUX32 (3) and UNAME26 (17) set; with bit 31 set, any of bits 0-30 clear (only the
    /// query, 0xffffffff, has bit 31).
    static func personalityRules() -> [scmp_arg_cmp] {
        var rules: [scmp_arg_cmp] = []
        let top: UInt64 = 1 << 31
        for bit in 0..<31 {
            let value: UInt64 = 1 << UInt64(bit)
            if bit != 3 && bit != 17 {
                rules.append(scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: value | top, datum_b: value))
            }
            rules.append(scmp_arg_cmp(arg: 0, op: SCMP_CMP_MASKED_EQ, datum_a: value | top, datum_b: top))
        }
        return rules
    }

    private static func add(_ context: scmp_filter_ctx, _ action: UInt32, _ name: String, _ comparisons: [scmp_arg_cmp]) throws(SlipwayError) {
        let number = seccomp_syscall_resolve_name(name)
        // A call this libseccomp does not know cannot be made by name here either.
        guard number != __NR_SCMP_ERROR else { return }
        let rc = comparisons.withUnsafeBufferPointer {
            seccomp_rule_add_array(context, action, number, UInt32($0.count), $0.baseAddress)
        }
        guard rc == 0 else { throw libraryError("seccomp_rule_add(\(name))", rc) }
    }

    /// The BPF program, through a pipe (libseccomp 2.5 exports to an fd only).
    private static func export(_ context: scmp_filter_ctx) throws(SlipwayError) -> [UInt8] {
        var fds: [Int32] = [-1, -1]
        guard cl_pipe_cloexec(&fds) == 0 else { throw SlipwayError.system("pipe (seccomp export)") }
        defer { Syscall.close(fds[0]) }
        let rc = seccomp_export_bpf(context, fds[1])
        Syscall.close(fds[1])
        guard rc == 0 else { throw libraryError("seccomp_export_bpf", rc) }
        var program: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SlipwayError.system("read (seccomp export)") }
            if n == 0 { break }
            program += chunk[0..<n]
        }
        guard !program.isEmpty, program.count % 8 == 0 else {
            throw SlipwayError.failed("seccomp: libseccomp exported \(program.count) bytes, not whole instructions")
        }
        return program
    }

    private static func libraryError(_ call: String, _ rc: Int32) -> SlipwayError {
        SlipwayError.failed("seccomp: \(call) failed: \(String(cString: strerror(-rc)))")
    }
}
