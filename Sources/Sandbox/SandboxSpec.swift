import Foundation

/// Everything a sandboxed process needs: what to run, on which root, with which limits.
public struct SandboxSpec: Codable, Sendable {
    public struct Bind: Codable, Sendable, Equatable {
        public var source: String
        public var destination: String
        public var readOnly: Bool
        public init(source: String, destination: String, readOnly: Bool = false) {
            self.source = source
            self.destination = destination
            self.readOnly = readOnly
        }
    }

    public enum Network: String, Codable, Sendable { case none, host }

    /// The seccomp filter the command runs under: `SeccompProfile` (default), or none for
    /// builds that need what it denies (nested containers, mounting, keyrings).
    public enum Seccomp: String, Codable, Sendable, CaseIterable { case `default`, unconfined }

    /// The unpacked image (read-only lower layer of the overlay).
    public var rootfs: String
    public var command: [String]
    /// Host directory mounted read-write at `workspacePath` and used as the working directory.
    public var workspace: String?
    public var workspacePath = "/workspace"
    /// Working directory inside (defaults to `workspacePath` when a workspace is given, else `/`).
    public var workingDirectory: String?
    public var binds: [Bind] = []
    /// The complete environment of the command (nothing is inherited).
    public var environment: [String: String] = [:]
    public var network: Network = .none
    public var hostname = "slipway"
    /// Limits; nil means none requested.
    public var memoryBytes: Int64?
    public var pids: Int?
    public var cpus: Double?
    /// Sizes of /tmp (a tmpfs) and of the overlay's upper layer (every write outside the
    /// workspace, binds and /tmp), in bytes; nil: the kernel's tmpfs default (half the RAM).
    /// Both are memory, so they also count towards `memoryBytes`.
    public var tmpSizeBytes: Int64?
    public var upperSizeBytes: Int64?
    public var seccomp: Seccomp = .default
    /// Wall-clock limit in seconds; TERM, a grace period, then KILL of the whole tree.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL on a timeout or a cancel.
    public var killGracePeriod: Double = 2
    /// uid/gid inside the sandbox: 0 is root inside, which is the caller when unprivileged and
    /// the first id of the `slipway` subordinate range (`SubordinateIDs`) when root.
    public var uid: UInt32 = 0
    public var gid: UInt32 = 0
    /// Keep the overlay's upper layer after exit (for inspection), under this directory.
    public var keepUpperDirectory: String?

    public init(rootfs: String, command: [String]) {
        self.rootfs = rootfs
        self.command = command
    }
}

/// How a sandboxed process ended.
public struct SandboxResult: Codable, Sendable {
    public enum Reason: String, Codable, Sendable { case exited, signaled, timedOut, outOfMemory, cancelled, limitExceeded }
    /// The exit status as a shell reports it: the command's code, 128+signal, 124 for a timeout,
    /// 137 for a memory kill or a stop at the process limit; with `limitExceeded` never 0.
    public var status: Int32
    public var reason: Reason
    public var duration: Double
    /// Limits that were requested but could not be enforced, said plainly.
    public var unenforcedLimits: [String] = []
    /// Why the sandbox ended when it was not the command's own doing, e.g.
    /// "killed: the memory limit of 64 MiB was exceeded", "timed out after 30s ..." or
    /// "the process limit of 4096 was reached (pids): ...".
    public var message: String?
}

/// A line the sandboxed command wrote.
public struct OutputLine: Sendable {
    public enum Stream: String, Sendable { case stdout, stderr }
    public var stream: Stream
    public var text: String
    public init(stream: Stream, text: String) {
        self.stream = stream
        self.text = text
    }
}
