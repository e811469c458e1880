import Foundation
import SlipwayTestSupport
import Testing

/// A daemon that a deploy hook starts under `slipway serve` holds nothing of the service:
/// no listening socket, no epoll or event descriptors, no lock; so the service can stop and a
/// new one can take the same port while the daemon runs on.
@Suite(.tags(.large)) struct ServeDescriptorTests {
    @Test(.timeLimit(.minutes(4)))
    func hookDaemonHoldsOnlyTheStandardDescriptors() async throws {
        let site = try await HelloSitePipeline()
        defer { site.destroy() }
        let pidFile = site.root + "/daemon.pid"
        try site.edit("appspec.yml", replacing: "hooks:\n", with: "hooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 30\n")
        let script = site.repository + "/scripts/start.sh"
        try "#!/bin/sh\n# A daemon as deploy hooks start them: its own session, standard streams on /dev/null.\nsetsid sleep 300 </dev/null >/dev/null 2>&1 &\necho $! > \(pidFile)\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try site.repo.commit("Start a daemon")

        let first = try await ServeProcess.start(home: site.home.path)
        defer { first.kill9() }
        let token = try #require(first.token)
        let id = try await first.startRun(of: HelloSitePipeline.name, token: token)
        let status = try await first.finalStatus(ofRun: id, timeout: .seconds(180))
        #expect(status == "succeeded")
        let daemon = try #require(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""), "the hook wrote the daemon's pid")
        defer { kill(daemon, SIGKILL) }

        // sleep may hold a file for a moment while it starts (its locale): read until it settles.
        var fds: [String] = []
        for _ in 0..<100 {
            fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon)/fd").sorted()
            if fds == ["0", "1", "2"] { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let targets = fds.map { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(daemon)/fd/\($0)")) ?? "?" }
        #expect(fds == ["0", "1", "2"], "the daemon holds \(zip(fds, targets).map { "\($0) -> \($1)" })")

        // The service stops; a new one takes the same port while the daemon runs on.
        let (exit, _) = first.terminate()
        #expect(exit == 0)
        #expect(kill(daemon, 0) == 0, "the daemon outlives the service")
        let second = try await ServeProcess.start(home: site.home.path, arguments: ["--listen", "127.0.0.1:\(first.port)"])
        defer { second.kill9() }
        #expect(second.port == first.port)
        let port = second.port
        #expect(try await offPool { RawConnection.get("/healthz", port: port, timeout: .seconds(5)) }?.hasSuffix("ok\n") == true)
    }
}
