import Foundation
import GRDB
@testable import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Synchronization
import Testing

/// The batching log writer against a real state store: order, offsets, promptness, flushes,
/// back-pressure and the size limit.
@Suite(.tags(.small))
struct RunLogTests {
    let directory: TemporaryDirectory
    let store: StateStore
    let hub = EventHub()
    let run: RunID

    init() async throws {
        directory = try TemporaryDirectory("slipway-runlog")
        store = try StateStore(path: directory.path + "/state.sqlite")
        let record = RunRecord(id: 0, pipeline: "site", status: .running, trigger: Trigger(.cli, actor: "ada"), commit: nil, created: Date(),
                               stages: [StageRecord(name: "build", kind: .build, status: .running)])
        run = try await store.insertRun(record, owner: nil).record.id
    }

    func log(limit: Int64? = nil, tuning: RunLog.Tuning = RunLog.Tuning()) -> RunLog {
        RunLog(run: run, limit: limit, store: store, hub: hub, tuning: tuning)
    }

    func stored() async throws -> [LogChunk] { try await store.logs(run: run, after: 0) }

    @Test func linesFromTwoThreadsAreStoredInOrderInFewChunks() async throws {
        let log = log()
        let count = 50_000
        // The build's output thread and the orchestrator's notes, at once.
        let output = Thread { for i in 0..<count { log.output("build", "line \(i)") } }
        output.start()
        for i in 0..<50 { log.note("deploy", "note \(i)"); try await Task.sleep(for: .milliseconds(1)) }
        try await waitUntil("the output thread to finish", timeout: .seconds(60)) { output.isFinished }
        await log.close()

        let chunks = try await stored()
        #expect(chunks.isContiguous)
        #expect(chunks.count < 400, "\(chunks.count) chunks for \(count) lines")
        #expect(chunks.allSatisfy { $0.text.utf8.count <= 64 << 10 && $0.text.hasSuffix("\n") })
        let build = chunks.filter { $0.stage == "build" }.map(\.text).joined()
        #expect(build == (0..<count).map { "line \($0)\n" }.joined())
        #expect(chunks.filter { $0.stage == "deploy" }.map(\.text).joined() == (0..<50).map { "note \($0)\n" }.joined())
        // Any offset reads back exactly the bytes from there on.
        let whole = Data(chunks.map(\.text).joined().utf8)
        for offset in [0, 1, 4_000, whole.count / 2, whole.count - 1, whole.count] {
            let from = try await store.logs(run: run, after: Int64(offset))
            let bytes = Data(from.map(\.text).joined().utf8).dropFirst(offset - Int(from.first?.offset ?? Int64(offset)))
            #expect(Data(bytes) == whole.dropFirst(offset), "from offset \(offset)")
        }
    }

    @Test(.timeLimit(.minutes(1))) func subscribersSeeALineWithoutAFlush() async throws {
        let log = log()
        let events = hub.subscribe()
        let sent = ContinuousClock.now
        log.note("build", "first")
        var seen: ContinuousClock.Instant?
        for await event in events {
            if case let .log(chunk) = event, chunk.text == "first\n" { seen = .now; break }
        }
        let delay = try #require(seen) - sent
        // 50 ms of linger and one commit; the bound leaves room for a test machine whose
        // cooperative threads other suites hold (a flush-only writer would never deliver it).
        #expect(delay < .seconds(20), "the line took \(delay)")
        #expect(try await stored().map(\.text) == ["first\n"])
        await log.close()
    }

    @Test func flushReturnsOnceEverythingQueuedIsStored() async throws {
        // A linger far longer than the test: only the flush makes the batch go.
        let log = log(tuning: RunLog.Tuning(linger: .seconds(600)))
        await log.flush()   // nothing queued: returns at once
        log.note("build", "one")
        log.note("build", "two")
        let asked = ContinuousClock.now
        await log.flush()
        #expect(ContinuousClock.now - asked < .seconds(60), "the flush, not the 600 s linger, sent the batch")
        #expect(try await stored().map(\.text).joined() == "one\ntwo\n")
        log.note("deploy", "three")
        await log.close()
        #expect(try await stored().map(\.text).joined() == "one\ntwo\nthree\n")
        log.note("deploy", "after the end")   // ignored
        await log.flush()
        #expect(try await stored().count == 2)
    }

    /// With the database locked by another connection, the writer cannot store anything: the
    /// producer stops once `highWater` bytes are queued and goes on when the lock goes.
    @Test func aProducerWaitsWhileTooMuchIsQueued() async throws {
        let log = log(tuning: RunLog.Tuning(linger: .milliseconds(1), batchBytes: 1024, highWater: 4096))
        let blocker = try DatabaseQueue(path: store.path)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? blocker.inDatabase { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                locked.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
        }
        holder.start()
        locked.wait()
        let produced = Mutex(0)
        let producer = Thread {
            for i in 0..<2_000 {
                log.output("build", String(format: "line %04d", i))
                produced.withLock { $0 = i + 1 }
            }
        }
        producer.start()
        try await Task.sleep(for: .seconds(1))
        let whileLocked = produced.withLock { $0 }
        // 4096 bytes queued plus the batch the blocked writer took: far from all 2,000 lines.
        #expect(whileLocked < 1_000, "\(whileLocked) lines went in while the writer was blocked")
        release.signal()
        try await waitUntil("the producer to finish", timeout: .seconds(30)) { producer.isFinished }
        await log.close()
        let chunks = try await stored()
        #expect(chunks.isContiguous)
        #expect(chunks.map(\.text).joined() == (0..<2_000).map { String(format: "line %04d\n", $0) }.joined())
    }

    @Test func outputPastTheLimitEndsWithAMarkerAndACount() async throws {
        let log = log(limit: 1024)
        let lines = (0..<500).map { String(format: "output %03d", $0) }   // 11 bytes each with the newline
        let producer = Thread { for line in lines { log.output("build", line) } }
        producer.start()
        try await waitUntil("the producer to finish", timeout: .seconds(30)) { producer.isFinished }
        log.note("run", "run 1: succeeded")
        await log.close()
        let text = try await stored().map(\.text).joined()
        let kept = 1024 / 11
        let expected = lines.prefix(kept).map { $0 + "\n" }.joined() + StateStore.cutMarker(1024) + "run 1: succeeded\n"
            + "[slipway] log truncated: \(500 - kept) lines (\((500 - kept) * 11) bytes) of output past the limit were not stored\n"
        #expect(text == expected)
        #expect(try await stored().isContiguous)
    }

    /// The database goes away under the log (its connections ended, new ones refused) and
    /// comes back: the lines written meanwhile are stored when it does, none lost.
    @Test(.tags(.medium), .enabled(if: PostgresServer.available), .timeLimit(.minutes(2)))
    func linesWrittenWhileTheDatabaseIsAwayAreStoredWhenItIsBack() async throws {
        let made = try await StoreBackend.postgres.makeStore()
        let server = try #require(made.server)
        guard case let .postgres(endpoint) = made.location else { throw TestFailure("not a PostgreSQL store") }
        let record = RunRecord(id: 0, pipeline: "site", status: .running, trigger: Trigger(.cli, actor: "ada"), commit: nil, created: Date(),
                               stages: [StageRecord(name: "build", kind: .build, status: .running)])
        let run = try await made.store.insertRun(record, owner: nil).record.id
        let log = RunLog(run: run, limit: nil, store: made.store, hub: hub)
        log.note("build", "before")
        await log.flush()
        let database = endpoint.database
        func cut(_ allowed: Bool) throws {
            _ = try server.psql("postgres", "ALTER DATABASE \(database) ALLOW_CONNECTIONS \(allowed)", as: "postgres")
            if !allowed {
                _ = try server.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'", as: "postgres")
            }
        }
        try cut(false)
        for i in 1...3 { log.note("build", "while away \(i)") }
        try await Task.sleep(for: .seconds(3))
        try cut(true)
        await log.close()
        let text = try await made.store.logs(run: run, after: 0).map(\.text).joined()
        #expect(text == "before\nwhile away 1\nwhile away 2\nwhile away 3\n")
    }
}

extension [LogChunk] {
    /// A whole log so far: starting at offset 0, each chunk where the one before it ends.
    var isContiguous: Bool {
        first?.offset == 0 && zip(self, dropFirst()).allSatisfy { $0.end == $1.offset }
    }

}
