import CLinux
import Glibc
import SandboxWire
import Testing
@testable import SandboxRuntime

/// The supervisor's decisions: namespaces, stand-in limits, deadlines and how the end is reported.
@Suite("Supervisor")
struct SupervisorTests {
    @Test("wait statuses become shell statuses")
    func shellStatus() {
        #expect(Supervisor.shellStatus(0) == 0)
        #expect(Supervisor.shellStatus(3 << 8) == 3)
        #expect(Supervisor.shellStatus(255 << 8) == 255)
        #expect(Supervisor.shellStatus(SIGKILL) == 137)
        #expect(Supervisor.shellStatus(SIGTERM | 0x80) == 143)  // with the core-dump bit
    }

    @Test("every namespace, but the network when shared and the user namespace as root")
    func namespaceFlags() {
        let always = Int32(CL_CLONE_NEWNS | CL_CLONE_NEWPID | CL_CLONE_NEWUTS | CL_CLONE_NEWIPC | CL_CLONE_NEWCGROUP)
        #expect(Supervisor.namespaceFlags(hostNetwork: false, userNamespace: false) == always | Int32(CL_CLONE_NEWNET))
        #expect(Supervisor.namespaceFlags(hostNetwork: true, userNamespace: false) == always)
        #expect(Supervisor.namespaceFlags(hostNetwork: true, userNamespace: true) == always | Int32(CL_CLONE_NEWUSER))
        #expect(Supervisor.namespaceFlags(hostNetwork: false, userNamespace: true) == always | Int32(CL_CLONE_NEWNET | CL_CLONE_NEWUSER))
    }

    @Test("limits the cgroups could not take become rlimits, each said plainly; no core dumps ever")
    func fallbackLimits() {
        var spec = WireSpec(rootfs: "/r", command: ["x"])
        let none = Supervisor.fallbackLimits(spec, pidsEnforced: false, memoryEnforced: false)
        #expect(none.limits.map(\.resource) == [CL_RLIMIT_CORE] && none.limits[0].value == 0 && none.notes.isEmpty)
        spec.pids = 50
        spec.memoryBytes = 128 << 20
        let enforced = Supervisor.fallbackLimits(spec, pidsEnforced: true, memoryEnforced: true)
        #expect(enforced.limits.count == 1 && enforced.notes.isEmpty)
        let fallback = Supervisor.fallbackLimits(spec, pidsEnforced: false, memoryEnforced: false)
        #expect(fallback.limits.map(\.resource) == [CL_RLIMIT_CORE, CL_RLIMIT_NPROC, CL_RLIMIT_AS])
        #expect(fallback.limits.map(\.value) == [0, 50, 128 << 20])
        #expect(fallback.notes == [
            "pids 50: applied only as RLIMIT_NPROC (per process owner in the sandbox's user namespace), not as a cgroup limit",
            "memory 128 MiB: applied only as RLIMIT_AS per process (allocations fail instead of an OOM kill; the total is not capped)",
        ])
    }

    @Test("poll waits until the next deadline, rounded up and capped at an hour")
    func pollTimeout() {
        #expect(Supervisor.pollTimeout(until: nil, now: 5) == -1)
        #expect(Supervisor.pollTimeout(until: 10, now: 9.5) == 501)
        #expect(Supervisor.pollTimeout(until: 10, now: 12) == 0)
        #expect(Supervisor.pollTimeout(until: 1e12, now: 0) == 3_600_000)
        #expect(Supervisor.pollTimeout(until: .infinity, now: 0) == 3_600_000)
    }

    @Test("how the end is reported", arguments: [
        (0, nil as Supervisor.Ending?, 0, ["result 0 exited 1.5"]),
        (2, nil, 0, ["result 2 exited 1.5"]),
        (137, nil, 0, ["result 137 signaled 1.5"]),
        (1, nil, 3, ["message killed: the memory limit of 64 MiB was exceeded", "result 137 outOfMemory 1.5"]),
        (143, .timedOut, 0, ["message timed out after 30s: sent SIGTERM, then SIGKILL after 0.5s", "result 124 timedOut 1.5"]),
        (143, .cancelled, 0, ["message cancelled", "result 143 cancelled 1.5"]),
        (137, .abandoned, 0, ["message cancelled", "result 137 cancelled 1.5"]),
        (137, .processLimit, 0, ["result 137 limitExceeded 1.5"]),
    ])
    func endRecords(status: Int32, ending: Supervisor.Ending?, oomKills: Int, lines: [String]) {
        var spec = WireSpec(rootfs: "/r", command: ["x"])
        spec.memoryBytes = 64 << 20
        spec.timeout = 30
        spec.killGracePeriod = 0.5
        let records = Supervisor.endRecords(status: status, ending: ending, oomKills: oomKills, spec: spec, duration: 1.5)
        #expect(records.map { String(decoding: $0.line.dropLast(), as: UTF8.self) } == lines)
    }

    @Test("an OOM kill without a memory limit is the command's own status")
    func oomWithoutLimit() {
        let records = Supervisor.endRecords(status: 1, ending: nil, oomKills: 1, spec: WireSpec(rootfs: "/r", command: ["x"]), duration: 0)
        #expect(records == [.result(ExitRecord(status: 1, reason: .exited, duration: 0))])
    }

    @Test("refused forks are read from pids.events; full file systems are said with their limit")
    func limitTexts() {
        #expect(CgroupLimits.limitHits(in: "max 0\n") == 0)
        #expect(CgroupLimits.limitHits(in: "max 17\n") == 17)
        #expect(CgroupLimits.limitHits(in: "max.imposed 3\nmax 2\n") == 2)
        #expect(CgroupLimits.limitHits(in: "") == 0)
        #expect(Supervisor.processLimitText(4096).hasPrefix("the process limit of 4096 was reached (pids)"))
        #expect(SpaceLimits.tmpfsOptions("mode=1777", size: 1 << 30) == "mode=1777,size=1073741824")
        #expect(SpaceLimits.tmpfsOptions("mode=0700", size: nil) == "mode=0700")
        var full = statvfs()
        full.f_frsize = 4096
        full.f_bavail = 15
        #expect(SpaceLimits.isFull(full))
        full.f_bavail = 16
        #expect(!SpaceLimits.isFull(full))
    }
}
