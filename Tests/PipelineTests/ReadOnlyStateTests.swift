import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// `slipway runs`, `logs` and `pipeline ls` open the state read-only: neither they nor the
/// orchestrator they construct write anything, not even the runs of a dead process, which only
/// a service (`slipway serve`) takes over.
@Suite(.tags(.medium)) struct ReadOnlyStateTests {
    /// The database file's bytes, and the WAL's (absent and empty are the same: nothing written).
    static func fingerprint(_ path: String) -> [Data] {
        [FileManager.default.contents(atPath: path) ?? Data(), FileManager.default.contents(atPath: path + "-wal") ?? Data()]
    }

    @Test func readingCommandsAndAReadOnlyOrchestratorWriteNothing() async throws {
        let path = try StateCompatibilityTests.legacyDatabase()
        let home = SlipwayHome(path: (path as NSString).deletingLastPathComponent)
        defer { removeTree(home.path) }
        let before = Self.fingerprint(path)

        let reader = try Orchestrator(home: home, readOnly: true)
        #expect(try await reader.runs(pipeline: nil, limit: 10, before: nil).map(\.id) == [3, 2, 1])
        #expect(try await reader.logs(run: 1, after: 0).isEmpty)
        #expect(try await reader.pipelines().isEmpty)
        await #expect(throws: SlipwayError.self) { try await reader.start(pipeline: "site", commit: "abcd", trigger: Trigger(.cli, actor: "t"), force: true) }
        for command in [["runs", "--json"], ["logs", "1"], ["pipeline", "ls"]] {
            let out = try SlipwayCommand(home: home.path).run(command)
            #expect(out.status == 0, "\(command): \(out.stderr)")
        }
        #expect(Self.fingerprint(path) == before)
        // Run 3's owner (a pid no process has) is gone, and still nobody marked it.
        #expect(try await reader.run(3).status == .running)

        // Nor does a writer that is not a service. A service takes the run over; its pipeline is
        // not registered, so a person must decide: it ends interrupted, saying why.
        let writer = try Orchestrator(home: home)
        #expect(try await writer.serving { try await writer.run(3) }.status == .running)
        let service = Task { await writer.run(adopting: true) }
        defer { service.cancel() }
        let taken = try await eventually("run 3 to be taken over", timeout: .seconds(10)) { () -> RunRecord? in
            let run = try await writer.run(3)
            return run.status.isFinal ? run : nil
        }
        #expect(taken.status == .interrupted)
        #expect(taken.stages[0].status == .interrupted && taken.stages[0].note?.contains("no pipeline 'site'") == true, "\(taken.stages)")
        // The audit entry is written just after the run's status: wait for it, then there is one.
        let trail = try await eventually("run 3's audit entry", timeout: .seconds(10)) { () -> [AuditEntry]? in
            let trail = try await writer.auditTrail(run: 3)
            return trail.isEmpty ? nil : trail
        }
        #expect(trail.map(\.action) == [.interrupted], "\(trail)")
        #expect(Self.fingerprint(path) != before)
    }

    @Test func readingAHomeWithoutStateCreatesNothing() async throws {
        let home = SlipwayHome(path: FileManager.default.temporaryDirectory.path + "/slipway-empty-\(UUID().uuidString.prefix(8))")
        defer { removeTree(home.path) }
        #expect(try await Orchestrator(home: home, readOnly: true).runs(pipeline: nil, limit: 5, before: nil).isEmpty)
        let out = try SlipwayCommand(home: home.path).run(["runs"])
        #expect(out.status == 0 && out.stdout.isEmpty, "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home.path + "/state.sqlite"))
    }
}
