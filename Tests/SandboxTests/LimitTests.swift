import Foundation
import SlipwayTestSupport
import Testing
@testable import Sandbox

/// Resource limits and the timeout: enforced, reported, and said plainly when they cannot be.
@Suite("Limits", .tags(.medium))
struct LimitTests {
    @Test("a memory hog is killed and reported with 137")
    func memoryHog() throws {
        let run = try SandboxRun.run(.root, "dd if=/dev/zero of=/dev/null bs=200M count=1 && echo survived") {
            $0.memoryBytes = 48 << 20
        }
        #expect(run.result.status == 137)
        #expect(run.result.reason == .outOfMemory)
        #expect(run.result.message?.contains("48 MiB") == true)
        #expect(!run.stdout.contains("survived"))
    }

    @Test("the pids limit holds against a fork bomb")
    func forkBomb() throws {
        let started = Date()
        let run = try SandboxRun.run(.root, "bomb() { bomb | bomb & }; bomb; sleep 1; ps | wc -l") {
            $0.pids = 48
            $0.timeout = 4
            $0.killGracePeriod = 0.5
        }
        #expect(run.result.unenforcedLimits.isEmpty)
        #expect(Date().timeIntervalSince(started) < 10)
        let counted = run.stdout.split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        #expect(counted.allSatisfy { $0 <= 49 }, "processes seen: \(counted)")
    }

    @Test("processes beyond the pids limit cannot start")
    func pidsLimitCounted() throws {
        let run = try SandboxRun.run(.root, "i=0; while [ $i -lt 40 ]; do sleep 3 & i=$((i+1)); echo $i; done") {
            $0.pids = 16
        }
        let count = Int(run.stdout.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99
        #expect(count <= 16, "output: \(run.stdout) \(run.stderr)")
    }

    @Test("the timeout ends the tree with 124, even when TERM is ignored", arguments: SandboxRun.Mode.availableCases)
    func timeout(mode: SandboxRun.Mode) throws {
        let started = Date()
        let run = try SandboxRun.run(mode, "trap '' TERM; sleep 30 & sleep 30; echo finished") {
            $0.timeout = 0.8
            $0.killGracePeriod = 0.5
        }
        #expect(run.result.status == 124)
        #expect(run.result.reason == .timedOut)
        #expect(run.result.message?.contains("timed out") == true)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test("limits that cannot be enforced without root are reported")
    func unenforcedReported() throws {
        guard SandboxRun.Mode.unprivileged.available else { return }
        let run = try SandboxRun.run(.unprivileged, "true") {
            $0.memoryBytes = 64 << 20
            $0.cpus = 1
        }
        #expect(run.result.status == 0)
        #expect(run.result.unenforcedLimits.contains { $0.contains("memory 64 MiB") })
        #expect(run.result.unenforcedLimits.contains { $0.contains("cpus 1.0 not enforced") })
    }

    @Test("limits applied as root are enforced silently")
    func cpuLimitApplied() throws {
        let run = try SandboxRun.run(.root, "true") {
            $0.cpus = 0.5
            $0.memoryBytes = 256 << 20
            $0.pids = 100
        }
        #expect(run.result.status == 0)
        #expect(run.result.unenforcedLimits.isEmpty)
    }

    @Test("a build reaching the pids limit fails with the limit named; one that keeps forking is stopped at once")
    func pidsLimitStops() throws {
        // busybox sh gives up at the first refused fork: its own status, the limit named.
        let gaveUp = try SandboxRun.run(.root, "i=0; while [ $i -lt 10000 ]; do sleep 30 & i=$((i+1)); done; wait; echo NOT-STOPPED") {
            $0.pids = 64
        }
        #expect(gaveUp.result.reason == .limitExceeded && gaveUp.result.status != 0, "\(gaveUp.result)")
        #expect(gaveUp.result.message?.contains("the process limit of 64 was reached (pids)") == true)
        #expect(!gaveUp.stdout.contains("NOT-STOPPED"))
        // A command that shrugs off refused forks (each attempt in a subshell) is stopped by the
        // supervisor within a check interval or so, not left to run into its timeout.
        let started = Date()
        let carriedOn = try SandboxRun.run(.root, """
            i=0; while [ $i -lt 100000 ]; do (sleep 30 &) 2>/dev/null; i=$((i+1)); done; echo NOT-STOPPED
            """) {
            $0.pids = 64
        }
        #expect(carriedOn.result.reason == .limitExceeded && carriedOn.result.status == 137, "\(carriedOn.result)")
        #expect(carriedOn.result.message?.contains("the process limit of 64 was reached (pids): a fork was refused, so the sandbox was stopped") == true,
                "\(carriedOn.result.message ?? "")")
        #expect(!carriedOn.stdout.contains("NOT-STOPPED"))
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test("a full /tmp or upper layer fails the run with the limit named, even when the command carries on", arguments: SandboxRun.Mode.availableCases)
    func spaceLimits(mode: SandboxRun.Mode) throws {
        let run = try SandboxRun.run(mode, """
            dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null || echo TMP-FULL
            dd if=/dev/zero of=/fill bs=1M count=64 2>/dev/null || echo ROOT-FULL
            df -k /tmp | tail -1
            """) {
            $0.tmpSizeBytes = 16 << 20
            $0.upperSizeBytes = 24 << 20
        }
        #expect(run.stdout.contains("TMP-FULL") && run.stdout.contains("ROOT-FULL"), "\(run.stdout) \(run.stderr)")
        #expect(run.result.reason == .limitExceeded && run.result.status == 1, "\(run.result)")
        #expect(run.result.message?.contains("/tmp size limit of 16 MiB was reached (tmp-size)") == true, "\(run.result.message ?? "")")
        #expect(run.result.message?.contains("upper-layer size limit of 24 MiB") == true)
        let roomy = try SandboxRun.run(mode, "dd if=/dev/zero of=/tmp/fill bs=1M count=4 2>/dev/null && echo fine") {
            $0.tmpSizeBytes = 16 << 20
            $0.upperSizeBytes = 24 << 20
        }
        #expect(roomy.result.status == 0 && roomy.result.reason == .exited && roomy.stdout == "fine")
    }
}
