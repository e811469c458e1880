import Foundation
import SlipwayTestSupport
import Synchronization
import Testing
@testable import Sandbox

/// The defences against a build that attacks the host kernel and its root: never host root
/// (a user namespace on the `slipway` subordinate ids, id-mapped sources), a fresh session
/// keyring, and the seccomp filter. Each test fails when its defence is taken away.
@Suite("Hardening", .tags(.medium))
struct HardeningTests {
    @Test("as root the build runs as the subordinate ids: root inside, never host uid 0")
    func neverHostRoot() throws {
        let ranges = try SubordinateIDs.forSandboxes()
        let marker = 10_000 + Int.random(in: 1...50_000)
        let lines = LockedLines()
        let running = try Sandbox.start(SandboxRun.spec(.root, "id -u; cat /proc/self/uid_map; sleep \(marker)")) { lines.append($0.text) }
        // The sleeping payload, seen from the host: its real uid.
        var hostUID: UInt32?
        do {
            try blockUntil("the payload shows up on the host", timeout: .seconds(10)) {
                hostUID = HostProcesses.pids(commandLine: "sleep\0\(marker)").lazy.compactMap(HostProcesses.uid(of:)).first
                return hostUID != nil
            }
        } catch {
            running.cancel()
            _ = try? running.wait()
            throw error
        }
        #expect(hostUID == ranges.uids.start, "host uid of the build: \(hostUID.map(String.init) ?? "none")")
        running.cancel()
        _ = try running.wait()
        let output = lines.all
        #expect(output.first == "0")
        let map = output.dropFirst().first?.split(separator: " ").map(String.init) ?? []
        #expect(map == ["0", "\(ranges.uids.start)", "\(ranges.uids.count)"], "uid_map inside: \(output)")
    }

    @Test("files the build writes into the workspace come out owned as written inside: uid 0 is host uid 0, the ids the artifact rules use")
    func workspaceOwnership() throws {
        let workspace = try BusyboxRootfs.scratch("owners")
        try workspace.write("given", "from the host")
        let run = try SandboxRun.run(.root, """
            echo made > /workspace/made && mkdir /workspace/dir && echo x > /workspace/dir/inner
            cat /workspace/given && ls -ln /workspace/given
            """) { $0.workspace = workspace.path }
        #expect(run.result.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("from the host"))
        // Host files appear with their own owner inside (root), not as the overflow id.
        #expect(run.stdout.contains(" 0 ") && !run.stdout.contains("65534"), "\(run.stdout)")
        // A build running as another user inside writes as that id on the host, as tar records it.
        let user = try SandboxRun.run(.root, "echo mine > /workspace/by-user; id -u") {
            $0.workspace = workspace.path
            $0.uid = 1000
            $0.gid = 1000
        }
        #expect(user.result.status == 0 && user.stdout == "1000", "\(user.stdout) \(user.stderr)")
        for (path, owner) in [("made", 0), ("dir", 0), ("dir/inner", 0), ("by-user", 1000)] {
            var info = stat()
            #expect(lstat(workspace.path + "/" + path, &info) == 0)
            #expect(info.st_uid == UInt32(owner) && info.st_gid == UInt32(owner), "\(path): \(info.st_uid):\(info.st_gid)")
        }
    }

    @Test("the host's keys are out of reach, even without the seccomp filter: root's user keyring, the starter's session keyring",
          arguments: SandboxRun.Mode.availableCases)
    func hostKeyringInvisible(mode: SandboxRun.Mode) throws {
        let tools = try HostTools()
        let name = "slipway-probe-\(UInt32.random(in: 1...UInt32.max))"
        let secret = "secret-\(UUID().uuidString)"
        // As root: one key in root's user keyring (every root process reaches it through @u).
        var userKey: String?
        if mode == .root {
            let user = try Program.run(tools.keyctl, ["add", "user", name, secret, "@u"])
            #expect(user.succeeded, "\(user)")
            userKey = user.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try Program.run(tools.keyctl, ["print", userKey!]).stdout.contains(secret), "the probe must work for host root")
        }
        defer { if let userKey { _ = try? Program.run(tools.keyctl, ["unlink", userKey, "@u"]) } }
        // One in the session keyring of the process that starts the sandbox, as a service started
        // with a session keyring (systemd's KeyringMode=private) holds one: the launcher joins a
        // fresh session, adds the key, writes its id and becomes the helper.
        let scratch = try BusyboxRootfs.scratch("keyring")
        let idFile = scratch.path + "/session-key"
        let launcher = mode.launcher + [tools.keyctl, "session", "-", "/bin/sh", "-c",
                                        "printf %s '\(secret)' | \(tools.keyctl) padd user '\(name)-s' @s > '\(idFile)' && exec \"$@\"", "launcher"]
        var spec = SandboxRun.spec(mode, """
            K='\(tools.inside)'
            $K print \(userKey ?? "@u"); $K search @u user \(name); $K print "$(cat /probe/session-key)"; $K search @s user \(name)-s
            $K show @s; $K show @u; cat /proc/keys; echo DONE
            """)
        spec.binds = [tools.bind, SandboxSpec.Bind(source: scratch.path, destination: "/probe", readOnly: true)]
        spec.seccomp = .unconfined
        let run = try SandboxRun.run(spec, launcher: launcher)
        let sessionKey = (try? String(contentsOfFile: idFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        #expect(Int(sessionKey) != nil, "the launcher added no session key: \(run.stderr)")
        #expect(run.stdout.hasSuffix("DONE"), "\(run.stdout) \(run.stderr)")
        #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret), "a host key was read inside: \(run.stdout)")
        // Unprivileged, the build is the starter's own uid: the kernel lets an owner see its keys'
        // names in /proc/keys (never their contents). As root nothing of root's is even listed.
        if mode == .root { #expect(!run.stdout.contains(name), "a host key is visible inside: \(run.stdout)") }
    }

    @Test("keyctl and unshare -U fail inside with EPERM; clone and unshare without namespaces work", arguments: SandboxRun.Mode.availableCases)
    func seccompDenies(mode: SandboxRun.Mode) throws {
        let tools = try HostTools()
        let script = """
            K='\(tools.inside)'
            $K add user probe value @s >/dev/null && echo KEY-ADDED
            unshare -U true && echo USERNS
            unshare -m true && echo MOUNTNS
            ( true ) && echo FORKED
            $K show @s >/dev/null 2>&1 || echo KEYCTL-REFUSED
            """
        let confined = try SandboxRun.run(mode, script) { $0.binds = [tools.bind] }
        #expect(!confined.stdout.contains("KEY-ADDED") && !confined.stdout.contains("USERNS") && !confined.stdout.contains("MOUNTNS"),
                "\(confined.stdout)")
        #expect(confined.stdout.contains("FORKED") && confined.stdout.contains("KEYCTL-REFUSED"))
        #expect(confined.stderr.contains("Operation not permitted"), "\(confined.stderr)")
        // Without the filter the same calls succeed: the filter is what refuses them.
        let unconfined = try SandboxRun.run(mode, script) {
            $0.binds = [tools.bind]
            $0.seccomp = .unconfined
        }
        #expect(unconfined.stdout.contains("USERNS") && unconfined.stdout.contains("KEY-ADDED"), "\(unconfined.stdout) \(unconfined.stderr)")
    }

    @Test("personality changes other than the usual ones are refused")
    func personalityRefused() throws {
        let tools = try HostTools()
        let run = try SandboxRun.run(.root, """
            linux32 true && echo LINUX32
            \(tools.inside.replacingOccurrences(of: "keyctl", with: "setarch")) x86_64 -R true && echo NORANDOM
            """) { $0.binds = [tools.bind] }
        #expect(run.stdout.contains("LINUX32") && !run.stdout.contains("NORANDOM"), "\(run.stdout) \(run.stderr)")
    }

    @Test("where the sources cannot be id-mapped, the build runs as host uid 0 without capabilities, and says so")
    func idmapFallback() throws {
        // ramfs cannot be id-mapped: a rootfs on it takes the fallback for real.
        let mountPoint = try TemporaryDirectory("slipway-ramfs")
        let mounted = try Program.run("/bin/mount", ["-t", "ramfs", "ramfs", mountPoint.path])
        try #require(mounted.succeeded, "\(mounted)")
        defer { _ = try? Program.run("/bin/umount", ["-l", mountPoint.path]) }
        let rootfs = mountPoint.path + "/rootfs"
        #expect(BusyboxRootfs.shell("cp -a '\(BusyboxRootfs.root)' '\(rootfs)'") == 0)
        let workspace = try BusyboxRootfs.scratch("fallback")
        var spec = SandboxRun.spec(.root, "cat /proc/self/uid_map; echo made > /workspace/made; grep CapEff /proc/self/status; unshare -U true || echo REFUSED")
        spec.rootfs = rootfs
        spec.workspace = workspace.path
        let run = try SandboxRun.run(spec)
        #expect(run.result.status == 0, "\(run.stderr)")
        #expect(run.result.unenforcedLimits.contains { $0.contains("user namespace not used") && $0.contains("rootfs") },
                "\(run.result.unenforcedLimits)")
        #expect(run.stdout.contains("4294967295") && run.stdout.contains("CapEff:\t0000000000000000") && run.stdout.contains("REFUSED"))
        #expect(FileManager.default.fileExists(atPath: workspace.path + "/made"))
    }
}

/// Host programs run inside the busybox sandbox: the host's /usr bound read-only at /host/usr
/// and started through its dynamic loader (busybox has no keyctl or setarch of its own).
struct HostTools {
    let keyctl = "/usr/bin/keyctl"
    let bind = SandboxSpec.Bind(source: "/usr", destination: "/host/usr", readOnly: true)
    /// The command line that runs the host's keyctl inside.
    let inside: String

    init() throws {
        guard access(keyctl, X_OK) == 0 else { throw TestFailure("keyctl is missing: install keyutils (scripts/install-deps)") }
        let libraries = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib")) ?? []
        guard let triple = libraries.first(where: { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/" + directory)) ?? []).contains { $0.hasPrefix("ld-linux") }
        }), let loader = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/" + triple).first(where: { $0.hasPrefix("ld-linux") }) else {
            throw TestFailure("no dynamic loader under /usr/lib/*/")
        }
        inside = "/host/usr/lib/\(triple)/\(loader) --library-path /host/usr/lib/\(triple) /host/usr/bin/keyctl"
    }
}

/// Output lines collected from the sandbox's thread.
final class LockedLines: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

extension HostProcesses {
    /// Processes whose command line contains `commandLine`.
    static func pids(commandLine: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            FileManager.default.contents(atPath: "/proc/\(pid)/cmdline").map { String(decoding: $0, as: UTF8.self).contains(commandLine) } ?? false
        }
    }

    /// The real uid of a process as the host sees it.
    static func uid(of pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }
        return line?.split(separator: "\t").dropFirst().first.flatMap { UInt32($0) }
    }
}
