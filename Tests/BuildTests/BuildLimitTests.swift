import Archive
import Artifacts
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Specs
import Testing
@testable import Build

/// Every build gets limits by default; a build that runs into one fails with the limit named,
/// and the limits and seccomp setting are recorded in its result.
@Suite("Build limits", .tags(.large), .serialized)
struct BuildLimitTests {
    @Test("the defaults are recorded and logged: 4 GiB, 4096 processes, 90% of the CPUs, 1 GiB /tmp, 2 GiB upper layer, seccomp on")
    func defaultsRecorded() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - cat /sys/fs/cgroup/pids/pids.max 2>/dev/null; true\n")
        let result = try f.build()
        #expect(result.status == .succeeded, "\(f.log(result))")
        let isolation = try #require(result.isolation)
        #expect(isolation.memoryBytes == 4 << 30 && isolation.pids == 4096 && isolation.tmpSizeBytes == 1 << 30)
        #expect(isolation.upperSizeBytes == 2 << 30 && isolation.seccomp == "default")
        #expect(isolation.cpus == BuildIsolation.Defaults.cpus && isolation.unenforced.isEmpty, "\(isolation.unenforced)")
        #expect((isolation.hostUID ?? 0) >= 100_000, "root inside must not be host root")
        #expect(f.log(result).contains("Sandbox: memory 4 GiB, pids 4096, cpus "), "\(f.log(result))")
        #expect(BuildIsolation.Defaults.cpus(online: 2) == 1.8 && BuildIsolation.Defaults.cpus(online: 1) == 1
                && BuildIsolation.Defaults.cpus(online: 16) == 14.4)
    }

    /// A build that runs into a limit: its commands, the limits it is given (the defaults where
    /// nil), the memory limit recorded, what its failure says, and what it never gets to print.
    struct LimitRun: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var commands: [String]
        var limits: BuildLimits?
        var memoryBytes: Int64
        var message: [String]
        var neverPrinted: String?
    }

    static let limitRuns = [
        LimitRun(testDescription: "a build starting 10,000 processes is stopped at the default process limit, which its failure names",
                 commands: ["i=0; while [ $i -lt 10000 ]; do sleep 300 & i=$((i+1)); done; wait", "echo NOT-STOPPED"],
                 memoryBytes: 4 << 30, message: ["the process limit of 4096 was reached"], neverPrinted: "NOT-STOPPED"),
        LimitRun(testDescription: "a build writing 8 GB to /tmp is stopped by the default /tmp size, which its failure names",
                 commands: ["dd if=/dev/zero of=/tmp/fill bs=1M count=8192"],
                 memoryBytes: 4 << 30, message: ["/tmp size limit of 1 GiB was reached"]),
        LimitRun(testDescription: "a build past its memory limit is killed, and its failure names the limit and the setting to raise",
                 commands: ["dd if=/dev/zero of=/dev/null bs=200M count=1", "echo SURVIVED"], limits: BuildLimits(memory: .limit(64 << 20)),
                 memoryBytes: 64 << 20, message: ["the memory limit of 64 MiB was exceeded", "build.limits.memory"], neverPrinted: "SURVIVED"),
    ]

    @Test(arguments: limitRuns)
    func limitStopsTheBuild(_ run: LimitRun) throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n" + run.commands.map { "      - \($0)\n" }.joined())
        let started = Date()
        let result = try f.build {
            if let limits = run.limits { $0.limits = limits }
            $0.timeout = 120
            $0.useResultCache = false
        }
        #expect(result.status == .failed && result.isolation?.memoryBytes == run.memoryBytes)
        for part in run.message { #expect(result.message?.contains(part) == true, "\(result.message ?? "")") }
        if let neverPrinted = run.neverPrinted { #expect(!f.log(result).contains(neverPrinted)) }
        #expect(Date().timeIntervalSince(started) < 100, "stopped well before the build's own timeout")
    }

    @Test("a build that fills /tmp but carries on still fails, with the limit named; flags lift and lower limits")
    func limitReachedFailsEvenWhenTheCommandCarriesOn() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - dd if=/dev/zero of=/tmp/fill bs=1M count=64 || true
                - dd if=/dev/zero of=/root/fill bs=1M count=64 || true
            """)
        let result = try f.build {
            $0.limits = BuildLimits(tmpSize: .limit(16 << 20), upperSize: .limit(24 << 20))
            $0.useResultCache = false
        }
        #expect(result.status == .failed)
        #expect(result.message?.contains("/tmp size limit of 16 MiB") == true, "\(result.message ?? "")")
        #expect(result.message?.contains("upper-layer size limit of 24 MiB") == true, "\(result.message ?? "")")
        let unlimited = try f.build {
            $0.limits = BuildLimits(memory: .unlimited, pids: .unlimited, cpus: .unlimited, tmpSize: .unlimited, upperSize: .unlimited)
            $0.useResultCache = false
        }
        #expect(unlimited.status == .succeeded, "\(f.log(unlimited))")
        #expect(unlimited.isolation?.pids == nil && unlimited.isolation?.memoryBytes == nil)
    }

    @Test("seccomp: unconfined is recorded in the result and the log, and lets the build create namespaces")
    func seccompOptOutRecorded() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - unshare -U true && echo NESTED-OK\n")
        let confined = try f.build { $0.useResultCache = false }
        #expect(confined.status == .failed && confined.isolation?.seccomp == "default")
        let unconfined = try f.build {
            $0.seccomp = .unconfined
            $0.useResultCache = false
        }
        #expect(unconfined.status == .succeeded, "\(f.log(unconfined))")
        #expect(unconfined.isolation?.seccomp == "unconfined")
        #expect(f.log(unconfined).contains("seccomp unconfined") && f.log(unconfined).contains("NESTED-OK"))
    }

    @Test("outputs written into the workspace are owned by root on the host, as the artifact rules record them")
    func workspaceOwnership() throws {
        let f = try BuildFixture(phases: """
            build:
              commands:
                - mkdir -p out && echo built > out/result.txt && id -u > out/uid.txt
            """, after: """
            artifacts:
              files: [ 'out/*' ]
            """)
        let result = try f.build {
            $0.keepWorkspace = true
            $0.useResultCache = false
        }
        #expect(result.status == .succeeded, "\(f.log(result))")
        let workspace = (result.logPath as NSString).deletingLastPathComponent + "/src"
        for path in ["out", "out/result.txt", "out/uid.txt"] {
            var info = stat()
            #expect(lstat(workspace + "/" + path, &info) == 0)
            #expect(info.st_uid == 0 && info.st_gid == 0, "\(path) is \(info.st_uid):\(info.st_gid)")
        }
        #expect((try? String(contentsOfFile: workspace + "/out/uid.txt", encoding: .utf8)) == "0\n")
        // The artifact's entries: uid and gid 0, whatever the build's host ids were.
        let artifact = try #require(result.artifacts.first)
        let reader = try TarReader(path: ArtifactStore(home: f.home).blobPath(artifact.digest))
        var owners: [String: (Int64, Int64)] = [:]
        while let entry = try reader.next() { owners[entry.path] = (entry.uid, entry.gid) }
        #expect(!owners.isEmpty && owners.values.allSatisfy { $0 == (0, 0) }, "\(owners)")
    }
}

/// `slipway build`'s limit flags.
@Suite("slipway build limit flags", .tags(.large), .serialized)
struct BuildLimitFlagTests {
    @Test(.enabled(if: SlipwayCommand.isBuilt))
    func flagsReachTheSandboxAndBadValuesAreRefused() throws {
        let f = try BuildFixture(buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - dd if=/dev/zero of=/tmp/f bs=1M count=8\n")
        let image = try BusyboxImage.record().rootfs
        let cli = SlipwayCommand(home: f.home.path)
        let bad = try cli.run(["build", f.source, "--image", image, "--pids", "0"])
        #expect(bad.status == 2 && bad.stderr.contains("--pids wants a number of processes (1 or more) or unlimited, got '0'"), "\(bad)")
        let small = try cli.run(["build", f.source, "--image", image, "--tmp-size", "4M", "--no-cache", "--json"])
        #expect(small.status == 1 && small.stdout.contains("/tmp size limit of 4 MiB"), "\(small)")
        let lifted = try cli.run(["build", f.source, "--image", image, "--tmp-size", "unlimited", "--seccomp", "unconfined", "--no-cache", "--json"])
        #expect(lifted.status == 0, "\(lifted)")
        #expect(lifted.stdout.contains("\"seccomp\" : \"unconfined\""), "\(lifted.stdout)")
    }
}
