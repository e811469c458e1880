import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// The store on both backends: every test runs on SQLite and on PostgreSQL.
@Suite(.tags(.small))
struct StateStoreTests {

    func record(_ pipeline: String, _ n: Int) -> RunRecord {
        RunRecord(id: 0, pipeline: pipeline, status: .succeeded, trigger: Trigger(.poll, actor: "poller"),
                  commit: CommitInfo(id: String(format: "%040x", n), author: "Ada", time: Date(), message: "commit \(n)"),
                  created: Date(), started: Date(), finished: Date(),
                  stages: ["source", "build", "live"].map { StageRecord(name: $0, kind: $0 == "live" ? .deploy : $0 == "build" ? .build : .source,
                                                                       status: .succeeded, started: Date(), finished: Date(), detail: "ok") },
                  artifact: try! Digest(parsing: "sha256:" + String(repeating: "a", count: 64)), release: "000001")
    }

    @Test(arguments: StoreBackend.allCases)
    func runsRoundTripAndPageNewestFirst(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        var ids: [RunID] = []
        for n in 0..<5 { ids.append(try await store.insertRun(record(n % 2 == 0 ? "a" : "b", n), owner: nil).record.id) }
        let all = try await store.runs(pipeline: nil, limit: 10, before: nil)
        #expect(all.map(\.id) == ids.reversed())
        #expect(all.first?.stages.map(\.name) == ["source", "build", "live"])
        #expect(all.last?.commit?.message == "commit 0")
        #expect(try await store.runs(pipeline: "a", limit: 10, before: nil).count == 3)
        #expect(try await store.runs(pipeline: nil, limit: 2, before: ids[3]).map(\.id) == [ids[2], ids[1]])
        #expect(try await store.run(999) == nil)
    }

    /// A build stage's facts (its image, the reproducibility check) round-trip as they were.
    @Test(arguments: StoreBackend.allCases)
    func aBuildStagesFactsRoundTrip(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        var run = record("a", 1)
        let facts = BuildFacts(image: "debian", imageDigest: try Digest(parsing: "sha256:" + String(repeating: "b", count: 64)),
                               check: BuildFacts.CheckVerdict(reproducible: false, secondBuild: "build-2", differences: ["usr/bin/x"]))
        run.stages[1].build = facts
        let id = try await store.insertRun(run, owner: nil).record.id
        #expect(try await store.run(id)?.stages[1].build == facts)
        #expect(try await store.run(id)?.stages[0].build == nil)
    }

    @Test(arguments: StoreBackend.allCases)
    func logChunksAreContiguousByteOffsets(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        let id = try await store.insertRun(record("a", 1), owner: nil).record.id
        let a = try await store.appendLog(run: id, stage: "build", text: "héllo\n")
        let b = try await store.appendLog(run: id, stage: "build", text: "world\n")
        #expect(a.offset == 0 && b.offset == 7)
        #expect(try await store.logs(run: id, after: 0).map(\.offset) == [0, 7])
        #expect(try await store.logs(run: id, after: 7).map(\.text) == ["world\n"])
        #expect(try await store.logs(run: id, after: 3).count == 2)  // the chunk holding byte 3 comes too
        #expect(try await store.logs(run: id, after: 13).isEmpty)
    }

    @Test func theSQLiteFileIsInWALMode() async throws {
        let made = try await StoreBackend.sqlite.makeStore()
        #expect(try await made.plainValue("PRAGMA journal_mode") == "wal")
    }

    @Test(arguments: StoreBackend.allCases)
    func theDatabaseIsSharedByTwoOpeners(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let (store, other) = (made.store, try await made.reopen())
        // Writers in two openers, concurrently: SQLite's busy timeout, PostgreSQL's write lock
        // serialises them.
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                let (writer, run) = (i % 2 == 0 ? store : other, record("a", i))
                group.addTask { _ = try? await writer.insertRun(run, owner: nil) }
            }
        }
        #expect(try await store.runs(pipeline: nil, limit: 100, before: nil).count == 8)
    }

    @Test(arguments: StoreBackend.allCases)
    func listingAThousandRunsIsFast(_ backend: StoreBackend) async throws {
        let store = try await backend.makeStore().store
        for n in 0..<1000 { _ = try await store.insertRun(record(n % 3 == 0 ? "a" : "b", n), owner: nil).record }
        _ = try await store.runs(pipeline: nil, limit: 1000, before: nil)
        var times: [Double] = []
        for _ in 0..<5 {
            let start = Date()
            let runs = try await store.runs(pipeline: nil, limit: 1000, before: nil)
            times.append(Date().timeIntervalSince(start))
            #expect(runs.count == 1000 && runs.allSatisfy { $0.stages.count == 3 })
        }
        // A debug build on a shared 2-core CI machine: a loose bound that still catches a
        // query per run; the release-build figure is in docs/benchmarks.md.
        #expect(times.min()! < 1, "listing 1,000 runs took \(times)")
    }

    /// The store keeps records between listings (keyed by each run's change stamp); whatever
    /// another opener or a plain connection (GRDB, psql) writes must show in the next listing,
    /// exactly as a fresh opener with nothing cached reads it.
    @Test(arguments: StoreBackend.allCases)
    func listingsShowWhatOtherOpenersWrote(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let (store, other) = (made.store, try await made.reopen())  // as `slipway run` in another process
        var first = try await store.insertRun(record("a", 1), owner: nil).record
        let second = try await store.insertRun(record("b", 2), owner: nil).record
        func listing() async throws -> [RunRecord] { try await store.runs(pipeline: nil, limit: 10, before: nil) }
        func uncached() async throws -> [RunRecord] { try await made.reopen().runs(pipeline: nil, limit: 10, before: nil) }
        #expect(try await listing().map(\.id) == [second.id, first.id])

        first.status = .failed
        first.stages[1].status = .failed
        first.stages[1].output = nil
        first.stages[1].note = "exit 1"
        try await other.updateRun(first)
        let updated = try #require(try await listing().last)
        #expect(updated.status == .failed && updated.stages[1].status == .failed && updated.stages[1].detail == "exit 1")
        #expect(try await store.run(first.id)?.stages[1].detail == "exit 1")

        // Only a stage row, then only a run row, from a connection that is not a StateStore.
        let (firstID, secondID) = (first.id.rawValue, second.id.rawValue)
        try await made.plainSQL("UPDATE stage SET detail = 'patched' WHERE run = \(firstID) AND position = 2")
        #expect(try await listing().last?.stages[2].detail == "patched")
        try await made.plainSQL("UPDATE run SET release = 'r2' WHERE id = \(secondID)")
        #expect(try await listing().first?.release == "r2")
        try await made.plainSQL("DELETE FROM stage WHERE run = \(secondID) AND position = 2")
        #expect(try await listing().first?.stages.count == 2)

        let third = try await other.insertRun(record("a", 3), owner: nil).record
        #expect(try await listing().map(\.id) == [third.id, second.id, first.id])
        #expect(try await store.runs(pipeline: "a", limit: 10, before: nil).map(\.id) == [third.id, first.id])
        #expect(try await listing() == (try await uncached()))
    }

    /// Many writes from two openers interleaved with listings: every listing equals an
    /// uncached read of the same database.
    @Test(arguments: StoreBackend.allCases)
    func cachedListingsMatchUncachedReads(_ backend: StoreBackend) async throws {
        let made = try await backend.makeStore()
        let (store, other) = (made.store, try await made.reopen())
        var runs: [RunRecord] = []
        for n in 0..<40 {
            let writer = n % 2 == 0 ? store : other
            if n % 3 == 0 || runs.isEmpty {
                runs.append(try await writer.insertRun(record("a", n), owner: nil).record)
            } else {
                var run = runs[n % runs.count]
                run.status = RunStatus.allCases[n % RunStatus.allCases.count]
                run.stages[n % run.stages.count].output = StageOutput(kind: run.stages[n % run.stages.count].kind, text: "change \(n)")
                try await writer.updateRun(run)
                runs[n % runs.count] = run
            }
            let listed = try await store.runs(pipeline: nil, limit: 100, before: nil)
            #expect(listed == (try await made.reopen().runs(pipeline: nil, limit: 100, before: nil)))
            #expect(listed.map(\.status) == runs.reversed().map(\.status))
        }
    }
}
