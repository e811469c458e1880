import Foundation
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// What a build must not be able to do from inside, as root and as an unprivileged user.
@Suite("Isolation", .tags(.medium))
struct IsolationTests {
    @Test("cannot see host processes", arguments: SandboxRun.Mode.availableCases)
    func hostProcessesInvisible(mode: SandboxRun.Mode) throws {
        let run = try SandboxRun.run(mode, "ls /proc | grep -E '^[0-9]+$'; test -e /proc/\(getpid())/status && echo LEAK; true")
        #expect(run.result.status == 0)
        let pids = run.stdout.split(separator: "\n").compactMap { Int($0) }
        #expect(!pids.isEmpty && pids.allSatisfy { $0 < 20 }, "pids seen: \(pids)")
        #expect(!run.stdout.contains("LEAK"))
    }

    @Test("cannot read or write host files outside its binds", arguments: SandboxRun.Mode.availableCases)
    func hostFilesOutsideBinds(mode: SandboxRun.Mode) throws {
        let outside = try BusyboxRootfs.scratch("outside"), workspace = try BusyboxRootfs.scratch("workspace")
        try outside.write("secret", "secret")
        let run = try SandboxRun.run(mode, """
            cat \(outside.path)/secret && echo READ
            mkdir -p \(outside.path) && echo pwned > \(outside.path)/pwned
            echo inside > /workspace/made-inside
            cat /etc/shadow 2>/dev/null; ls /home /root /work 2>/dev/null
            pwd
            """) { $0.workspace = workspace.path }
        #expect(!run.stdout.contains("READ") && !run.stdout.contains("secret"))
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/pwned"))
        #expect((try? String(contentsOfFile: workspace.path + "/made-inside", encoding: .utf8)) == "inside\n")
        #expect(run.stdout.hasSuffix("/workspace"))
    }

    @Test("read-only binds stay read-only", arguments: SandboxRun.Mode.availableCases)
    func readOnlyBind(mode: SandboxRun.Mode) throws {
        let cache = try BusyboxRootfs.scratch("cache")
        try cache.write("item", "cached")
        let run = try SandboxRun.run(mode, "cat /cache/item; echo x > /cache/item || echo REFUSED") {
            $0.binds = [.init(source: cache.path, destination: "/cache", readOnly: true)]
        }
        #expect(run.stdout == "cachedREFUSED")
        #expect((try? String(contentsOfFile: cache.path + "/item", encoding: .utf8)) == "cached")
    }

    @Test("cannot reach a listener on the host's 127.0.0.1 unless host networking is asked for", arguments: SandboxRun.Mode.availableCases)
    func hostLoopbackUnreachable(mode: SandboxRun.Mode) throws {
        let listener = try LoopbackListener()
        defer { listener.close() }
        let script = "timeout 2 nc 127.0.0.1 \(listener.port) </dev/null && echo CONNECTED; ip addr show lo | grep -q UP && echo LO-UP"
        let isolated = try SandboxRun.run(mode, script)
        #expect(!isolated.stdout.contains("CONNECTED"))
        #expect(isolated.stdout.contains("LO-UP"))
        #expect(!listener.hasPendingConnection())
        let shared = try SandboxRun.run(mode, script) { $0.network = .host }
        #expect(listener.hasPendingConnection(), "host networking should reach the host listener: \(shared.stdout) \(shared.stderr)")
    }

    @Test("cannot mount, mknod, load modules or change the host's hostname", arguments: SandboxRun.Mode.availableCases)
    func privilegedOperationsRefused(mode: SandboxRun.Mode) throws {
        var hostBefore = [CChar](repeating: 0, count: 256)
        gethostname(&hostBefore, 255)
        let run = try SandboxRun.run(mode, """
            mount -t tmpfs none /mnt 2>/dev/null && echo MOUNTED
            mknod /tmp/mem c 1 1 2>/dev/null && echo MKNOD
            hostname evil 2>/dev/null && echo RENAMED
            insmod /nonexistent.ko 2>/dev/null && echo INSMOD
            echo 1 > /proc/sys/kernel/sysrq 2>/dev/null && echo SYSCTL
            kill -9 1 2>/dev/null; hostname
            """)
        for word in ["MOUNTED", "MKNOD", "RENAMED", "INSMOD", "SYSCTL"] { #expect(!run.stdout.contains(word)) }
        #expect(run.stdout.hasSuffix("slipway"))
        var hostAfter = [CChar](repeating: 0, count: 256)
        gethostname(&hostAfter, 255)
        #expect(hostBefore == hostAfter)
    }

    @Test("a setuid binary grants nothing")
    func setuidGrantsNothing() throws {
        let run = try SandboxRun.run(.root, "/bin/busybox-suid grep -E '^(Uid|NoNewPrivs|CapEff)' /proc/self/status") {
            $0.uid = 1000
            $0.gid = 1000
        }
        #expect(run.stdout.contains("NoNewPrivs:\t1"), "\(run.stderr) \(run.result)")
        #expect(run.stdout.contains("Uid:\t1000\t1000\t1000\t1000"))
        #expect(run.stdout.contains("CapEff:\t0000000000000000"))
    }

    @Test("no daemon outlives the sandbox", arguments: SandboxRun.Mode.availableCases)
    func daemonsDie(mode: SandboxRun.Mode) throws {
        let marker = 1000 + Int.random(in: 1...8000)
        let run = try SandboxRun.run(mode, "setsid nohup sleep \(marker) >/dev/null 2>&1 & sleep 0.2; echo started")
        #expect(run.stdout == "started")
        #expect(HostProcesses.commandLines().allSatisfy { !$0.contains("sleep\0\(marker)") })
    }

    @Test("two sandboxes at once don't see each other's writes; the image is never modified")
    func concurrentSandboxesAndImmutableImage() throws {
        let before = RootfsSnapshot(BusyboxRootfs.root)
        let runs = try [("A", "B"), ("B", "A")].concurrentMap { mine, other in
            try SandboxRun.run(.root, """
                echo \(mine) > /etc/owner; echo \(mine) > /marker-\(mine); sleep 0.5
                cat /etc/owner; test -e /marker-\(other) && echo SAW-\(other)
                rm -rf /bin/sed /etc/passwd; chmod 700 /bin; echo x >> /bin/busybox
                """)
        }
        #expect(runs[0].stdout == "A")
        #expect(runs[1].stdout == "B")
        #expect(RootfsSnapshot(BusyboxRootfs.root) == before)
    }
}
