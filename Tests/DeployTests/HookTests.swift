import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.medium)) struct HookTests {
    /// A script that logs its event and environment to `log`.
    static func logger(_ log: String) -> String {
        """
        #!/bin/sh
        echo "$LIFECYCLE_EVENT id=$DEPLOYMENT_ID app=$APPLICATION_NAME group=$DEPLOYMENT_GROUP_NAME gid=$DEPLOYMENT_GROUP_ID rel=$RELEASE_PATH prev=$PREVIOUS_RELEASE_PATH" >> \(log)
        echo "hello from $LIFECYCLE_EVENT"
        """
    }

    @Test func hooksRunInCodeDeployOrderWithTheirEnvironment() throws {
        let f = try Fixture()
        let log = f.dir + "/hooks.log"
        let events = ["ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService"]
        let spec = appspec(events.map { ($0, "hook.sh") })
        let first = try f.artifact(["appspec.yml": spec, "hook.sh": Self.logger(log), "index.html": "one"])
        let r1 = f.deploy(first)
        #expect(r1.succeeded, "\(r1)")
        let id1 = try #require(r1.release)
        let log1 = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let order1 = log1.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        // A first deploy has no previous release, so no ApplicationStop.
        #expect(order1 == ["BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService"])
        #expect(log1.contains("ApplicationStart id=\(id1) app=target group=default gid="))
        #expect(log1.contains("rel=\(f.target)/releases/\(id1) prev=\n"))
        #expect(f.lines.contains("hello from ValidateService"))

        unlink(log)
        let second = try f.artifact(["appspec.yml": spec, "hook.sh": Self.logger(log), "index.html": "two"])
        let r2 = f.deploy(second)
        #expect(r2.succeeded)
        let id2 = try #require(r2.release)
        let log2 = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let order2 = log2.split(separator: "\n").map { String($0.split(separator: " ")[0]) }
        // The live release is stopped only right before the switch, after the new one installed.
        #expect(order2 == ["BeforeInstall", "AfterInstall", "ApplicationStop", "ApplicationStart", "ValidateService"])
        #expect(log2.contains("ApplicationStart id=\(id2)"))
        #expect(log2.contains("prev=\(f.target)/releases/\(id1)"))
    }

    @Test func beforeInstallRunsBeforeTheReleaseExists() throws {
        let f = try Fixture()
        let script = "#!/bin/sh\n[ -e \"$RELEASE_PATH\" ] && echo exists || echo absent\n"
        let a = try f.artifact(["appspec.yml": appspec([("BeforeInstall", "b.sh"), ("AfterInstall", "b.sh")]), "b.sh": script])
        #expect(f.deploy(a).succeeded)
        #expect(f.lines == ["absent", "exists"])
    }

    @Test func applicationStopRunsThePreviousReleasesScript() throws {
        let f = try Fixture()
        let spec = appspec([("ApplicationStop", "stop.sh")])
        let a = try f.artifact(["appspec.yml": spec, "stop.sh": "#!/bin/sh\necho stop-from-first\n"])
        let b = try f.artifact(["appspec.yml": spec, "stop.sh": "#!/bin/sh\necho stop-from-second\n"])
        #expect(f.deploy(a).succeeded)
        #expect(f.lines.isEmpty)
        #expect(f.deploy(b).succeeded)
        #expect(f.lines == ["stop-from-first"])
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let f = try Fixture()
        let pidFile = f.dir + "/child.pid"
        let script = "#!/bin/sh\nsleep 300 &\necho $! > \(pidFile)\nsleep 300\n"
        let a = try f.artifact(["appspec.yml": appspec([("AfterInstall", "slow.sh")], timeout: 1), "slow.sh": script])
        let started = Date()
        let result = f.deploy(a)
        #expect(!result.succeeded)
        #expect(result.error?.contains("ran longer than its timeout of 1 s") == true, "\(result)")
        #expect(Date().timeIntervalSince(started) < 10)
        let pid = try #require(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        #expect(throws: Never.self, "the script's background child survived the timeout") {
            try blockUntil("the script's background child to be killed", timeout: .seconds(2)) { !isRunning(pid) }
        }
        #expect(f.current == nil)
        #expect(f.history.releases[result.release ?? ""]?.state == .bad)
    }

    @Test func daemonHoldingStdoutDoesNotHang() throws {
        let f = try Fixture()
        let pidFile = f.dir + "/daemon.pid"
        let script = "#!/bin/sh\nsetsid sleep 120 &\necho $! > \(pidFile)\necho started\n"
        let a = try f.artifact(["appspec.yml": appspec([("ApplicationStart", "start.sh")]), "start.sh": script])
        let started = Date()
        let result = f.deploy(a)
        defer { if let pid = Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") { kill(pid, SIGKILL) } }
        #expect(result.succeeded, "\(result)")
        #expect(Date().timeIntervalSince(started) < 15)
        #expect(f.lines.contains("started"))
        #expect(f.log.withLock { $0.contains { $0.kind == .warning && $0.text.contains("still holds its output open") } })
    }

    @Test func failingValidateServiceSwitchesBack() throws {
        let f = try Fixture()
        let good = try f.artifact(["index.html": "good", "appspec.yml": appspec([("ValidateService", "v.sh")]), "v.sh": "#!/bin/sh\nexit 0\n"])
        let bad = try f.artifact(["index.html": "bad", "appspec.yml": appspec([("ValidateService", "v.sh")]), "v.sh": "#!/bin/sh\necho unhealthy\nexit 3\n"])
        let r1 = f.deploy(good)
        #expect(r1.succeeded)
        let r2 = f.deploy(bad)
        #expect(r2.status == "rolled-back")
        #expect(r2.hosts.first?.status == .reverted)
        #expect(r2.error?.contains("ValidateService: v.sh exited with status 3") == true)
        #expect(f.current == r1.release)
        #expect(r2.current == r1.release)
        #expect(f.read("current/index.html") == "good")
        #expect(f.history.releases[r2.release ?? ""]?.state == .bad)
    }

    @Test func missingScriptFailsAndNonExecutableIsMadeExecutable() throws {
        let f = try Fixture()
        let a = try f.artifact(["appspec.yml": appspec([("AfterInstall", "plain.txt")]), "plain.txt": "#!/bin/sh\necho ran\n"])
        #expect(f.deploy(a).succeeded)
        #expect(f.lines == ["ran"])
        let b = try f.artifact(["appspec.yml": appspec([("AfterInstall", "missing.sh")])])
        let r = f.deploy(b)
        #expect(r.error?.contains("missing.sh is missing from the bundle") == true, "\(r)")
    }
}

/// True when `pid` exists and is not a zombie (an orphan killed in a container may stay a
/// zombie when PID 1 does not reap).
func isRunning(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
