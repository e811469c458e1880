import Glibc

/// Memory, pids and CPU limits through a cgroup created for this sandbox, nested under the
/// cgroup the service itself runs in (so a service confined by systemd stays confined).
/// cgroup v1 (one directory per controller) and v2 (one unified directory) are both handled;
/// whatever cannot be applied is listed in `unenforced` in plain words, never silently dropped.
struct CgroupLimits {
    enum Version { case v1, v2 }

    private(set) var version: Version?
    /// Directories this sandbox created (v1: one per controller), removed at the end.
    private(set) var directories: [String] = []
    private(set) var unenforced: [String] = []
    private(set) var memoryEnforced = false
    private(set) var pidsEnforced = false
    private var memoryDirectory: String?
    /// The directory whose `pids.events` counts forks refused by the limit.
    private(set) var pidsDirectory: String?
    /// Where the cgroup file systems are mounted.
    private let hierarchy: String

    /// The CFS period both versions use, in microseconds.
    static let cpuPeriod = 100_000

    /// Creates the cgroup(s) and writes the limits; the sandbox joins later via `join(_:)`.
    /// `hierarchy` and `membership` (the text of /proc/self/cgroup) are parameters so that the
    /// layout can be exercised on an ordinary directory tree.
    init(spec: HelperSpec, hierarchy: String = "/sys/fs/cgroup", membership: String? = nil) {
        self.hierarchy = hierarchy
        let wanted = spec.requested.memoryBytes != nil || spec.requested.pids != nil || spec.requested.cpus != nil
        guard wanted else { return }
        let membership = membership ?? FileText.read("/proc/self/cgroup") ?? ""
        if FileText.exists(hierarchy + "/cgroup.controllers") {
            version = .v2
            applyV2(spec, own: Self.path(in: membership, controller: ""), leaf: spec.cgroupName)
        } else {
            version = .v1
            applyV1(spec, membership: membership, leaf: spec.cgroupName)
        }
    }

    /// Moves `pid` into every cgroup of this sandbox; called before the sandbox runs anything.
    mutating func join(_ pid: pid_t) {
        for directory in directories {
            do {
                try FileText.write(directory + "/cgroup.procs", "\(pid)")
            } catch {
                unenforced.append("limits in \(directory) not enforced: \(error.step): \(error.message)")
            }
        }
    }

    /// Number of OOM kills in this sandbox's memory cgroup.
    func oomKills() -> Int {
        guard let directory = memoryDirectory else { return 0 }
        let file = version == .v2 ? "/memory.events" : "/memory.oom_control"
        return Self.oomKills(in: FileText.read(directory + file) ?? "")
    }

    /// The `oom_kill` count in memory.events (v2) or memory.oom_control (v1).
    static func oomKills(in text: String) -> Int {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 && parts[0] == "oom_kill" { return Int(parts[1]) ?? 0 }
        }
        return 0
    }

    /// How many forks the pids limit has refused so far (`max` in pids.events), 0 without one.
    func pidsLimitHits() -> Int {
        guard pidsEnforced, let directory = pidsDirectory else { return 0 }
        return Self.limitHits(in: FileText.read(directory + "/pids.events") ?? "")
    }

    /// The `max` count in pids.events (v1 and v2 alike).
    static func limitHits(in text: String) -> Int {
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 && parts[0] == "max" { return Int(parts[1]) ?? 0 }
        }
        return 0
    }

    /// Kills everything in the sandbox's cgroup (v2 `cgroup.kill`); the PID namespace already
    /// guarantees this on v1, so this is a second line only.
    func killAll() {
        if version == .v2, let directory = directories.first {
            try? FileText.write(directory + "/cgroup.kill", "1")
        }
    }

    /// Removes the cgroups; they are empty once the sandbox's PID 1 has been reaped, but the
    /// kernel may take a moment to release the last task, hence the retries.
    func remove() {
        for directory in directories.reversed() {
            for attempt in 0..<50 {
                if rmdir(directory) == 0 || errno == ENOENT { break }
                if attempt < 49 { usleep(2_000) }
            }
        }
    }

    // MARK: - v1

    private mutating func applyV1(_ spec: HelperSpec, membership: String, leaf: String) {
        if let bytes = spec.requested.memoryBytes {
            if let directory = makeV1("memory", membership: membership, leaf: leaf, limit: "memory \(Self.bytes(bytes))") {
                memoryEnforced = write(directory + "/memory.limit_in_bytes", "\(bytes)", limit: "memory \(Self.bytes(bytes))")
                // Without this the limit only covers RAM and a hog would spill into swap.
                if memoryEnforced && FileText.exists(directory + "/memory.memsw.limit_in_bytes") {
                    _ = write(directory + "/memory.memsw.limit_in_bytes", "\(bytes)", limit: "memory+swap \(Self.bytes(bytes))")
                }
                memoryDirectory = directory
            }
        }
        if let pids = spec.requested.pids, let directory = makeV1("pids", membership: membership, leaf: leaf, limit: "pids \(pids)") {
            pidsEnforced = write(directory + "/pids.max", "\(pids)", limit: "pids \(pids)")
            pidsDirectory = directory
        }
        if let cpus = spec.requested.cpus, let directory = makeV1("cpu", membership: membership, leaf: leaf, limit: "cpus \(cpus)") {
            if write(directory + "/cpu.cfs_period_us", "\(Self.cpuPeriod)", limit: "cpus \(cpus)") {
                _ = write(directory + "/cpu.cfs_quota_us", "\(Self.cpuQuota(cpus))", limit: "cpus \(cpus)")
            }
        }
    }

    private mutating func makeV1(_ controller: String, membership: String, leaf: String, limit: String) -> String? {
        let mount = hierarchy + "/" + controller
        guard FileText.exists(mount + "/cgroup.procs") else {
            unenforced.append("\(limit) not enforced: the cgroup v1 \(controller) controller is not mounted at \(mount)")
            return nil
        }
        let own = Self.path(in: membership, controller: controller)
        let directory = mount + (own == "/" ? "" : own) + "/" + leaf
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            let reason = ErrorName.describe(errno)
            unenforced.append("\(limit) not enforced: cannot create cgroup \(directory): \(reason) (run the service as root or delegate a cgroup to its user)")
            return nil
        }
        directories.append(directory)
        return directory
    }

    // MARK: - v2

    private mutating func applyV2(_ spec: HelperSpec, own: String, leaf: String) {
        let parent = hierarchy + (own == "/" ? "" : own)
        let directory = parent + "/" + leaf
        let limits = [spec.requested.memoryBytes.map { "memory \(Self.bytes($0))" }, spec.requested.pids.map { "pids \($0)" }, spec.requested.cpus.map { "cpus \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            unenforced.append("\(limits) not enforced: cannot create cgroup \(directory): \(ErrorName.describe(errno)) (run the service as root or delegate a cgroup to its user)")
            return
        }
        directories.append(directory)
        // Controllers must be enabled in the parent; this fails when the parent holds processes
        // itself (the v2 "no internal processes" rule), which the messages below then report.
        let enabled = FileText.read(parent + "/cgroup.subtree_control") ?? ""
        for controller in ["memory", "pids", "cpu"] where !enabled.contains(controller) {
            try? FileText.write(parent + "/cgroup.subtree_control", "+\(controller)")
        }
        if let bytes = spec.requested.memoryBytes {
            memoryEnforced = write(directory + "/memory.max", "\(bytes)", limit: "memory \(Self.bytes(bytes))")
            if memoryEnforced && FileText.exists(directory + "/memory.swap.max") {
                _ = write(directory + "/memory.swap.max", "0", limit: "memory+swap \(Self.bytes(bytes))")
            }
            memoryDirectory = directory
        }
        if let pids = spec.requested.pids {
            pidsEnforced = write(directory + "/pids.max", "\(pids)", limit: "pids \(pids)")
            pidsDirectory = directory
        }
        if let cpus = spec.requested.cpus {
            _ = write(directory + "/cpu.max", "\(Self.cpuQuota(cpus)) \(Self.cpuPeriod)", limit: "cpus \(cpus)")
        }
    }

    // MARK: - helpers

    private mutating func write(_ path: String, _ value: String, limit: String) -> Bool {
        do {
            try FileText.write(path, value)
            return true
        } catch {
            unenforced.append("\(limit) not enforced: \(error.step): \(error.message)")
            return false
        }
    }

    /// The service's own cgroup for `controller` ("" selects the v2 `0::` line).
    static func path(in membership: String, controller: String) -> String {
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let controllers = parts[1].split(separator: ",").map(String.init)
            if controller.isEmpty ? (parts[0] == "0" && parts[1].isEmpty) : controllers.contains(controller) {
                return String(parts[2])
            }
        }
        return "/"
    }

    /// CPU time per `cpuPeriod` for `cpus` CPUs; at least 1 ms, below which the kernel refuses.
    static func cpuQuota(_ cpus: Double) -> Int {
        max(1_000, Int(cpus * Double(cpuPeriod)))
    }

    /// A memory size as people write it: the largest whole binary unit.
    static func bytes(_ value: Int64) -> String {
        if value % (1 << 30) == 0 { return "\(value >> 30) GiB" }
        if value % (1 << 20) == 0 { return "\(value >> 20) MiB" }
        if value % (1 << 10) == 0 { return "\(value >> 10) KiB" }
        return "\(value) bytes"
    }
}
