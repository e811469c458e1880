import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

/// The fleet through a whole pipeline (`slipway run`: commit, build, rolling deploy), and a
/// host whose SSH user lacks a permission. In the `FleetTests` suite (serialized, heavy): one
/// fleet per test process, so the tests take turns.
extension FleetTests {
    @Test func slipwayRunDeploysACommitOverTheFleetHostByHostAndTheStageRollsBack() throws {
        let run = try FleetRun()
        let tarball = try RecipeCache.tarball(recipe: Busybox.checkout + "/images/busybox", timeout: .seconds(1200))
        let imported = run.slipway("image", "import", tarball, "--name", "busybox")
        #expect(imported.status == 0, "\(imported.errors)")

        let repo = try GitRepository(at: run.dir + "/repo")
        try repo.write("buildspec.yml", """
            version: 0.2
            phases:
              build:
                commands:
                  - cp content index.html
            artifacts:
              files:
                - index.html
                - appspec.yml
                - hook.sh

            """)
        let events = ["BeforeBlockTraffic", "AfterBlockTraffic", "ApplicationStop", "BeforeInstall", "AfterInstall",
                      "ApplicationStart", "ValidateService", "BeforeAllowTraffic", "AfterAllowTraffic"]
        try repo.write("appspec.yml", appspec(events.map { ($0, "hook.sh") }))
        // Logs `HOST EVENT VERSION` and says it in the deploy's output (and succeeds when the
        // log is gone: a later test's deploy runs this release's BeforeBlockTraffic).
        try repo.write("hook.sh", """
            #!/bin/sh
            h=${RELEASE_PATH%/releases/*}; h=${h%/*}; h=${h##*/}
            v=$(head -n 1 index.html)
            echo "hook on $h: $LIFECYCLE_EVENT of $v"
            echo "$h $LIFECYCLE_EVENT $v" >> \(run.eventsFile)
            exit 0

            """)
        try repo.write("slipway.yml", """
            name: fleet-site
            build:
              image: busybox
              timeout: 5m
            stages:

            """ + run.webStage())
        try repo.write("content", run.body("v1"))
        _ = try repo.commit("v1")

        // Commit → build → rolling deploy over the four hosts.
        let first = try pipelineRun(run, repo)
        #expect(first.status == "succeeded")
        for host in run.fleet.hosts { #expect(run.current(host) == first.release, "\(host.name)") }
        try run.expectServing("v1")
        #expect(run.fleet.drained().isEmpty)

        // The run's log says which host did what: every host's steps under its name, and one
        // host at a time from its drain to its undrain, in the stage's order.
        let logs = run.slipway("logs", String(first.id))
        #expect(logs.status == 0, "\(logs.errors)")
        let lines = logs.output.split(separator: "\n").map(String.init)
        let logins = run.fleet.hosts.map { "\(Fleet.user)@\($0.address)" }
        var passages: [(drain: Int, undrain: Int)] = []
        for (host, login) in zip(run.fleet.hosts, logins) {
            for step in ["[\(login)] switching current to releases/\(first.release)", "[\(login)] BlockTraffic: running the drain command",
                         "[\(login) ApplicationStart] running hook.sh", "[\(login) ApplicationStart] hook on \(host.name): ApplicationStart of v1",
                         "[\(login)] AllowTraffic: running the undrain command", "[\(login) AfterAllowTraffic] hook on \(host.name): AfterAllowTraffic of v1"] {
                #expect(lines.contains { $0.contains(step) }, "the log has no `\(step)`:\n\(logs.output)")
            }
            let drain = lines.firstIndex { $0.contains("[\(login)] BlockTraffic:") } ?? -1
            let undrain = lines.lastIndex { $0.contains("[\(login) AfterAllowTraffic]") } ?? -1
            passages.append((drain, undrain))
        }
        for (earlier, later) in zip(passages, passages.dropFirst()) {
            #expect(earlier.undrain < later.drain, "one host at a time, in order: \(passages)")
        }

        // `releases` for the stage: every host on the new release.
        let listing = run.slipway("releases", "--stage", "web", "--pipeline", "fleet-site", "--json")
        #expect(listing.status == 0, "\(listing.errors)")
        let hosts = try #require(try JSONSerialization.jsonObject(with: Data(listing.output.utf8)) as? [[String: Any]])
        #expect(hosts.map { $0["target"] as? String } == run.fleet.hosts.map(\.target))
        #expect(hosts.allSatisfy { $0["current"] as? String == first.release }, "\(hosts)")

        // A second commit rolls out the same way.
        try repo.write("content", run.body("v2"))
        _ = try repo.commit("v2")
        let second = try pipelineRun(run, repo)
        #expect(second.status == "succeeded" && second.release != first.release)
        try run.expectServing("v2")
        let text = run.slipway("releases", "--stage", "web", "--pipeline", "fleet-site")
        #expect(text.status == 0 && text.errors.contains("all 4 targets run \(second.release)"), "\(text.output)\(text.errors)")

        // The stage's rollback takes every host back, each out of rotation while it switches.
        run.clearLogs()
        let back = run.slipway("rollback", "--stage", "web", "--pipeline", "fleet-site", "--json")
        #expect(back.status == 0, "\(back.output)\(back.errors)")
        let object = try JSONSerialization.jsonObject(with: Data(back.output.utf8)) as? [String: Any]
        #expect(object?["release"] as? String == first.release)
        for host in run.fleet.hosts { #expect(run.current(host) == first.release, "\(host.name)") }
        let traffic = run.events().filter { $0.event == "BlockTraffic" || $0.event == "AllowTraffic" }
        #expect(traffic.map(\.text) == run.fleet.hosts.flatMap { ["\($0.name) BlockTraffic", "\($0.name) AllowTraffic"] }, "\(traffic.map(\.text))")
        #expect(run.maximumDrained() == 1)
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v1")
        let after = run.slipway("releases", "--stage", "web", "--pipeline", "fleet-site")
        #expect(after.status == 0 && after.errors.contains("all 4 targets run \(first.release)"), "\(after.output)\(after.errors)")
        // The registered pipeline's history has the rollback, by whom and to what.
        let audit = run.slipway("audit", "--pipeline", "fleet-site")
        #expect(audit.status == 0 && audit.output.contains("rollback") && audit.output.contains("stage web: \(second.release) → \(first.release)"),
                "\(audit.output)\(audit.errors)")
    }

    /// `slipway run REPO --json`: the run's id, status and release.
    private func pipelineRun(_ run: FleetRun, _ repo: GitRepository) throws -> (id: Int, status: String, release: String) {
        let out = run.slipway("run", repo.path, "--json")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [String: Any], "\(out.output)\(out.errors)")
        let record = try #require(summary["run"] as? [String: Any])
        #expect(out.status == 0, "\(out.errors)")
        return (record["id"] as? Int ?? 0, record["status"] as? String ?? "", record["release"] as? String ?? "")
    }

    /// h3's target belongs to root: its SSH user may read it but not write it. The deploy
    /// stops at h3 before anything changes anywhere, naming the host, the directory, its owner
    /// and mode, and what to do; h3 is left exactly as it was; once the owner is put right
    /// the same deploy goes through.
    @Test func aTargetTheSSHUserMayNotWriteStopsTheRolloutNamingTheHostThePathAndThePermission() throws {
        let (run, first, v2) = try FleetRun.withV1Live()
        let h3 = run.fleet.hosts[2]
        let account = getpwnam(Fleet.user)!.pointee
        let snapshot = "cd \(h3.root) && ls -lAR --time-style=+%s . && cat .slipway/journal"
        let before = try run.fleet.run(on: h3, snapshot)
        #expect(chown(h3.root, 0, 0) == 0 && chmod(h3.root, 0o755) == 0)
        defer { chown(h3.root, account.pw_uid, account.pw_gid) }
        run.clearLogs()

        let (status, result) = try run.deploy(v2, [])
        #expect(status == 1)
        #expect(result.status == "failed")
        let error = result.error ?? ""
        #expect(error.hasPrefix("\(Fleet.user)@\(h3.address): permission denied: \(Fleet.user) may not write the directory \(h3.root) "
                                + "(owner root:root, mode drwxr-xr-x)"), "\(error)")
        #expect(error.contains("chown -R \(Fleet.user) \(h3.root)"), "\(error)")
        #expect(result.hosts.allSatisfy { $0.status != .live && $0.current == first.release }, "\(result.hosts)")
        // Nothing ran on any host (no hook, no drain) and nothing was written on h3.
        #expect(run.events().isEmpty, "\(run.events().map(\.text))")
        #expect(try run.fleet.run(on: h3, snapshot) == before)
        #expect(run.fleet.drained().isEmpty)
        try run.expectStill(on: first, serving: "v1")

        // Put right, the same deploy converges.
        chown(h3.root, account.pw_uid, account.pw_gid)
        let again = try run.deploy(v2)
        #expect(again.succeeded, "\(again)")
        try run.expectServing("v2")
    }

    /// The new release's ApplicationStart writes a file that only root may write on h3: the
    /// rollout stops at h3, whose error names the host, the path and the permission (the
    /// hook's own words), and h3, h2 and h1 go back through the balancer; h4 is not touched,
    /// and h3 keeps no trace of the half-done switch.
    @Test func aHookLackingAPermissionOnOneHostStopsTheRolloutThereAndTheSwitchedHostsGoBack() throws {
        let run = try FleetRun()
        let account = getpwnam(Fleet.user)!.pointee
        for host in run.fleet.hosts {
            try makeDirectories(host.directory + "/state")
            chown(host.directory + "/state", account.pw_uid, account.pw_gid)
            unlink(host.directory + "/state/started")
        }
        let h3 = run.fleet.hosts[2]
        #expect(chown(h3.directory + "/state", 0, 0) == 0 && chmod(h3.directory + "/state", 0o755) == 0)
        let (_, first) = try run.deployEverywhere("v1")
        let v2 = try run.pack("v2", applicationStart: #"touch "${RELEASE_PATH%/app/releases/*}/state/started""#)
        run.clearLogs()

        let (status, result) = try run.deploy(v2, ["--batch", "one"])
        #expect(status == 1)
        run.expectRolledBackAtH3(result, to: first)
        let error = result.error ?? ""
        #expect(error == "\(Fleet.user)@\(h3.address): ApplicationStart: start.sh exited with status 1: "
                + "touch: cannot touch '\(h3.directory)/state/started': Permission denied", "\(error)")
        // h1 and h2 started v2 before h3 failed; h3 went back first, then h2, then h1.
        let starts = run.events().filter { $0.event == "ApplicationStart" }.map(\.text)
        #expect(starts == ["h1 ApplicationStart v2", "h2 ApplicationStart v2", "h3 ApplicationStart v2",
                           "h3 ApplicationStart v1", "h2 ApplicationStart v1", "h1 ApplicationStart v1"], "\(starts)")
        // Nothing half-written on h3: no temporary link or staging directory, nothing in state/.
        let leftovers = try run.fleet.run(on: h3, "cd \(h3.root) && ls -A . releases | grep -e '^\\.current' -e '^\\.[0-9]' || true")
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: h3.directory + "/state").isEmpty)
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v1")
    }

    /// A hook whose appspec `runas` is root, on hosts whose SSH user is not: refused on every
    /// host while the release is prepared, before any hook runs or any host leaves rotation,
    /// naming the hook, saying that it needs root and who the SSH user is (su without a
    /// terminal could only fail after the switch).
    @Test func aRunasRootHookWithoutARootLoginIsRefusedBeforeAnythingSwitches() throws {
        let run = try FleetRun()
        let (_, first) = try run.deployEverywhere("v1")
        let source = try run.directory.directory("src-runas")
        try Data(run.body("v2").utf8).write(to: URL(fileURLWithPath: source + "/index.html"))
        try Data("#!/bin/sh\nid -un\n".utf8).write(to: URL(fileURLWithPath: source + "/start.sh"))
        chmod(source + "/start.sh", 0o755)
        try Data("version: 0.0\nos: linux\nhooks:\n  ApplicationStart:\n    - location: start.sh\n      runas: root\n".utf8)
            .write(to: URL(fileURLWithPath: source + "/appspec.yml"))
        let v2 = try run.store.pack(directory: source).digest
        run.clearLogs()

        let (status, result) = try run.deploy(v2, ["--batch", "one"])
        #expect(status == 1)
        #expect(result.status == "failed")
        let error = result.error ?? ""
        let host = String(error.prefix { $0 != ":" })
        #expect(run.logins.contains(host) && error == "\(host): ApplicationStart: start.sh: runas: running a hook as 'root' needs root "
                + "(the SSH user here is \(Fleet.user), not root)", "\(error)")
        #expect(result.hosts.allSatisfy { $0.status == .failed || $0.status == .notSwitched }, "\(result.hosts)")
        // No host left rotation, none ran a hook of the old release or switched.
        #expect(run.events().isEmpty, "\(run.events().map(\.text))")
        #expect(run.fleet.drained().isEmpty)
        try run.expectStill(on: first, serving: "v1")
    }

    /// A stage rollback refuses hosts that would go back to different releases, naming each,
    /// before anything changes; `--to` takes them all to one. A host that fails its rollback
    /// (its health check) stops it there: the hosts before it stay on the older release, the
    /// host stays out of rotation, the rest are untouched, and the run says so (exit 1).
    @Test func aStageRollbackRefusesHostsThatDisagreeAndStopsAtAHostThatFails() throws {
        let run = try FleetRun()
        let (_, one) = try run.deployEverywhere("v1")
        let (v2, two) = try run.deployEverywhere("v2")
        let v3 = try run.pack("v3")
        let h1 = run.fleet.hosts[0], h3 = run.fleet.hosts[2]
        let three = run.slipway(["deploy", v3.description, "--target", h1.target, "--json"])
        #expect(three.status == 0, "\(three.errors)")
        let v3release = try run.decode(three.output).release ?? ""
        run.clearLogs()

        // h1 would go back to v2, the others to v1.
        let names = run.logins
        let refused = run.slipway("rollback", "--stage", "web", "--file", run.pipelineFile)
        #expect(refused.status == 2)
        let expected = "the hosts would roll back to different releases (\(names[0]): \(two.release ?? ""), "
            + names.dropFirst().map { "\($0): \(one.release ?? "")" }.joined(separator: ", ") + "); name one with --to"
        #expect(refused.errors.contains(expected), "\(refused.errors)")
        #expect(run.events().isEmpty)
        #expect(run.current(h1) == v3release)
        for host in run.fleet.hosts.dropFirst() { #expect(run.current(host) == two.release) }

        let to = run.slipway("rollback", "--stage", "web", "--file", run.pipelineFile, "--to", one.release ?? "", "--json")
        #expect(to.status == 0, "\(to.output)\(to.errors)")
        try run.expectStill(on: one, serving: "v1")

        // Again on v2 everywhere (h1's previous release is now v3: back to v1 by name); then
        // h3's health check fails after its rollback switch.
        let again = try run.deploy(v2)
        #expect(again.succeeded)
        FileManager.default.createFile(atPath: h3.directory + "/FAIL", contents: Data())
        defer { unlink(h3.directory + "/FAIL") }
        let healthFile = try run.directory.write("health.yml", "stages:\n" + run.webStage(
            #"health: { command: 'test ! -e "$RELEASE_PATH/../../../FAIL" || { echo h3 is unhealthy; exit 1; }', timeout: 1s }"#))
        let failed = run.slipway("rollback", "--stage", "web", "--file", healthFile, "--to", one.release ?? "", "--json")
        #expect(failed.status == 1, "\(failed.output)\(failed.errors)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(failed.output.utf8)) as? [String: Any])
        let hosts = try #require(result["hosts"] as? [[String: Any]])
        #expect(hosts.map { $0["status"] as? String } == ["succeeded", "succeeded", "failed", "not-switched"], "\(hosts)")
        let error = result["error"] as? String ?? ""
        #expect(error.hasPrefix("\(names[2]): health check failed") && error.contains("h3 is unhealthy")
                && error.hasSuffix("it stays out of the load balancer's rotation (drained)"), "\(error)")
        #expect(run.current(run.fleet.hosts[0]) == one.release && run.current(run.fleet.hosts[1]) == one.release)
        #expect(run.current(run.fleet.hosts[3]) == again.release)
        #expect(run.fleet.drained() == ["h3"])
        // Through the balancer: h1 and h2 on v1, h4 still on v2, nothing from h3.
        var seen: [String: String] = [:]
        for _ in 0..<12 {
            let response = try #require(run.fleet.get(), "the balancer did not answer")
            seen[response.servedBy ?? "?"] = String(decoding: response.body.prefix(2), as: UTF8.self)
        }
        #expect(seen == ["h1": "v1", "h2": "v1", "h4": "v2"], "\(seen)")

        // h3 healthy again, the same rollback converges: h3, already on v1, goes back into
        // rotation, h4 switches, h1 and h2 stay as they are.
        unlink(h3.directory + "/FAIL")
        let converged = run.slipway("rollback", "--stage", "web", "--file", healthFile, "--to", one.release ?? "", "--json")
        #expect(converged.status == 0, "\(converged.output)\(converged.errors)")
        let after = try #require(try JSONSerialization.jsonObject(with: Data(converged.output.utf8)) as? [String: Any])
        #expect((after["hosts"] as? [[String: Any]])?.map { $0["status"] as? String } == ["unchanged", "unchanged", "unchanged", "succeeded"], "\(after)")
        for host in run.fleet.hosts { #expect(run.current(host) == one.release) }
        #expect(run.fleet.drained().isEmpty)
        try run.expectServing("v1")
    }
}

extension FleetRun {
    /// slipway.yml's `web` stage over the four hosts, one at a time, with this run's drain and
    /// undrain commands, and `extra` keys.
    func webStage(_ extra: String...) -> String {
        (["  - name: web", "    targets: [\(fleet.hosts.map(\.target).joined(separator: ", "))]", "    strategy: one-at-a-time",
          "    drain: \(drain)", "    undrain: \(undrain)"] + extra.map { "    " + $0 }).joined(separator: "\n") + "\n"
    }
}
