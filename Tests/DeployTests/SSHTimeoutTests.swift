import Artifacts
@testable import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// A TCP port on 127.0.0.1 that takes no connection and never answers.
final class DeadPort: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        /// The listener's accept queue is full: the kernel drops every SYN, as for a host that
        /// is down or blackholed, so `connect` hangs.
        case droppedSYN
        /// The connection is made but nothing speaks: a host that hangs before sshd answers.
        case silentServer
    }

    let port: UInt16
    private let fds: [Int32]

    init(_ kind: Kind) throws {
        let (listener, port) = try Loopback.listener(backlog: kind == .droppedSYN ? 0 : 8)
        var fds = [listener]
        if kind == .droppedSYN {
            // A backlog of 0 queues one connection; with it taken, further SYNs are dropped.
            guard let filler = Loopback.connect(port: port) else { throw SlipwayError.system("connect the filler") }
            fds.append(filler)
        }
        self.fds = fds
        self.port = UInt16(port)
    }

    deinit { fds.forEach { close($0) } }
}

@Suite(.tags(.large)) struct SSHTimeoutTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/ssh")), arguments: DeadPort.Kind.allCases)
    func deadHostFailsInBoundedTimeNamingTheHost(_ kind: DeadPort.Kind) throws {
        let f = try Fixture()
        let dead = try DeadPort(kind)
        let home = f.dir + "/home"
        let store = ArtifactStore(root: home + "/store")
        try makeDirectories(f.dir + "/src")
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: f.dir + "/src/index.html"))
        let digest = try store.pack(directory: f.dir + "/src").digest
        let env = ["SLIPWAY_HOME": home, "SLIPWAY_SSH_CONNECT_TIMEOUT": "2",
                   "SLIPWAY_SSH_COMMAND": "ssh -F /dev/null -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes"]
        let started = Date()
        let run = shell("\(slipwayBinary) deploy \(digest) --target ssh://deploy@127.0.0.1:\(dead.port)/srv/app --json", env: env)
        let elapsed = Date().timeIntervalSince(started)
        #expect(run.status == 1, "\(run.output)")
        // 2 s to connect, plus the CLI's start; far from TCP's two minutes of retries.
        #expect(elapsed < 15, "took \(elapsed) s")
        #expect(run.output.contains("ssh to deploy@127.0.0.1 port \(dead.port) failed"), "\(run.output)")
        #expect(run.output.contains("timed out"), "\(run.output)")
        #expect(run.output.contains("no answer within 2 s"), "\(run.output)")
    }
}

@Suite(.tags(.small)) struct SSHOptionTests {
    @Test func everySSHCallHasAConnectTimeoutAndKeepAlives() {
        var timeouts = SSHTimeouts(connect: 7)
        timeouts.keepAliveInterval = 4
        let session = SSHSession(destination: SSHDestination(user: "deploy", host: "example.org", port: 2222, path: "/srv/app"), timeouts: timeouts)
        let argv = session.argv("true", [])
        for option in ["BatchMode=yes", "ConnectTimeout=7", "ServerAliveInterval=4", "ServerAliveCountMax=3"] {
            #expect(argv.contains(option), "\(argv)")
        }
        #expect(SSHTimeouts().connect == 10)
        #expect(session.connectionFailure(["ssh: connect to host example.org port 2222: Connection timed out"]).message
                == "ssh to deploy@example.org port 2222 failed: ssh: connect to host example.org port 2222: Connection timed out "
                + "(no answer within 7 s; SLIPWAY_SSH_CONNECT_TIMEOUT sets how long to wait)")
    }
}
