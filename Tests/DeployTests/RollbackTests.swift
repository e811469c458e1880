import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.medium)) struct RollbackTests {
    @Test func rollbackPicksThePreviousGoodReleaseAfterAFailedDeploy() throws {
        let f = try Fixture()
        let v1 = f.deploy(try f.artifact(["index.html": "v1"]))
        let v2 = f.deploy(try f.artifact(["index.html": "v2"]))
        let failing = f.deploy(try f.artifact(["index.html": "v3", "appspec.yml": appspec([("ValidateService", "v.sh")]), "v.sh": "#!/bin/sh\nexit 1\n"]))
        #expect(v1.succeeded && v2.succeeded && failing.status == "rolled-back")
        #expect(f.current == v2.release)

        let back = try Rollback(host: f.host, events: f.events).run()
        #expect(back.current == v1.release && back.previous == v2.release && back.status == "succeeded")
        #expect(f.read("current/index.html") == "v1")
        // Leaving a release by hand says nothing about it; only its own failure marks it bad.
        #expect(f.history.releases[v2.release!]?.state == .published)
        #expect(f.history.releases[failing.release!]?.state == .bad)

        // Nothing good is left behind v1.
        #expect(throws: SlipwayError.self) { try Rollback(host: f.host, events: f.events).run() }

        // A named rollback goes where it is told.
        let named = try Rollback(host: f.host, events: f.events).run(to: String(ReleaseID.sequence(of: v2.release!)))
        #expect(named.current == v2.release)
        #expect(f.read("current/index.html") == "v2")

        // Even to a release marked bad, with a warning.
        f.log.clear()
        let toBad = try Rollback(host: f.host, events: f.events).run(to: failing.release!)
        #expect(toBad.current == failing.release)
        #expect(f.log.withLock { $0.contains { $0.kind == .warning && $0.text.contains("was marked bad") } })
    }

    /// A rollback that fails once it holds the target's lock (here `current` is a directory,
    /// not a link) lets the lock and its descriptor go: the next deploy is not told that
    /// another deploy holds the target.
    @Test func aRollbackThatFailsAfterLockingLetsTheLockGo() throws {
        let f = try Fixture()
        #expect(f.deploy(try f.artifact(["index.html": "v1"])).succeeded)
        let link = f.target + "/current"
        unlink(link)
        #expect(mkdir(link, 0o755) == 0)
        #expect(throws: SlipwayError.self) { try Rollback(host: f.host, events: f.events).run() }
        rmdir(link)
        let next = f.deploy(try f.artifact(["index.html": "v2"]))
        #expect(next.succeeded, "\(next)")
        #expect(f.read("current/index.html") == "v2")
    }

    @Test func rollbacksWalkBackAndAnyKeptReleaseCanComeBack() throws {
        let f = try Fixture()
        let ids = try (1...3).map { i in try #require(f.deploy(try f.artifact(["index.html": "v\(i)"])).release) }
        #expect(try Rollback(host: f.host, events: f.events).run().current == ids[1])
        #expect(try Rollback(host: f.host, events: f.events).run().current == ids[0])
        #expect(throws: SlipwayError.self) { try Rollback(host: f.host, events: f.events).run() }
        // Back to the newest again, then one step back from it.
        #expect(try Rollback(host: f.host, events: f.events).run(to: ids[2]).current == ids[2])
        #expect(try Rollback(host: f.host, events: f.events).run().current == ids[1])
        #expect(ids.allSatisfy { f.history.releases[$0]?.state == .published })
        #expect(f.read("current/index.html") == "v2")
    }

    @Test func pruningKeepsTheNewestGoodReleaseBeforeCurrent() throws {
        let f = try Fixture()
        let good = try #require(f.deploy(try f.artifact(["index.html": "good"])).release)
        let middle = try #require(f.deploy(try f.artifact(["index.html": "middle"])).release)
        _ = try Rollback(host: f.host, events: f.events).run()  // back to good; middle stays good
        let next = f.deploy(try f.artifact(["index.html": "next"])) { $0.keep = 0 }
        #expect(next.succeeded)
        let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: f.target + "/releases"))
        // keep 0 still keeps current and the release a rollback returns to: the newest good
        // one before current (middle), not merely the one live last (good).
        #expect(onDisk == [next.release!, middle])
        #expect(try Rollback(host: f.host, events: f.events).run().current == middle)
        _ = good
    }

    @Test func rollbackRunsStartAndValidateHooks() throws {
        let f = try Fixture()
        let spec = appspec([("ApplicationStart", "s.sh"), ("ValidateService", "s.sh")])
        let v1 = f.deploy(try f.artifact(["appspec.yml": spec, "s.sh": "#!/bin/sh\necho v1 $LIFECYCLE_EVENT\n"]))
        _ = f.deploy(try f.artifact(["appspec.yml": spec, "s.sh": "#!/bin/sh\necho v2 $LIFECYCLE_EVENT\n"]))
        f.log.clear()
        let back = try Rollback(host: f.host, events: f.events).run()
        #expect(back.current == v1.release)
        #expect(f.lines == ["v1 ApplicationStart", "v1 ValidateService"])
    }

    @Test func pruningKeepsNPlusCurrentAndPrevious() throws {
        let f = try Fixture()
        var ids: [String] = []
        for i in 1...6 {
            let r = f.deploy(try f.artifact(["index.html": "v\(i)"])) { $0.keep = 2 }
            ids.append(try #require(r.release))
        }
        let onDisk = Set(try FileManager.default.contentsOfDirectory(atPath: f.target + "/releases"))
        // current (v6), previous (v5) and two more published (v4, v3).
        #expect(onDisk == Set(ids.suffix(4)))
        #expect(f.history.releases[ids[0]]?.state == .pruned)
        let keepZero = f.deploy(try f.artifact(["index.html": "v7"])) { $0.keep = 0 }
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: f.target + "/releases"))
        #expect(after == [keepZero.release!, ids[5]])
    }

    @Test func victimsNeverIncludeCurrentOrPrevious() {
        let t = Date()
        let records: [JournalRecord] = ["a", "b", "c"].flatMap { id in
            [JournalRecord(event: .created, release: id, time: t), JournalRecord(event: .prepared, release: id, time: t),
             JournalRecord(event: .switched, release: id, time: t)]
        } + [JournalRecord(event: .created, release: "d", time: t)]
        let history = ReleaseHistory(records: records)
        let victims = ReleasePruner.victims(history: history, current: "c", onDisk: ["a", "b", "c", "d"], keep: 0)
        #expect(Set(victims) == ["a", "d"])
    }

    @Test func releasesListTheCurrentOne() throws {
        let f = try Fixture()
        let a = f.deploy(try f.artifact(["x": "1"]))
        let b = f.deploy(try f.artifact(["x": "2"]))
        let list = try listReleases(on: f.host)
        #expect(list.map(\.id) == [b.release!, a.release!])
        #expect(list.first?.current == true && list.last?.current == false)
        #expect(list.first?.state == .published)
    }
}
