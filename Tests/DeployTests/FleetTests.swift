import Artifacts
import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// Rolling deploys over SSH to the four hosts of the test fleet (network namespaces, each with
/// sshd and nginx, behind an nginx load balancer), with the balancer's upstream edited by the
/// stage's drain and undrain commands. One fleet per test process, so the tests take turns.
@Suite(.tags(.large, .heavy), .serialized, .enabled(if: Fleet.available)) struct FleetTests {
    static let trafficEvents: Set<String> = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic", "ApplicationStop", "ApplicationStart",
                                             "ValidateService", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]

    /// The fixture itself: four hosts reachable over SSH with their own host keys, each nginx
    /// answering for itself, and a balancer that spreads requests over them and skips a host
    /// its drain command took out of rotation.
    @Test func theFleetAnswersOverSSHAndThroughTheBalancer() throws {
        let fleet = try Fleet.shared()
        try fleet.resetBalancer()
        for host in fleet.hosts {
            let ssh = try Program.run("/bin/sh", ["-c", fleet.sshCommand + " -o BatchMode=yes \(Fleet.user)@\(host.address) 'id -un; cat /proc/net/dev | grep -c eth0'"])
            #expect(ssh.succeeded && ssh.stdout == "\(Fleet.user)\n1\n", "\(host.name): \(ssh)")
        }
        var served: [String] = []
        for _ in 0..<8 {
            let response = try #require(fleet.get(), "the balancer did not answer")
            served.append(response.servedBy ?? "?")
        }
        #expect(Set(served) == ["h1", "h2", "h3", "h4"], "\(served)")

        // Drained, h2 gets nothing; undrained, it is back.
        let drain = try Program.run("/bin/sh", ["-c", fleet.drainCommand], environment: ["SLIPWAY_HOST": fleet.hosts[1].address])
        #expect(drain.succeeded, "\(drain)")
        #expect(fleet.drained() == ["h2"])
        let whileDrained = (0..<8).compactMap { _ in fleet.get()?.servedBy }
        #expect(whileDrained.count == 8 && !whileDrained.contains("h2"), "\(whileDrained)")
        try fleet.resetBalancer()
        #expect(fleet.drained().isEmpty)
        #expect(Set((0..<8).compactMap { _ in fleet.get()?.servedBy }) == ["h1", "h2", "h3", "h4"])
    }

    @Test func aRollingDeployRunsTheTrafficStepsInCodeDeployOrderOneBatchAtATime() throws {
        let run = try FleetRun()
        let (v1, _) = try run.deployEverywhere("v1")
        let v2 = try run.pack("v2")
        try run.expectServing("v1")
        run.clearLogs()

        let result = try run.deploy(v2, "--batch", "one")
        #expect(result.succeeded, "\(result)")
        #expect(result.hosts.map(\.status) == [.live, .live, .live, .live])
        let lines = run.events().filter { Self.trafficEvents.contains($0.event) }
        // Each host in turn, its whole passage from the drain to the undrain before the next
        // host's begins, in CodeDeploy's order: the live release's block hooks, the drain, its
        // ApplicationStop; the new release's start, validation, allow hooks around the undrain.
        let expected = ["BeforeBlockTraffic v1", "BlockTraffic", "AfterBlockTraffic v1", "ApplicationStop v1", "ApplicationStart v2",
                        "ValidateService v2", "BeforeAllowTraffic v2", "AllowTraffic", "AfterAllowTraffic v2"]
        #expect(lines.map(\.text) == run.fleet.hosts.flatMap { host in expected.map { "\(host.name) \($0)" } })
        #expect(run.maximumDrained() == 1)
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v2")

        // CodeDeploy's minimum healthy hosts: 50% of four switches two at a time, 3 one at a
        // time: never more hosts out of rotation than that, and a batch begins only once
        // every host of the one before is back.
        for (minimum, batch) in [("50%", 2), ("3", 1)] {
            run.clearLogs()
            let next = try run.deploy(run.pack("v-\(batch)"), "--minimum-healthy-hosts", minimum)
            #expect(next.succeeded, "\(next)")
            #expect((1...batch).contains(run.maximumDrained()), "minimum healthy hosts \(minimum): \(run.maximumDrained()) drained at once")
            let batchOf = Dictionary(uniqueKeysWithValues: run.fleet.hosts.enumerated().map { ($1.name, $0 / batch) })
            let steps = run.events().filter { $0.event == "BlockTraffic" || $0.event == "AfterAllowTraffic" }
            #expect(steps.count == 8)
            #expect(steps.map { batchOf[$0.host] ?? -1 } == steps.map { batchOf[$0.host] ?? -1 }.sorted(), "\(steps.map(\.text))")
            #expect(run.fleet.drained().isEmpty)
        }
        let refused = run.slipway(["deploy", v1.description, "--minimum-healthy-hosts", "4"] + run.fleet.hosts.flatMap { ["--target", $0.target] })
        #expect(refused.status == 2 && refused.errors.contains("minimum healthy hosts 4 keeps all 4 hosts in service"), "\(refused.errors)")
        #expect(run.fleet.drained().isEmpty)
    }

    @Test func aHostThatFailsStopsTheRolloutAndTheSwitchedHostsGoBackThroughTheBalancer() throws {
        let (run, first, v2) = try FleetRun.withV1Live()
        run.clearLogs()
        let h3 = run.fleet.hosts[2]
        FileManager.default.createFile(atPath: h3.directory + "/FAIL", contents: Data())
        defer { unlink(h3.directory + "/FAIL") }

        let result = try run.deploy(v2, "--health-cmd", #"test ! -e "$RELEASE_PATH/../../../FAIL" || { echo h3 is unhealthy; exit 1; }"#,
                                    "--health-timeout", "1")
        run.expectRolledBackAtH3(result, to: first)
        // Which host and why.
        let error = result.error ?? ""
        #expect(error.hasPrefix("\(Fleet.user)@\(h3.address): health check failed"), "\(error)")
        #expect(error.contains("h3 is unhealthy"), "\(error)")

        // h3 went back first (it was out of rotation already), then h2 and h1, each drained
        // again, its v2 block hooks and stop, then v1 started and back in service.
        let lines = run.events().filter { Self.trafficEvents.contains($0.event) }
        let reverts = lines.drop { !($0.host == "h3" && $0.text == "h3 ApplicationStart v1") }
        #expect(reverts.map(\.host).removingRepeats() == ["h3", "h2", "h1"], "\(reverts.map(\.text))")
        let h1 = reverts.filter { $0.host == "h1" }.map(\.text)
        #expect(h1 == ["BeforeBlockTraffic v2", "BlockTraffic", "AfterBlockTraffic v2", "ApplicationStop v2", "ApplicationStart v1",
                       "ValidateService v1", "BeforeAllowTraffic v1", "AllowTraffic", "AfterAllowTraffic v1"].map { "h1 " + $0 })
        #expect(!lines.contains { $0.host == "h4" }, "h4 was never touched")
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v1")
    }

    @Test func anUnreachableHostStopsTheRolloutInBoundedTimeAndARerunConverges() throws {
        let (run, first, v2) = try FleetRun.withV1Live()
        let h3 = run.fleet.hosts[2]
        // The drain command cuts h3 off the network right after taking it out of rotation.
        try Data("\(h3.name) \(h3.link)\n".utf8).write(to: URL(fileURLWithPath: run.cutFile))
        defer { try? run.fleet.setLink(h3, up: true) }

        let started = Date()
        let result = try run.deploy(v2)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == "rolled-back", "\(result)")
        #expect(result.hosts.map(\.status) == [.reverted, .reverted, .failed, .notSwitched])
        #expect(result.error?.hasPrefix("\(Fleet.user)@\(h3.address): ssh to \(Fleet.user)@\(h3.address) failed") == true, "\(result.error ?? "")")
        #expect(elapsed < 90, "took \(elapsed) s")
        // h3 stays out of rotation; the others are back on v1 and serving.
        #expect(run.fleet.drained() == ["h3"])
        try run.expectServing("v1", from: ["h1", "h2", "h4"])

        // The stage's view: which host runs which release, and which cannot be read.
        let listing = run.slipway("releases", "--stage", "web", "--file", run.pipelineFile, "--json")
        #expect(listing.status == 1, "\(listing.output)")
        let hosts = try #require(try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [[String: Any]])
        #expect(hosts.map { $0["current"] as? String } == [first.release, first.release, nil, first.release])
        #expect(hosts.map { $0["target"] as? String } == run.fleet.hosts.map(\.target))
        #expect((hosts[2]["error"] as? String)?.contains("ssh to \(Fleet.user)@\(h3.address) failed") == true, "\(hosts[2])")

        // Back on the network: the same deploy again converges (the lock the dead connection
        // left on h3 is taken over).
        try run.fleet.setLink(h3, up: true)
        let again = try run.deploy(v2)
        #expect(again.succeeded, "\(again)")
        #expect(Set(again.hosts.map(\.current)) == [again.release])
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v2")
    }

    @Test func aChangedHostKeyIsRefusedNamingTheHostBeforeAnythingChanges() throws {
        let (run, first, v2) = try FleetRun.withV1Live()
        // known_hosts with another key for h2, as after a reinstall or an impostor.
        let h2 = run.fleet.hosts[1]
        let known = run.dir + "/known_hosts"
        #expect(shell("ssh-keygen -q -t ed25519 -N '' -f \(run.dir)/other_key").status == 0)
        let other = try String(contentsOfFile: run.dir + "/other_key.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        let original = try String(contentsOfFile: run.fleet.directory + "/ssh/known_hosts", encoding: .utf8)
        try Data(original.split(separator: "\n").map { $0.hasPrefix(h2.address + " ") ? "\(h2.address) \(other)" : String($0) }
            .joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: known))
        let ssh = run.fleet.sshCommand.replacingOccurrences(of: run.fleet.directory + "/ssh/known_hosts", with: known)
        // The first deploy's shared connections (OpenSSH multiplexing) would carry on without
        // a new handshake: their sockets go, so every host is connected to (and checked) anew.
        for socket in (try? FileManager.default.contentsOfDirectory(atPath: run.home + "/tmp/ssh")) ?? [] {
            unlink(run.home + "/tmp/ssh/" + socket)
        }
        let result = try run.deploy(v2, env: ["SLIPWAY_SSH_COMMAND": ssh])
        #expect(result.status == "failed")
        #expect(result.error?.hasPrefix("\(Fleet.user)@\(h2.address): ssh to \(Fleet.user)@\(h2.address) failed: Host key verification failed") == true,
                "\(result.error ?? "")")
        #expect(result.hosts.allSatisfy { $0.status != .live })
        try run.expectStill(on: first, serving: "v1")
    }

    @Test func aBalancerReloadThatFailsStopsTheRolloutBeforeAnySwitch() throws {
        let (run, first, v2) = try FleetRun.withV1Live()
        let upstream = try String(contentsOfFile: run.fleet.upstreamFile, encoding: .utf8)
        try Data((upstream + "this is not nginx;\n").utf8).write(to: URL(fileURLWithPath: run.fleet.upstreamFile))
        defer {
            try? Data(upstream.utf8).write(to: URL(fileURLWithPath: run.fleet.upstreamFile))
            try? run.fleet.resetBalancer()
        }
        let result = try run.deploy(v2)
        #expect(result.status == "failed")
        let error = result.error ?? ""
        #expect(error.hasPrefix("\(Fleet.user)@\(run.fleet.hosts[0].address): BlockTraffic: the drain command"), "\(error)")
        #expect(error.contains("unknown directive \"this\""), "\(error)")
        #expect(result.hosts.map(\.status) == [.failed, .notSwitched, .notSwitched, .notSwitched])
        // The balancer kept its last good configuration: every host still serves v1.
        try run.expectStill(on: first, serving: "v1")
    }

    @Test func aFullDiskOnOneHostFailsItsPreparationAndNothingSwitches() throws {
        let run = try FleetRun()
        let account = getpwnam(Fleet.user)!.pointee
        let roots = run.fleet.hosts.map { $0.directory + "/small-disk" }
        for root in roots {
            try makeDirectories(root)
            chown(root, account.pw_uid, account.pw_gid)
        }
        // h2's target is a 512 KiB tmpfs, on h2 alone: a real ENOSPC.
        let h2 = run.fleet.hosts[1]
        try run.fleet.run(on: h2, "mount -t tmpfs -o size=512k,uid=\(account.pw_uid),gid=\(account.pw_gid) slipway-full \(roots[1])")
        defer { _ = try? run.fleet.run(on: h2, "umount \(roots[1])") }
        let big = try run.pack("big", padding: 1 << 20)
        let targets = run.fleet.hosts.map { "ssh://\(Fleet.user)@\($0.address)\($0.directory)/small-disk" }
        let output = run.slipway(["deploy", big.description, "--json", "--keep", "1"] + targets.flatMap { ["--target", $0] })
        let result = try run.decode(output.output)
        #expect(output.status == 1)
        #expect(result.status == "failed")
        #expect(result.error?.hasPrefix("\(Fleet.user)@\(run.fleet.hosts[1].address): ") == true, "\(result.error ?? "")")
        #expect(result.error?.contains("No space left on device") == true, "\(result.error ?? "")")
        #expect(result.hosts.allSatisfy { $0.current == nil && $0.status != .live })
        for root in roots {
            #expect(!FileManager.default.fileExists(atPath: root + "/current"))
        }
        // Nothing half-written is left on the full disk: the partial unpack was removed.
        #expect(try run.fleet.run(on: h2, "ls -A \(roots[1])/releases") == "")
    }

    /// Zero downtime at the balancer: two clients keep requesting the page through it while
    /// 20 rolling deploys and 20 stage rollbacks switch the four hosts. Every response is a
    /// 2xx, every body is exactly one release, and each client sees each host move from the
    /// old release to the new one once per switch, never back.
    @Test func twentyRollingDeploysAndRollbacksUnderLoadThroughTheBalancer() throws {
        let run = try FleetRun()
        let names = ["base", "next-a", "next-b"]
        let artifacts = try Dictionary(uniqueKeysWithValues: names.map { ($0, try run.pack($0)) })
        let first = try run.deploy(artifacts["base"]!)
        #expect(first.succeeded)
        let versions = Dictionary(uniqueKeysWithValues: names.map { (run.body($0), $0) })
        var versionOf = [first.release ?? "": "base"]
        var live = "base", lastDeployed = "base", lastRelease = first.release ?? ""
        let load = BalancerLoad(fleet: run.fleet, versions: versions, clients: 2)
        var expected: [(old: String, new: String)] = []
        let started = Date()
        for cycle in 0..<20 {
            // A release that differs from the live one and from the one a rollback goes back to.
            let version = names.first { $0 != live && $0 != lastDeployed }!
            load.awaitResponses(4)
            load.beginPhase()
            let deployed = try run.deploy(artifacts[version]!, "--keep", "2")
            #expect(deployed.succeeded, "cycle \(cycle): \(deployed)")
            versionOf[deployed.release ?? ""] = version
            expected.append((live, version))
            (live, lastDeployed) = (version, version)

            load.awaitResponses(4)
            load.beginPhase()
            let back = run.slipway("rollback", "--stage", "web", "--file", run.pipelineFile, "--json")
            #expect(back.status == 0, "cycle \(cycle): \(back.output)\(back.errors)")
            let object = try JSONSerialization.jsonObject(with: Data(back.output.utf8)) as? [String: Any]
            lastRelease = object?["release"] as? String ?? ""
            let to = try #require(versionOf[lastRelease], "rolled back to \(lastRelease), not a release of this test")
            expected.append((live, to))
            live = to
        }
        load.awaitResponses(4)
        let elapsed = Date().timeIntervalSince(started)
        let counts = load.stop()
        let flaps = load.flaps(expected: expected)
        print("fleet zero downtime: \(counts.ok) responses through the balancer in \(Int(elapsed)) s of 20 rolling deploys and 20 stage rollbacks "
              + "of 4 hosts; non-2xx \(counts.bad), connection errors \(counts.errors), mixed bodies \(counts.mixed), flaps \(flaps.count)")
        #expect(counts.bad == 0, "non-2xx responses")
        #expect(counts.errors == 0, "connection errors")
        #expect(counts.mixed == 0, "bodies that were not exactly one release")
        #expect(flaps.isEmpty, "a host served an older release after a newer one: \(flaps.prefix(5))")
        #expect(counts.ok >= 200, "the load should average several responses per switch")
        #expect(run.fleet.drained().isEmpty)

        let listing = run.slipway("releases", "--stage", "web", "--file", run.pipelineFile)
        #expect(listing.status == 0 && listing.errors.contains("all 4 targets run \(lastRelease)"), "\(listing.output)\(listing.errors)")
        #expect(listing.output.split(separator: "\n").count == 5, "a header and a line per host: \(listing.output)")
    }
}

/// One test's side of the fleet: its own Slipway home and artifacts, the hook and traffic
/// logs, and the stage's slipway.yml.
struct FleetRun {
    let fleet: Fleet
    let directory: TemporaryDirectory
    var dir: String { directory.path }
    let store: ArtifactStore
    var home: String { dir + "/home" }
    var eventsFile: String { dir + "/events.log" }
    var cutFile: String { dir + "/cut" }
    var pipelineFile: String { dir + "/slipway.yml" }
    var drain: String { dir + "/traffic drain" }
    var undrain: String { dir + "/traffic undrain" }

    init() throws {
        fleet = try Fleet.shared()
        try fleet.resetBalancer()
        directory = try TemporaryDirectory("slipway-fleet-test")
        chmod(directory.path, 0o755)
        store = ArtifactStore(root: directory.path + "/home/store")
        FileManager.default.createFile(atPath: directory.path + "/events.log", contents: Data())
        chmod(directory.path + "/events.log", 0o666)
        // The stage's drain and undrain: log the step, then the fleet's balancer script; a
        // host named in `cut` is cut off the network right after its drain.
        try directory.write("traffic", """
            #!/bin/sh
            h=${SLIPWAY_TARGET_PATH%/*}; h=${h##*/}
            echo "$h $LIFECYCLE_EVENT" >> \(dir)/events.log
            \(fleet.directory)/traffic "$1" || exit
            if [ "$1" = drain ] && [ -e \(dir)/cut ] && [ "$(cut -d' ' -f1 \(dir)/cut)" = "$h" ]; then
              ip link set "$(cut -d' ' -f2 \(dir)/cut)" down; rm \(dir)/cut
            fi
            """, mode: 0o755)
        try directory.write("slipway.yml", """
            stages:
              - name: web
                targets: [\(fleet.hosts.map(\.target).joined(separator: ", "))]
                minimum-healthy-hosts: 2
                drain: \(dir)/traffic drain
                undrain: \(dir)/traffic undrain

            """)
    }

    /// The body each version's index.html has: its name, then padding to 32 KiB (several reads,
    /// so a response spanning two releases would show).
    func body(_ version: String) -> String {
        version + "\n" + String(repeating: "release \(version) ", count: 32 * 1024 / (9 + version.count))
    }

    /// Packs a release: index.html, and a hook for every event that logs `HOST EVENT VERSION`
    /// (and succeeds when the log is gone: a later test's deploy runs this release's
    /// BeforeBlockTraffic and ApplicationStop). `applicationStart`: shell lines its
    /// ApplicationStart runs after logging (as `start.sh`).
    func pack(_ version: String, padding: Int = 0, applicationStart: String? = nil) throws -> Digest {
        let source = dir + "/src-" + version
        try makeDirectories(source)
        try Data(body(version).utf8).write(to: URL(fileURLWithPath: source + "/index.html"))
        if padding > 0 {
            var bytes = [UInt8](repeating: 0, count: padding)
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
            try Data(bytes).write(to: URL(fileURLWithPath: source + "/padding.bin"))
        }
        try Data("""
            #!/bin/sh
            h=${RELEASE_PATH%/releases/*}; h=${h%/*}; h=${h##*/}
            echo "$h $LIFECYCLE_EVENT \(version)" >> \(eventsFile)
            exit 0

            """.utf8).write(to: URL(fileURLWithPath: source + "/hook.sh"))
        chmod(source + "/hook.sh", 0o755)
        if let applicationStart {
            try Data("#!/bin/sh\n./hook.sh || exit\n\(applicationStart)\n".utf8).write(to: URL(fileURLWithPath: source + "/start.sh"))
            chmod(source + "/start.sh", 0o755)
        }
        let events = ["BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop", "BeforeInstall", "AfterInstall",
                      "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic"]
        try Data(appspec(events.map { ($0, $0 == "ApplicationStart" && applicationStart != nil ? "start.sh" : "hook.sh") }).utf8)
            .write(to: URL(fileURLWithPath: source + "/appspec.yml"))
        return try store.pack(directory: source).digest
    }

    /// A fresh run with v1 live on every host and v2 packed: where a test of a rollout starts.
    static func withV1Live() throws -> (run: FleetRun, first: DeployResult, v2: Digest) {
        let run = try FleetRun()
        let (_, first) = try run.deployEverywhere("v1")
        return (run, first, try run.pack("v2"))
    }

    /// Packs `version` and deploys it to the four hosts, expecting it to succeed.
    func deployEverywhere(_ version: String) throws -> (artifact: Digest, result: DeployResult) {
        let artifact = try pack(version)
        let result = try deploy(artifact)
        #expect(result.succeeded, "deploying \(version): \(result)")
        return (artifact, result)
    }

    /// `user@address` of each host, as deploy results name them.
    var logins: [String] { fleet.hosts.map { "\(Fleet.user)@\($0.address)" } }

    var environment: [String: String] {
        ["SLIPWAY_HOME": home, "SLIPWAY_SSH_COMMAND": fleet.sshCommand, "SLIPWAY_SSH_CONNECT_TIMEOUT": "3"]
    }

    /// Runs the `slipway` binary with this run's environment: its stdout, and its stderr apart.
    func slipway(_ arguments: String..., env: [String: String] = [:]) -> (status: Int32, output: String, errors: String) {
        slipway(arguments, env: env)
    }

    func slipway(_ arguments: [String], env: [String: String] = [:]) -> (status: Int32, output: String, errors: String) {
        let quoted = ([slipwayBinary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let errors = dir + "/stderr-\(UUID().uuidString)"
        defer { unlink(errors) }
        let result = shell(quoted + " 2>" + errors, env: environment.merging(env) { $1 })
        return (result.status, result.output, (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")
    }

    /// `slipway deploy` to the four hosts with the drain and undrain commands.
    func deploy(_ artifact: Digest, _ extra: String..., env: [String: String] = [:]) throws -> DeployResult {
        try deploy(artifact, extra, env: env).result
    }

    /// The same, with its exit status.
    func deploy(_ artifact: Digest, _ extra: [String], env: [String: String] = [:]) throws -> (status: Int32, result: DeployResult) {
        let targets = fleet.hosts.flatMap { ["--target", $0.target] }
        let run = slipway(["deploy", artifact.description, "--json", "--drain", drain, "--undrain", undrain] + targets + extra, env: env)
        guard run.output.contains("{") else { throw TestFailure("slipway deploy exited \(run.status) with no result:\n\(run.errors)") }
        return (run.status, try decode(run.output))
    }

    func decode(_ output: String) throws -> DeployResult {
        let start = try #require(output.firstIndex(of: "{"), "no JSON in: \(output)")
        return try JSONDecoder().decode(DeployResult.self, from: Data(output[start...].utf8))
    }

    func current(_ host: Fleet.Host) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: host.root + "/current")).map { ($0 as NSString).lastPathComponent }
    }

    struct Line: Equatable { var host: String; var event: String; var text: String }

    /// The hooks' and traffic commands' lines, in order.
    func events() -> [Line] {
        ((try? String(contentsOfFile: eventsFile, encoding: .utf8)) ?? "").split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return Line(host: String(parts[0]), event: parts.count > 1 ? String(parts[1]) : "", text: String(line))
        }
    }

    /// Empties the logs in place (the hooks, run as the fleet's user, append to the events log).
    func clearLogs() {
        truncate(eventsFile, 0)
        truncate(fleet.trafficLog, 0)
    }

    /// The most hosts the balancer had out of rotation at once (from the traffic log).
    func maximumDrained() -> Int {
        ((try? String(contentsOfFile: fleet.trafficLog, encoding: .utf8)) ?? "").split(separator: "\n")
            .filter { $0.hasPrefix("drain ") }.compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.max() ?? 0
    }

    /// A rollout that stopped at h3: h3, h2 and h1 went back to `live`'s release, h4 was never switched.
    func expectRolledBackAtH3(_ result: DeployResult, to live: DeployResult) {
        #expect(result.status == "rolled-back")
        #expect(result.hosts.map(\.status) == [.reverted, .reverted, .reverted, .notSwitched])
        #expect(result.hosts.allSatisfy { $0.current == live.release })
        #expect(result.aftermath == "rolled back to release \(live.release ?? "") on \(logins[0]), \(logins[1]), \(logins[2]); not switched: \(logins[3])",
                "\(result.aftermath ?? "")")
    }

    /// Every host is still on `live`'s release and serves `version` through the balancer.
    func expectStill(on live: DeployResult, serving version: String) throws {
        for host in fleet.hosts { #expect(current(host) == live.release, "\(host.name)") }
        try expectServing(version)
    }

    /// Every host in `hosts` serves `version` through the balancer, and no other host answers.
    func expectServing(_ version: String, from hosts: Set<String> = ["h1", "h2", "h3", "h4"]) throws {
        var seen: Set<String> = []
        for _ in 0..<(hosts.count * 4) {
            let response = try #require(fleet.get(), "the balancer did not answer")
            #expect(response.status == 200 && String(decoding: response.body, as: UTF8.self) == body(version),
                    "\(response.servedBy ?? "?") answered \(response.status) \(String(decoding: response.body.prefix(20), as: UTF8.self))")
            seen.insert(response.servedBy ?? "?")
        }
        #expect(seen == hosts)
    }
}

extension Array where Element: Equatable {
    /// The elements with runs of equal neighbours collapsed to one.
    func removingRepeats() -> [Element] {
        reduce(into: []) { if $0.last != $1 { $0.append($1) } }
    }
}
