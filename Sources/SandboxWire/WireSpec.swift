/// The sandbox spec as it travels from the service to `slipway-sandbox`: what to run, on which
/// root, with which limits. The service builds it from `SandboxSpec`; the helper decodes it and
/// applies it as is, so every default here is the helper's behaviour too.
public struct WireSpec: Equatable, Sendable {
    public struct Bind: Equatable, Sendable {
        public var source: String
        public var destination: String
        public var readOnly: Bool

        public init(source: String, destination: String, readOnly: Bool) {
            (self.source, self.destination, self.readOnly) = (source, destination, readOnly)
        }
    }

    /// Names the sandbox's cgroup (`slipway-<name>`); nil lets the helper pick a unique one.
    public var name: String?
    /// The unpacked image, the overlay's read-only lower layer.
    public var rootfs: String
    /// The program and its arguments; the program is looked up on the environment's PATH.
    public var command: [String]
    /// The command's whole environment as `NAME=value` entries.
    public var environment: [String] = []
    /// Host directory bound read-write at `workspacePath`.
    public var workspace: String?
    public var workspacePath = "/workspace"
    /// Working directory inside the sandbox.
    public var workingDirectory = "/"
    public var binds: [Bind] = []
    /// Share the host's network namespace instead of a private one with only loopback.
    public var hostNetwork = false
    public var hostname = "slipway"
    /// Limits, nil for none: memory in bytes, processes, CPUs, and wall-clock seconds (after
    /// which the tree gets SIGTERM, then SIGKILL `killGracePeriod` seconds later).
    public var memoryBytes: Int64?, pids: Int?, cpus: Double?, timeout: Double?
    public var killGracePeriod: Double = 2
    /// The identity inside (0 = root inside, mapped to the caller when unprivileged).
    public var uid: UInt32 = 0, gid: UInt32 = 0
    /// Keep the overlay's upper layer under this host directory.
    public var keepUpperDirectory: String?
    /// Sizes of the tmpfs at /tmp and of the tmpfs holding the overlay's upper layer (every
    /// write outside the workspace, binds and /tmp), in bytes; nil: the kernel's default.
    public var tmpSizeBytes: Int64?, upperSizeBytes: Int64?
    /// Host ids the sandbox's user namespace maps ids 0... onto when the helper runs as root
    /// (the `slipway` ranges of /etc/subuid and /etc/subgid). Without them a root helper runs the
    /// build as host uid 0 with no capabilities; without root they are ignored (root inside is
    /// mapped to the caller).
    public var subordinateUIDs: IDRange?, subordinateGIDs: IDRange?
    /// A seccomp filter, classic BPF (8 bytes per instruction, as `seccomp_export_bpf` writes
    /// it), installed just before exec; nil: none.
    public var seccompFilter: [UInt8]?

    /// A range of host ids; id `n` inside the sandbox is `start + n` on the host.
    public struct IDRange: Equatable, Sendable {
        public var start: UInt32
        public var count: UInt32

        public init(start: UInt32, count: UInt32) {
            (self.start, self.count) = (start, count)
        }
    }

    public init(rootfs: String, command: [String]) {
        self.rootfs = rootfs
        self.command = command
    }
}
