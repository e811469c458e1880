import Foundation
import GRDB
import SlipwayAPI
import SlipwayCore
import State
import Testing

/// Databases written before stage outputs, run ids and release ids were typed: the same
/// stored text reads back as the typed values, and writes it out unchanged.
struct StateCompatibilityTests {
    static let digest = "sha256:" + String(repeating: "ab", count: 32)
    static let commit = String(repeating: "c0", count: 20)

    /// A state database with runs as the orchestrator wrote them before: plain SQL on the
    /// schema's tables, every value as text.
    static func legacyDatabase() throws -> String {
        let dir = FileManager.default.temporaryDirectory.path + "/slipway-legacy-\(UUID().uuidString.prefix(8))"
        let path = dir + "/state.sqlite"
        _ = try StateStore(path: path)   // the schema (its migrations have not changed)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO run (id, pipeline, status, trigger_kind, trigger_actor, commit_id, commit_author, commit_time, commit_message,
                                 created, started, finished, artifact, release, owner)
                VALUES (1, 'site', 'succeeded', 'webhook', 'octocat@203.0.113.7', ?, 'Ada <ada@example.org>', 1764300000, 'first',
                        1764300000, 1764300001, 1764300009, ?, '20261128T090000Z-abcdef', '2147483646:1'),
                       (2, 'site', 'failed', 'retry', 'ops', ?, 'Ada <ada@example.org>', 1764300000, 'first',
                        1764300100, 1764300101, 1764300109, ?, NULL, '2147483646:1'),
                       (3, 'site', 'running', 'cli', 'ada', ?, '', 0, '', 1764300200, 1764300201, NULL, NULL, NULL, '2147483646:1');
                INSERT INTO stage (run, position, name, kind, status, started, finished, detail) VALUES
                    (1, 0, 'source', 'source', 'succeeded', 1764300001, 1764300002, ?),
                    (1, 1, 'build', 'build', 'succeeded', 1764300002, 1764300005, ?),
                    (1, 2, 'approve-live', 'approval', 'succeeded', 1764300005, 1764300006, 'approved by boss: ship it'),
                    (1, 3, 'live', 'deploy', 'succeeded', 1764300006, 1764300009, '20261128T090000Z-abcdef'),
                    (2, 0, 'source', 'source', 'skipped', NULL, NULL, 'done in run 1: ' || ?),
                    (2, 1, 'build', 'build', 'skipped', NULL, NULL, 'done in run 1: ' || ?),
                    (2, 2, 'approve-live', 'approval', 'failed', 1764300101, 1764300109, 'rejected by boss'),
                    (2, 3, 'live', 'deploy', 'skipped', NULL, NULL, NULL),
                    (3, 0, 'source', 'source', 'running', 1764300201, NULL, NULL),
                    (3, 1, 'build', 'build', 'pending', NULL, NULL, NULL);
                INSERT INTO release (pipeline, target, release, artifact, commit_id, run, time)
                VALUES ('site', '/srv/site', '20261128T090000Z-abcdef', ?, ?, 1, 1764300009);
                INSERT INTO audit (time, actor, action, pipeline, run, detail) VALUES (1764300000, 'octocat', 'trigger', 'site', 1, 'webhook');
                """, arguments: [commit, digest, commit, digest, commit, commit, digest, commit, digest, digest, commit])
        }
        return path
    }

    @Test func legacyRowsReadAsTypedOutputs() async throws {
        let path = try Self.legacyDatabase()
        defer { removeTree((path as NSString).deletingLastPathComponent) }
        for store in [try StateStore(path: path), try StateStore(path: path, readOnly: true)] {
            let first = try #require(try await store.run(1))
            #expect(first.id == 1 && first.status == .succeeded && first.trigger == Trigger(.webhook, actor: "octocat@203.0.113.7"))
            #expect(first.release == ReleaseID("20261128T090000Z-abcdef") && first.artifact?.description == Self.digest)
            #expect(first.stages.map(\.output) == [.commit(Self.commit), .artifact(try Digest(parsing: Self.digest)),
                                                   .approval(ApprovalDecision(approved: true, actor: "boss", comment: "ship it")),
                                                   .release("20261128T090000Z-abcdef")])
            #expect(first.stages.allSatisfy { $0.note == nil })

            let retry = try #require(try await store.run(2))
            #expect(retry.stages[0].output == .commit(Self.commit) && retry.stages[0].note == "done in run 1")
            #expect(retry.stages[1].output?.artifact?.description == Self.digest)
            #expect(retry.stages[2].status == .failed && retry.stages[2].output == nil && retry.stages[2].note == "rejected by boss")
            #expect(retry.stages[3].detail == nil)

            let running = try #require(try await store.run(3))
            #expect(running.status == .running && running.stages.map(\.status) == [.running, .pending])

            let releases = try await store.releases(pipeline: "site", targets: ["/srv/site"])
            #expect(releases.first?.releases.map(\.id) == ["20261128T090000Z-abcdef"])
            #expect(releases.first?.releases.first?.current == true && releases.first?.releases.first?.state == .published)
            #expect(try await store.auditTrail(run: 1).map(\.action) == [.trigger])
        }
    }

    /// Writing a typed record stores the text the earlier code stored, so an older binary
    /// reading the same file sees what it always saw.
    @Test func typedRecordsStoreTheSameText() async throws {
        let path = try Self.legacyDatabase()
        defer { removeTree((path as NSString).deletingLastPathComponent) }
        let store = try StateStore(path: path)
        let queue = try DatabaseQueue(path: path)
        let rows = "SELECT run || '|' || position || '|' || name || '|' || kind || '|' || status || '|' || quote(started) || '|' || quote(finished) || '|' || quote(detail) FROM stage ORDER BY run, position"
        let before = try await queue.read { try String.fetchAll($0, sql: rows) }
        for id: RunID in [1, 2, 3] { try await store.updateRun(try #require(try await store.run(id))) }
        let after = try await queue.read { try String.fetchAll($0, sql: rows) }
        #expect(before == after && before.count == 10)
    }

    /// The JSON the API and `--json` print keeps `detail` and adds the typed fields.
    @Test func stageJSONKeepsDetailBesideTheTypedOutput() throws {
        let stage = StageRecord(name: "approve-live", kind: .approval, status: .succeeded,
                                output: .approval(ApprovalDecision(approved: true, actor: "boss", comment: "ship it")))
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(stage)) as? [String: Any])
        #expect(json["detail"] as? String == "approved by boss: ship it")
        #expect((json["output"] as? [String: Any])?["approval"] is [String: Any])
        #expect(try JSONDecoder().decode(StageRecord.self, from: JSONEncoder().encode(stage)) == stage)
        // JSON from before the typed fields decodes through `detail`.
        let old = #"{"name":"build","kind":"build","status":"succeeded","detail":"\#(Self.digest)"}"#
        #expect(try JSONDecoder().decode(StageRecord.self, from: Data(old.utf8)).output == .artifact(try Digest(parsing: Self.digest)))
        #expect(try JSONDecoder().decode(RunID.self, from: Data("42".utf8)) == 42)
        #expect(String(decoding: try JSONEncoder().encode(ReleaseID("r1")), as: UTF8.self) == #""r1""#)
    }
}
