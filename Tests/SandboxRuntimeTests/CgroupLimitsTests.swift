import Glibc
import SandboxWire
import Testing
@testable import SandboxRuntime

/// The cgroup layout on an ordinary directory tree standing in for /sys/fs/cgroup: the leaf
/// directory and its control files are made in advance, as the kernel makes them on mkdir.
@Suite("Cgroup limits")
struct CgroupLimitsTests {
    static func spec(memory: Int64? = nil, pids: Int? = nil, cpus: Double? = nil) -> HelperSpec {
        var wire = WireSpec(rootfs: "/r", command: ["x"])
        wire.name = "test"
        wire.memoryBytes = memory
        wire.pids = pids
        wire.cpus = cpus
        return HelperSpec(wire, effectiveUserID: 0)
    }

    @Test("the service's own cgroup is read from /proc/self/cgroup, v2 and v1 lines")
    func membership() {
        let text = """
            12:pids:/system.slice/slipway.service
            4:cpu,cpuacct:/system.slice
            3:memory:/
            1:name=systemd:/init.scope
            0::/system.slice/slipway.service
            """
        #expect(CgroupLimits.path(in: text, controller: "") == "/system.slice/slipway.service")
        #expect(CgroupLimits.path(in: text, controller: "pids") == "/system.slice/slipway.service")
        #expect(CgroupLimits.path(in: text, controller: "cpu") == "/system.slice")
        #expect(CgroupLimits.path(in: text, controller: "memory") == "/")
        #expect(CgroupLimits.path(in: text, controller: "blkio") == "/")
        #expect(CgroupLimits.path(in: "", controller: "") == "/")
        #expect(CgroupLimits.path(in: "0::/a:b", controller: "") == "/a:b")
    }

    @Test("limit values: sizes in words, CPU quota per 100 ms period with a 1 ms floor")
    func values() {
        #expect(CgroupLimits.bytes(2 << 30) == "2 GiB")
        #expect(CgroupLimits.bytes(64 << 20) == "64 MiB")
        #expect(CgroupLimits.bytes(1536 << 10) == "1536 KiB")
        #expect(CgroupLimits.bytes(1_000_001) == "1000001 bytes")
        #expect(CgroupLimits.cpuQuota(1) == 100_000)
        #expect(CgroupLimits.cpuQuota(0.5) == 50_000)
        #expect(CgroupLimits.cpuQuota(2.25) == 225_000)
        #expect(CgroupLimits.cpuQuota(0.001) == 1_000)
        #expect(CgroupLimits.cpuQuota(1024) == 102_400_000)
    }

    @Test("OOM kills are counted from memory.events or memory.oom_control")
    func oomKillText() {
        #expect(CgroupLimits.oomKills(in: "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n") == 2)
        #expect(CgroupLimits.oomKills(in: "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n") == 0)
        #expect(CgroupLimits.oomKills(in: "") == 0)
        #expect(CgroupLimits.oomKills(in: "oom_kill lots") == 0)
    }

    @Test("nothing is created when no limit is asked for")
    func noLimits() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.file("cgroup.controllers", "memory pids cpu")
        let limits = CgroupLimits(spec: Self.spec(), hierarchy: tree.path, membership: "0::/")
        #expect(limits.version == nil && limits.directories.isEmpty && limits.unenforced.isEmpty)
        #expect(!tree.exists("slipway-test"))
    }

    @Test("v2: one leaf under the service's cgroup, controllers enabled, limits written")
    func version2() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.file("cgroup.controllers", "memory pids cpu")
        let leaf = tree.directory("service.slice/slipway-test")
        tree.file("service.slice/cgroup.subtree_control", "memory pids")
        for file in ["memory.max", "memory.swap.max", "pids.max", "cpu.max", "cgroup.procs", "memory.events"] {
            tree.file("service.slice/slipway-test/" + file)
        }
        var limits = CgroupLimits(spec: Self.spec(memory: 64 << 20, pids: 100, cpus: 1.5), hierarchy: tree.path,
                                  membership: "0::/service.slice\n")
        #expect(limits.version == .v2)
        #expect(limits.directories == [leaf])
        #expect(limits.unenforced.isEmpty, "\(limits.unenforced)")
        #expect(limits.memoryEnforced && limits.pidsEnforced)
        #expect(tree.read("service.slice/slipway-test/memory.max") == "67108864")
        #expect(tree.read("service.slice/slipway-test/memory.swap.max") == "0")
        #expect(tree.read("service.slice/slipway-test/pids.max") == "100")
        #expect(tree.read("service.slice/slipway-test/cpu.max") == "150000 100000")
        // Only the controller the parent lacks is enabled (written over the file's start here).
        #expect(tree.read("service.slice/cgroup.subtree_control")?.hasPrefix("+cpu") == true)
        limits.join(31337)
        #expect(tree.read("service.slice/slipway-test/cgroup.procs") == "31337")
        tree.file("service.slice/slipway-test/memory.events", "oom 1\noom_kill 1\n")
        #expect(limits.oomKills() == 1)
    }

    @Test("v2: limits that cannot be written are reported, not dropped")
    func version2Unwritable() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.file("cgroup.controllers", "")
        tree.directory("slipway-test")  // no control files: the controllers are not enabled
        let limits = CgroupLimits(spec: Self.spec(memory: 1 << 30, pids: 5), hierarchy: tree.path, membership: "0::/\n")
        #expect(!limits.memoryEnforced && !limits.pidsEnforced)
        #expect(limits.unenforced.count == 2)
        #expect(limits.unenforced.first?.hasPrefix("memory 1 GiB not enforced: open \(tree.path)/slipway-test/memory.max: ENOENT") == true)
        #expect(limits.unenforced.last?.hasPrefix("pids 5 not enforced: open \(tree.path)/slipway-test/pids.max: ENOENT") == true)
    }

    @Test("v2: a cgroup that cannot be created names every limit and the remedy")
    func version2NoLeaf() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.file("cgroup.controllers", "")
        let limits = CgroupLimits(spec: Self.spec(memory: 1 << 30, pids: 5, cpus: 2), hierarchy: tree.path,
                                  membership: "0::/missing/parent\n")
        #expect(limits.directories.isEmpty)
        #expect(limits.unenforced == ["memory 1 GiB, pids 5, cpus 2.0 not enforced: cannot create cgroup \(tree.path)/missing/parent/slipway-test: ENOENT (No such file or directory) (run the service as root or delegate a cgroup to its user)"])
    }

    @Test("v1: one directory per controller, memory+swap and the CFS period and quota")
    func version1() {
        let tree = Scratch()
        defer { tree.remove() }
        for controller in ["memory", "pids", "cpu"] { tree.directory(controller); tree.file(controller + "/cgroup.procs") }
        for file in ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control", "cgroup.procs"] {
            tree.directory("memory/build/slipway-test")
            tree.file("memory/build/slipway-test/" + file)
        }
        tree.directory("pids/slipway-test")
        tree.file("pids/slipway-test/pids.max")
        tree.file("pids/slipway-test/cgroup.procs")
        tree.directory("cpu/slipway-test")
        tree.file("cpu/slipway-test/cpu.cfs_period_us")
        tree.file("cpu/slipway-test/cpu.cfs_quota_us")
        tree.file("cpu/slipway-test/cgroup.procs")
        var limits = CgroupLimits(spec: Self.spec(memory: 256 << 20, pids: 64, cpus: 0.25), hierarchy: tree.path,
                                  membership: "5:memory:/build\n4:pids:/\n3:cpu,cpuacct:/\n")
        #expect(limits.version == .v1)
        #expect(limits.unenforced.isEmpty, "\(limits.unenforced)")
        #expect(limits.directories == [tree.path + "/memory/build/slipway-test", tree.path + "/pids/slipway-test", tree.path + "/cpu/slipway-test"])
        #expect(tree.read("memory/build/slipway-test/memory.limit_in_bytes") == "268435456")
        #expect(tree.read("memory/build/slipway-test/memory.memsw.limit_in_bytes") == "268435456")
        #expect(tree.read("pids/slipway-test/pids.max") == "64")
        #expect(tree.read("cpu/slipway-test/cpu.cfs_period_us") == "100000")
        #expect(tree.read("cpu/slipway-test/cpu.cfs_quota_us") == "25000")
        limits.join(77)
        for directory in ["memory/build", "pids", "cpu"] { #expect(tree.read(directory + "/slipway-test/cgroup.procs") == "77") }
        #expect(limits.oomKills() == 0)
    }

    @Test("v1: a controller that is not mounted is reported")
    func version1Unmounted() {
        let tree = Scratch()
        defer { tree.remove() }
        let limits = CgroupLimits(spec: Self.spec(pids: 3), hierarchy: tree.path, membership: "")
        #expect(limits.version == .v1 && !limits.pidsEnforced)
        #expect(limits.unenforced == ["pids 3 not enforced: the cgroup v1 pids controller is not mounted at \(tree.path)/pids"])
    }

    @Test("remove deletes the sandbox's empty cgroups")
    func remove() {
        let tree = Scratch()
        defer { tree.remove() }
        tree.file("cgroup.controllers", "")
        let limits = CgroupLimits(spec: Self.spec(pids: 3), hierarchy: tree.path, membership: "0::/\n")
        #expect(tree.exists("slipway-test"))
        limits.remove()
        #expect(!tree.exists("slipway-test"))
    }
}
