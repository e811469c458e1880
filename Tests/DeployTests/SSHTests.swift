import Artifacts
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// A real sshd on 127.0.0.1 with a throwaway host key and client key.
final class LoopbackSSHD: Sendable {
    let dir: String
    let port: Int
    let pid: pid_t
    /// What to put in SLIPWAY_SSH_COMMAND.
    let sshCommand: String

    init(dir: String) throws {
        self.dir = dir
        try makeDirectories(dir)
        try makeDirectories("/run/sshd", mode: 0o755)
        for key in ["host_key", "client_key"] where !FileManager.default.fileExists(atPath: "\(dir)/\(key)") {
            let r = shell("ssh-keygen -q -t ed25519 -N '' -f \(dir)/\(key)")
            guard r.status == 0 else { throw SlipwayError.failed("ssh-keygen: \(r.output)") }
        }
        try FileManager.default.copyItem(atPath: "\(dir)/client_key.pub", toPath: "\(dir)/authorized_keys")
        var started: (pid_t, Int)?
        for _ in 0..<5 where started == nil {
            let port = Int.random(in: 30000...60000)
            let config = """
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(dir)/host_key
                PidFile \(dir)/sshd.pid
                AuthorizedKeysFile \(dir)/authorized_keys
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                PrintMotd no
                PrintLastLog no
                """
            try Data(config.utf8).write(to: URL(fileURLWithPath: "\(dir)/sshd_config"))
            let pid = spawnChild(["/usr/sbin/sshd", "-D", "-e", "-f", "\(dir)/sshd_config"], output: "\(dir)/sshd.log")
            var alive = true
            for _ in 0..<100 {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { alive = false; break }
                if Loopback.acceptsConnections(port: port) { break }
                usleep(50_000)
            }
            if alive { started = (pid, port) }
        }
        guard let (pid, port) = started else { throw SlipwayError.failed("sshd did not start") }
        self.pid = pid
        self.port = port
        let hostKey = try String(contentsOfFile: "\(dir)/host_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try Data("[127.0.0.1]:\(port) \(hostKey)\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/known_hosts"))
        sshCommand = "ssh -F /dev/null -i \(dir)/client_key -o IdentitiesOnly=yes -o UserKnownHostsFile=\(dir)/known_hosts -o StrictHostKeyChecking=yes"
    }

    func stop() {
        kill(pid, SIGTERM)
        _ = waitChild(pid)
    }
}

@Suite(.tags(.large)) struct SSHTests {
    /// An unprivileged account with /bin/sh as its shell (root's login shell may load slow
    /// rc files on every command, and deploying as a plain user is the common case).
    static let user = "slipway-ssh-test"

    static func ensureUser() throws {
        // A password of `*` (not `!`): sshd without PAM refuses locked accounts even for keys.
        if getpwnam(user) != nil { return }
        let r = shell("useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh --password '*' \(user)")
        guard r.status == 0 || getpwnam(user) != nil else { throw SlipwayError.failed("useradd: \(r.output)") }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd")))
    func threeHostsOneFailsItsHealthCheck() throws {
        try Self.ensureUser()
        let f = try Fixture()
        chmod(f.dir, 0o755)
        let sshd = try LoopbackSSHD(dir: f.dir + "/sshd")
        defer { sshd.stop() }
        let home = f.dir + "/home"
        let store = ArtifactStore(root: home + "/store")
        func pack(_ version: String) throws -> String {
            let source = f.dir + "/ssh-src-" + version
            try makeDirectories(source + "/app/scripts")
            try Data("\(version)\n".utf8).write(to: URL(fileURLWithPath: source + "/app/index.html"))
            let start = "#!/bin/sh\necho \"$LIFECYCLE_EVENT $DEPLOYMENT_ID $RELEASE_PATH\" >> \"$RELEASE_PATH/../../hooks.log\"\necho started \(version)\n"
            try Data(start.utf8).write(to: URL(fileURLWithPath: source + "/app/scripts/start.sh"))
            chmod(source + "/app/scripts/start.sh", 0o755)
            // Single top folder rule: the bundle's root is app/.
            try Data(appspec([("AfterInstall", "scripts/start.sh"), ("ApplicationStart", "scripts/start.sh")]).utf8)
                .write(to: URL(fileURLWithPath: source + "/app/appspec.yml"))
            return try store.pack(directory: source).digest.description
        }
        let v1 = try pack("v1"), v2 = try pack("v2")
        let roots = ["a", "b", "c"].map { f.dir + "/host-" + $0 }
        for root in roots {
            try makeDirectories(root)
            let pw = getpwnam(Self.user)!.pointee
            chown(root, pw.pw_uid, pw.pw_gid)
        }
        let targets = roots.flatMap { ["--target", "ssh://\(Self.user)@127.0.0.1:\(sshd.port)\($0)"] }
        let env = ["SLIPWAY_HOME": home, "SLIPWAY_SSH_COMMAND": sshd.sshCommand]
        let health = "--health-cmd 'test ! -e \"$RELEASE_PATH/../../FAIL\" || { echo b unhealthy; exit 1; }' --health-timeout 1"

        let first = shell("\(slipwayBinary) deploy \(v1) \(targets.joined(separator: " ")) --batch half --json \(health)", env: env)
        #expect(first.status == 0, "\(first.output)")
        let firstResult = try decode(first.output)
        #expect(firstResult.hosts.map(\.status) == [.live, .live, .live])
        let id1 = try #require(firstResult.release)
        for root in roots {
            #expect((try? String(contentsOfFile: root + "/current/index.html", encoding: .utf8)) == "v1\n")
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/current")) == "releases/\(id1)")
            let log = (try? String(contentsOfFile: root + "/hooks.log", encoding: .utf8)) ?? ""
            #expect(log.contains("ApplicationStart \(id1) \(root)/releases/\(id1)"))
        }

        // Host b now fails its health check: a switched, b switched and failed, both go back; c never switches.
        FileManager.default.createFile(atPath: roots[1] + "/FAIL", contents: Data())
        let second = shell("\(slipwayBinary) deploy \(v2) \(targets.joined(separator: " ")) --batch one --json \(health)", env: env)
        #expect(second.status == 1, "\(second.output)")
        let result = try decode(second.output)
        #expect(result.status == "rolled-back")
        #expect(result.hosts.map(\.status) == [.reverted, .reverted, .notSwitched])
        #expect(result.hosts.allSatisfy { $0.current == id1 })
        #expect(result.error?.contains("health check failed") == true)
        // Said once: the host's name, the command, what it printed.
        let error = result.error ?? ""
        #expect(error.hasPrefix("\(Self.user)@127.0.0.1: health check failed: `test ! -e"), "\(error)")
        #expect(error.components(separatedBy: "127.0.0.1").count == 2 && error.components(separatedBy: "test ! -e").count == 2, "\(error)")
        #expect(error.contains("exited with status 1: b unhealthy"), "\(error)")
        for root in roots {
            #expect((try? String(contentsOfFile: root + "/current/index.html", encoding: .utf8)) == "v1\n")
        }

        // Releases over SSH, and a one-command rollback after a good deploy.
        unlink(roots[1] + "/FAIL")
        let third = shell("\(slipwayBinary) deploy \(v2) \(targets[0]) \(targets[1]) --json", env: env)
        #expect(third.status == 0, "\(third.output)")
        let list = shell("\(slipwayBinary) releases --target \(targets[1]) --json", env: env)
        #expect(list.status == 0 && list.output.contains("\"state\" : \"bad\"") && list.output.contains("\"current\" : true"), "\(list.output)")
        let back = shell("\(slipwayBinary) rollback --target \(targets[1]) --json", env: env)
        #expect(back.status == 0, "\(back.output)")
        #expect((try? String(contentsOfFile: roots[0] + "/current/index.html", encoding: .utf8)) == "v1\n")
        // No remote lock is left behind.
        #expect(shell("flock -n \(roots[0])/.slipway/lock true").status == 0)
    }

    func decode(_ output: String) throws -> DeployResult {
        let start = try #require(output.firstIndex(of: "{"))
        return try JSONDecoder().decode(DeployResult.self, from: Data(output[start...].utf8))
    }
}
