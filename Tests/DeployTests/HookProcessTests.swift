import Artifacts
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// What a hook script gets from the process that runs it: real pipes, and no descriptors but
/// 0, 1 and 2.
@Suite(.tags(.medium)) struct HookProcessTests {
    @Test func hookCanWriteToDevStderr() throws {
        let f = try Fixture()
        // Common in real scripts; fails with "No such device or address" when stdout is a socket.
        let script = "#!/bin/sh\necho to-stderr > /dev/stderr\necho to-stdout > /dev/stdout\necho after\n"
        let a = try f.artifact(["appspec.yml": appspec([("AfterInstall", "err.sh")]), "err.sh": script])
        let result = f.deploy(a)
        #expect(result.succeeded, "\(result)")
        #expect(f.lines == ["to-stderr", "to-stdout", "after"])
    }

    @Test func daemonStartedByAHookHoldsOnlyTheStandardDescriptors() throws {
        let f = try Fixture()
        // A listening socket opened here without close-on-exec, as a library might.
        let (listener, _) = try Loopback.listener(inheritable: true)
        defer { close(listener) }
        #expect(fcntl(listener, F_GETFD) & FD_CLOEXEC == 0)
        let listenerInode = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(listener)")

        let pidFile = f.dir + "/daemon.pid"
        let script = "#!/bin/sh\nsetsid sleep 120 &\necho $! > \(pidFile)\necho started\n"
        let a = try f.artifact(["appspec.yml": appspec([("ApplicationStart", "start.sh")]), "start.sh": script])
        let result = f.deploy(a)
        let daemon = try #require(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        defer { kill(daemon, SIGKILL) }
        #expect(result.succeeded, "\(result)")

        let fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon)/fd").sorted()
        #expect(fds == ["0", "1", "2"])
        let targets = fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(daemon)/fd/\($0)") }
        #expect(!targets.contains(listenerInode), "the listening socket leaked: \(targets)")
        // The hook's stdout and stderr, which the daemon inherited, are one pipe.
        #expect(targets.count == 3 && targets[1].hasPrefix("pipe:") && targets[1] == targets[2], "\(targets)")
    }
}

@Suite(.tags(.large)) struct DeploySignalTests {
    /// Hooks run in process groups of their own, which a terminal's Ctrl-C or a `kill` of
    /// slipway does not reach; slipway passes the signal on before it dies of it.
    @Test func stoppingADeployStopsItsHook() throws {
        let f = try Fixture()
        let home = f.dir + "/home"
        let store = ArtifactStore(root: home + "/store")
        let pidFile = f.dir + "/hook.pid"
        let script = "#!/bin/sh\nsleep 300 &\necho $! > \(pidFile)\nwait\n"
        try makeDirectories(f.dir + "/src")
        try Data(appspec([("AfterInstall", "slow.sh")]).utf8).write(to: URL(fileURLWithPath: f.dir + "/src/appspec.yml"))
        try Data(script.utf8).write(to: URL(fileURLWithPath: f.dir + "/src/slow.sh"))
        chmod(f.dir + "/src/slow.sh", 0o755)
        let digest = try store.pack(directory: f.dir + "/src").digest.description

        let deploy = spawnChild([slipwayBinary, "deploy", digest, "--target", f.target], env: ["SLIPWAY_HOME": home])
        #expect(deploy > 0)
        var sleeper: pid_t?
        for _ in 0..<400 where sleeper == nil {
            sleeper = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if sleeper == nil { usleep(50_000) }
        }
        let hookChild = try #require(sleeper, "the hook never started")
        defer { kill(hookChild, SIGKILL) }
        kill(deploy, SIGTERM)
        #expect(waitChild(deploy) == 128 + SIGTERM)
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !isRunning(hookChild)
            if !gone { usleep(50_000) }
        }
        #expect(gone, "the hook's child outlived the deploy")
    }
}
