import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// Batched log appends, the log's size limit and the retention queries, on SQLite and on
/// PostgreSQL.
@Suite(.tags(.small))
struct LogRetentionStoreTests {
    /// One behaviour each, run on a fresh store of every backend.
    enum Check: String, CaseIterable, Sendable {
        case aBatchIsOneChunkPerPieceWithContiguousOffsets
        case outputPastTheLimitIsCutAtALineWithAMarkerAndCounted
        case aLineLongerThanTheRoomLeftIsNotSplit
        case pruningByCountKeepsTheNewestRunsAndThoseInFlight
        case pruningByAgeKeepsTheNewestRunHoweverOld
        case retainedArtifactsFollowEachPipelinesRule
    }

    @Test(arguments: StoreBackend.allCases, Check.allCases)
    func logsAndRetention(_ backend: StoreBackend, _ check: Check) async throws {
        let bench = try await LogRetentionBench(backend)
        switch check {
        case .aBatchIsOneChunkPerPieceWithContiguousOffsets: try await bench.aBatchIsOneChunkPerPieceWithContiguousOffsets()
        case .outputPastTheLimitIsCutAtALineWithAMarkerAndCounted: try await bench.outputPastTheLimitIsCutAtALineWithAMarkerAndCounted()
        case .aLineLongerThanTheRoomLeftIsNotSplit: try await bench.aLineLongerThanTheRoomLeftIsNotSplit()
        case .pruningByCountKeepsTheNewestRunsAndThoseInFlight: try await bench.pruningByCountKeepsTheNewestRunsAndThoseInFlight()
        case .pruningByAgeKeepsTheNewestRunHoweverOld: try await bench.pruningByAgeKeepsTheNewestRunHoweverOld()
        case .retainedArtifactsFollowEachPipelinesRule: try await bench.retainedArtifactsFollowEachPipelinesRule()
        }
    }
}

/// A fresh store of one backend and the tests' steps on it.
struct LogRetentionBench {
    let made: TestStore
    var store: StateStore { made.store }

    init(_ backend: StoreBackend) async throws {
        made = try await backend.makeStore()
    }

    static let digest = "sha256:" + String(repeating: "0", count: 63)

    /// A run of `pipeline` with `status`, created and finished `age` seconds ago, whose
    /// artifact ends in `n`.
    func insert(_ pipeline: String, _ n: Int, status: RunStatus = .succeeded, age: TimeInterval = 0) async throws -> RunID {
        let at = Date().addingTimeInterval(-age)
        let record = RunRecord(id: 0, pipeline: pipeline, status: status, trigger: Trigger(.cli, actor: "ada"),
                               commit: CommitInfo(id: String(format: "%040x", n), author: "Ada", time: at, message: "change \(n)"),
                               created: at, started: at, finished: status.isFinal ? at : nil,
                               stages: [StageRecord(name: "build", kind: .build, status: status.isFinal ? .succeeded : .running)],
                               artifact: try Digest(parsing: "sha256:" + String(format: "%064x", n)))
        let id = try await store.insertRun(record, owner: nil).record.id
        try await store.appendLog(run: id, stage: "build", text: "line of run \(n)\n")
        return id
    }

    func artifact(_ n: Int) throws -> Digest { try Digest(parsing: "sha256:" + String(format: "%064x", n)) }

    func text(_ run: RunID, after offset: Int64 = 0) async throws -> String {
        try await store.logs(run: run, after: offset).map(\.text).joined()
    }

    func aBatchIsOneChunkPerPieceWithContiguousOffsets() async throws {
        let run = try await insert("a", 1)
        let start = Int64("line of run 1\n".utf8.count)
        let pieces = [LogPiece(stage: "build", text: "héllo\nworld\n", limited: true),
                      LogPiece(stage: "deploy", text: "switched\n", limited: true),
                      LogPiece(stage: "run", text: "run 1: succeeded\n", limited: false)]
        let appended = try await store.appendLog(run: run, pieces, limit: nil)
        #expect(appended.chunks.map(\.offset) == [start, start + 13, start + 22])
        #expect(appended.chunks.map(\.stage) == ["build", "deploy", "run"])
        #expect(!appended.cut && appended.droppedBytes == 0)
        let stored = try await store.logs(run: run, after: 0)
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.end == $1.offset })
        #expect(try await text(run) == "line of run 1\nhéllo\nworld\nswitched\nrun 1: succeeded\n")
        // From inside a chunk: that chunk and those after it, found without a scan.
        #expect(try await store.logs(run: run, after: start + 3).map(\.offset) == [start, start + 13, start + 22])
        #expect(try await store.logs(run: run, after: start + 13).map(\.stage) == ["deploy", "run"])
        #expect(try await store.logs(run: run, after: start + 40).isEmpty)
    }

    func outputPastTheLimitIsCutAtALineWithAMarkerAndCounted() async throws {
        let run = try await insert("a", 1)   // 14 bytes already
        let lines = (1...20).map { String(format: "output line %02d\n", $0) }.joined()   // 20 × 15 bytes
        let first = try await store.appendLog(run: run, [LogPiece(stage: "build", text: lines, limited: true)], limit: 100)
        #expect(first.cut)
        #expect(first.droppedLines == 15 && first.droppedBytes == 15 * 15)   // 14 + 5 × 15 = 89 ≤ 100
        let marker = StateStore.cutMarker(100)
        #expect(marker.contains("100 bytes") && marker.contains("retention.max-log-size"))
        #expect(try await text(run) == "line of run 1\n" + (1...5).map { String(format: "output line %02d\n", $0) }.joined() + marker)

        // Another opener (a process resuming the run) finds the cut: output dropped, notes kept.
        let other = try await made.reopen()
        let later = try await other.appendLog(run: run, [LogPiece(stage: "build", text: "more\nand more\n", limited: true),
                                                         LogPiece(stage: "run", text: "run 1: failed\n", limited: false)], limit: 100)
        #expect(later.cut && later.droppedLines == 2 && later.droppedBytes == 14)
        #expect(try await text(run).hasSuffix(marker + "run 1: failed\n"))
        let stored = try await store.logs(run: run, after: 0)
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.end == $1.offset })
        #expect(StateStore.byteSize(50 << 20) == "50 MiB" && StateStore.byteSize(4096) == "4 KiB" && StateStore.byteSize(1000) == "1000 bytes")
    }

    func aLineLongerThanTheRoomLeftIsNotSplit() async throws {
        let run = try await insert("a", 1)
        let appended = try await store.appendLog(run: run, [LogPiece(stage: "build", text: String(repeating: "x", count: 500) + "\n", limited: true)],
                                                 limit: 200)
        #expect(appended.chunks.count == 1 && appended.droppedLines == 1 && appended.droppedBytes == 501)
        #expect(try await text(run) == "line of run 1\n" + StateStore.cutMarker(200))
    }

    func pruningByCountKeepsTheNewestRunsAndThoseInFlight() async throws {
        let waiting = try await insert("a", 0, status: .waitingApproval)
        var finished: [RunID] = []
        for n in 1...6 { finished.append(try await insert("a", n)) }
        let running = try await insert("a", 7, status: .running)
        let other = try await insert("b", 8)
        let pruned = try await store.pruneRuns(pipeline: "a", rule: RunRetention(runs: 3, maxAge: nil))
        // The newest three are 7 (running), 6 and 5; 0 waits for approval.
        #expect(pruned.runs == Array(finished[0..<4]))
        #expect(try await store.runs(pipeline: "a", limit: 100, before: nil).map(\.id) == [running, finished[5], finished[4], waiting])
        for id in pruned.runs {
            #expect(try await store.run(id) == nil)
            #expect(try await store.logs(run: id, after: 0).isEmpty)
        }
        #expect(try await text(finished[5]) == "line of run 6\n")
        #expect(try await store.run(other) != nil)
        var remaining: [String?] = []
        for table in ["stage", "log_chunk"] {
            remaining.append(try await made.plainValue("SELECT COUNT(*) FROM \(table) WHERE run NOT IN (SELECT id FROM run)"))
        }
        #expect(remaining == ["0", "0"])
        #expect(try await store.pipelinesWithRuns() == ["a", "b"])
    }

    func pruningByAgeKeepsTheNewestRunHoweverOld() async throws {
        let day = 86400.0
        let old = try await insert("a", 1, age: 40 * day)
        let older = try await insert("a", 2, age: 35 * day)
        let waiting = try await insert("a", 3, status: .waitingApproval, age: 31 * day)
        let recent = try await insert("a", 4, age: 2 * day)
        let newestButOld = try await insert("a", 5, age: 45 * day)
        let rule = RunRetention(runs: nil, maxAge: 30 * day)
        #expect(try await store.retainedArtifacts(rules: ["a": rule], fallback: RunRetention(runs: 1, maxAge: nil))
                == [try artifact(3), try artifact(4), try artifact(5)])
        let pruned = try await store.pruneRuns(pipeline: "a", rule: rule)
        #expect(Set(pruned.runs) == [old, older])
        #expect(try await store.runs(pipeline: "a", limit: 100, before: nil).map(\.id) == [newestButOld, recent, waiting])
        #expect(pruned.oldestKept.map { abs($0.timeIntervalSinceNow + 45 * day) < 60 } == true)
        // No limits: nothing goes.
        #expect(try await store.pruneRuns(pipeline: "a", rule: RunRetention(runs: nil, maxAge: nil)).runs.isEmpty)
    }

    func retainedArtifactsFollowEachPipelinesRule() async throws {
        for n in 1...4 { _ = try await insert("a", n) }
        for n in 11...14 { _ = try await insert("b", n) }
        _ = try await insert("c", 21, age: 90 * 86400)
        _ = try await insert("c", 22)
        let kept = try await store.retainedArtifacts(rules: ["a": RunRetention(runs: 2, maxAge: nil)],
                                                     fallback: RunRetention(runs: 3, maxAge: 30 * 86400))
        #expect(kept == Set(try [3, 4, 12, 13, 14, 22].map(artifact)))
    }
}
