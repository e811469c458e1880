import Artifacts
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.large)) struct CrashTests {
    /// kill -9 of the real binary at random moments (unpack, hooks, switch, prune): `current`
    /// always names a complete release, no lock blocks the next deploy, and it succeeds.
    @Test func killNineAtRandomMoments() throws {
        let f = try Fixture()
        let home = f.dir + "/home"
        let store = ArtifactStore(root: home + "/store")
        var artifacts: [(digest: String, marker: String)] = []
        for i in 0..<3 {
            let source = f.dir + "/crash-src-\(i)"
            for d in 0..<20 {
                try makeDirectories("\(source)/dir\(d)")
                for n in 0..<40 { try Data("file \(d)/\(n) of \(i)\n".utf8).write(to: URL(fileURLWithPath: "\(source)/dir\(d)/f\(n)")) }
            }
            try Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }).write(to: URL(fileURLWithPath: source + "/big.bin"))
            let hook = "#!/bin/sh\nsleep 0.05\n"
            try Data(appspec([("BeforeInstall", "h.sh"), ("AfterInstall", "h.sh"), ("ApplicationStart", "h.sh"), ("ValidateService", "h.sh")]).utf8)
                .write(to: URL(fileURLWithPath: source + "/appspec.yml"))
            try Data(hook.utf8).write(to: URL(fileURLWithPath: source + "/h.sh"))
            chmod(source + "/h.sh", 0o755)
            try Data("artifact \(i)".utf8).write(to: URL(fileURLWithPath: source + "/marker"))
            artifacts.append((try store.pack(directory: source).digest.description, "artifact \(i)"))
        }
        let env = ["SLIPWAY_HOME": home]
        // A first good release; its duration scales the kill moments, so they land inside a
        // deploy however fast or loaded this machine is.
        let started = Date()
        #expect(shell("\(slipwayBinary) deploy \(artifacts[0].digest) --target \(f.target) --keep 3", env: env).status == 0)
        let duration = UInt32(Date().timeIntervalSince(started) * 1_000_000)

        // Rounds until 15 deploys were killed mid-way: a deploy that finished before its kill
        // moment (the machine got faster) makes the next moments earlier.
        var kills = 0, rounds = 0
        let earliest = max(duration / 50, 1)
        var latest = max(duration * 9 / 10, earliest + 1)
        while kills < 15, rounds < 80 {
            let artifact = artifacts[rounds % 3]
            rounds += 1
            let pid = spawnChild([slipwayBinary, "deploy", artifact.digest, "--target", f.target, "--keep", "3"], env: env)
            usleep(UInt32.random(in: earliest...latest))
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == 0 {
                kill(pid, SIGKILL)
                kills += 1
            } else {
                latest = max(latest * 3 / 4, earliest + 1)
            }
            _ = waitChild(pid)
            try checkCurrentIsComplete(f)
        }
        #expect(kills >= 15, "deploys killed mid-way: \(kills) of \(rounds) rounds")
        let final = shell("\(slipwayBinary) deploy \(artifacts[1].digest) --target \(f.target) --keep 3 --json", env: env)
        #expect(final.status == 0, "\(final.output)")
        try checkCurrentIsComplete(f)
        #expect(f.read("current/marker") == "artifact 1")
        // Crash leftovers were swept: no temp links, no hidden staging directories.
        let root = try FileManager.default.contentsOfDirectory(atPath: f.target)
        #expect(!root.contains { $0.hasPrefix(".current.tmp") })
        let releases = try FileManager.default.contentsOfDirectory(atPath: f.target + "/releases")
        #expect(!releases.contains { $0.hasPrefix(".") })
        #expect(releases.count <= 3 + 3, "\(releases)")
    }

    func checkCurrentIsComplete(_ f: Fixture) throws {
        let id = try #require(f.current)
        let release = f.target + "/releases/" + id
        let state = f.history.releases[id]?.state
        #expect(state == .prepared || state == .published || state == .bad, "current names \(id) in state \(String(describing: state))")
        let marker = try #require(f.read("current/marker"))
        #expect(marker.hasPrefix("artifact "))
        let files = try FileManager.default.subpathsOfDirectory(atPath: release).filter { $0.hasPrefix("dir") && !$0.hasSuffix("dir") && $0.contains("/f") }
        #expect(files.count == 800)
        var info = stat()
        #expect(stat(release + "/big.bin", &info) == 0 && info.st_size == 4 << 20)
    }
}
