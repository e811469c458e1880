import CLinux
import Glibc
import SandboxWire
import Testing
@testable import SandboxRuntime

/// Where mounts go and with which options, checked without mounting anything.
@Suite("Mount planning")
struct MountPlanTests {
    @Test("mount targets are split into names; '..' is refused")
    func components() throws {
        #expect(try MountTarget.components(of: "/workspace") == ["workspace"])
        #expect(try MountTarget.components(of: "//a/./b//c/") == ["a", "b", "c"])
        #expect(try MountTarget.components(of: "/") == [])
        #expect(throws: SetupFailure.self) { try MountTarget.components(of: "/a/../etc") }
        do {
            _ = try MountTarget.components(of: "/x/..")
        } catch {
            #expect(error.step == "mount target /x/.." && error.message == "'..' is not allowed")
        }
    }

    @Test("a symlink in the image resolves inside the root: a bind target never lands on a host path")
    func symlinksStayInside() throws {
        let root = Scratch()
        let host = Scratch()
        defer { root.remove(); host.remove() }
        root.directory("etc")
        root.directory(String(host.path.dropFirst()))  // where the absolute link leads inside the root
        symlink(host.path, root.path + "/escape")          // absolute, pointing at a host directory
        symlink("../../../../../..", root.path + "/up")    // relative, climbing past the root
        let rootFd = open(root.path, CL_O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(rootFd) }
        let targets = MountTarget(root: rootFd)
        close(try targets.open("/escape/made"))
        close(try targets.open("/up/tmp/file", kind: .file))
        #expect(!host.exists("made"))
        #expect(root.exists(String(host.path.dropFirst()) + "/made"), "the absolute link resolved inside the root")
        #expect(root.exists("tmp/file"))
        let existing = try targets.openExisting("/etc")
        close(existing)
        #expect(throws: SetupFailure.self) { try targets.openExisting("/nonexistent") }
    }

    @Test("a file bind target is created as an empty file, parents as directories")
    func fileTarget() throws {
        let root = Scratch()
        defer { root.remove() }
        let rootFd = open(root.path, CL_O_PATH | O_DIRECTORY | O_CLOEXEC)
        defer { close(rootFd) }
        let fd = try MountTarget(root: rootFd).open("/etc/resolv.conf", kind: .file)
        close(fd)
        var info = stat()
        #expect(stat(root.path + "/etc", &info) == 0 && info.st_mode & S_IFMT == S_IFDIR)
        #expect(stat(root.path + "/etc/resolv.conf", &info) == 0 && info.st_mode & S_IFMT == S_IFREG && info.st_size == 0)
        #expect(MountTarget.procPath(7) == "/proc/self/fd/7")
    }

    @Test("overlay options go through /proc/self/fd and add userxattr in a user namespace")
    func overlayOptions() {
        #expect(RootFilesystem.overlayOptions(lower: "/proc/self/fd/5", base: "/tmp", userNamespace: false)
            == "lowerdir=/proc/self/fd/5,upperdir=/tmp/upper,workdir=/tmp/work")
        #expect(RootFilesystem.overlayOptions(lower: "/proc/self/fd/5", base: "/proc/self/fd/9", userNamespace: true)
            == "lowerdir=/proc/self/fd/5,upperdir=/proc/self/fd/9/upper,workdir=/proc/self/fd/9/work,userxattr")
    }

    @Test("remounts add nosuid,nodev and keep the flags the kernel locks")
    func remountFlags() {
        let base = UInt(MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV)
        #expect(RootFilesystem.remountFlags(mounted: 0, readOnly: false) == base)
        #expect(RootFilesystem.remountFlags(mounted: 0, readOnly: true) == base | UInt(MS_RDONLY))
        #expect(RootFilesystem.remountFlags(mounted: UInt(CL_ST_RDONLY), readOnly: false) == base | UInt(MS_RDONLY))
        let locked = UInt(CL_ST_NOEXEC | CL_ST_NOATIME | CL_ST_NODIRATIME | CL_ST_RELATIME)
        #expect(RootFilesystem.remountFlags(mounted: locked, readOnly: false)
            == base | UInt(MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME))
    }

    @Test("/proc masks apply only without a user namespace")
    func procMasks() {
        let masks = ProcFilesystem.masks(userNamespace: false)
        for path in ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs"] { #expect(masks.readOnly.contains(path)) }
        for path in ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats"] {
            #expect(masks.hidden.contains(path))
        }
        #expect(Set(masks.readOnly).isDisjoint(with: masks.hidden))
        let none = ProcFilesystem.masks(userNamespace: true)
        #expect(none.readOnly.isEmpty && none.hidden.isEmpty)
    }

    @Test("/dev holds harmless devices, the usual links, and its own devpts")
    func devices() {
        #expect(DeviceDirectory.devices == ["null", "zero", "full", "random", "urandom", "tty"])
        #expect(!DeviceDirectory.devices.contains { ["mem", "kmem", "port", "sda"].contains($0) })
        #expect(DeviceDirectory.links.map(\.0) == ["fd", "stdin", "stdout", "stderr", "ptmx"])
        #expect(DeviceDirectory.links.first { $0.0 == "ptmx" }?.1 == "pts/ptmx")
        #expect(DeviceDirectory.ptsOptions(userNamespace: false) == "newinstance,ptmxmode=0666,mode=0620,gid=5")
        #expect(DeviceDirectory.ptsOptions(userNamespace: true) == "newinstance,ptmxmode=0666,mode=0620")
    }

    @Test("identity maps put root inside onto the caller, setgroups denied before the gid map")
    func identityMaps() throws {
        #expect(IdentityMap.files(.caller, uid: 1000, gid: 100).map(\.file) == ["uid_map", "setgroups", "gid_map"])
        #expect(IdentityMap.files(.caller, uid: 1000, gid: 100).map(\.text) == ["0 1000 1\n", "deny", "0 100 1\n"])
        let proc = Scratch()
        defer { proc.remove() }
        for file in ["uid_map", "setgroups", "gid_map"] { proc.file(file) }
        try IdentityMap.write(into: proc.path, files: IdentityMap.files(.caller, uid: 65534, gid: 65534))
        #expect(proc.read("uid_map") == "0 65534 1\n" && proc.read("setgroups") == "deny" && proc.read("gid_map") == "0 65534 1\n")
        #expect(throws: SetupFailure.self) {
            try IdentityMap.write(into: proc.path + "/absent", files: IdentityMap.files(.caller, uid: 0, gid: 0))
        }
    }

    @Test("as root, ids 0... inside map onto the subordinate ranges; setgroups stays allowed; no maps without a user namespace")
    func subordinateMaps() {
        let identity = HelperSpec.Identity.subordinate(uids: .init(start: 100_000, count: 65_536), gids: .init(start: 200_000, count: 65_536))
        let files = IdentityMap.files(identity, uid: 0, gid: 0)
        #expect(files.map(\.file) == ["uid_map", "gid_map"])
        #expect(files.map(\.text) == ["0 100000 65536\n", "0 200000 65536\n"])
        #expect(IdentityMap.files(.host, uid: 0, gid: 0).isEmpty)
    }
}
