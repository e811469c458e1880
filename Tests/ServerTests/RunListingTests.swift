import Foundation
import Pipeline
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import State
import Testing

/// `GET /api/runs` over the real state store. The service keeps runs and their JSON between
/// requests; what another process writes to the same database must still show in the next
/// listing.
@Suite(.tags(.small))
struct RunListingTests {
    func record(_ n: Int, status: RunStatus) -> RunRecord {
        RunRecord(id: 0, pipeline: "hello-site", status: status, trigger: Trigger(.cli, actor: "ada"),
                  commit: CommitInfo(id: String(format: "%040x", n), author: "Ada", time: Date(), message: "change \(n)"),
                  created: Date(), started: Date(),
                  stages: [StageRecord(name: "source", kind: .source, status: .succeeded, detail: "commit"),
                           StageRecord(name: "build", kind: .build, status: status == .succeeded ? .succeeded : .running)])
    }

    /// Statuses of the runs in a listing, with their build stage's, newest first.
    func statuses(_ live: LiveService, _ path: String = "/api/runs?limit=1000") async throws -> [String] {
        let reply = try await live.get(path)
        #expect(reply.status == 200)
        let page = try #require(try reply.json() as? [String: Any])
        let runs = try #require(page["runs"] as? [[String: Any]])
        return runs.map { run in
            let stages = run["stages"] as? [[String: Any]] ?? []
            return "\(run["id"] ?? "?") \(run["status"] ?? "?")/\(stages.last?["status"] ?? "?")"
        }
    }

    @Test func listingShowsWhatAnotherProcessWrote() async throws {
        let directory = try TemporaryDirectory("slipway-listing")
        let home = SlipwayHome(path: directory.path)
        let orchestrator = try Orchestrator(home: home)
        let cli = try StateStore(home: home)  // the store a `slipway run` in another process opens
        var first = try await cli.insertRun(record(1, status: .succeeded), owner: nil).record
        var second = try await cli.insertRun(record(2, status: .running), owner: nil).record
        try await LiveService.with(control: orchestrator) { live in
            #expect(try await statuses(live) == ["\(second.id) running/running", "\(first.id) succeeded/succeeded"])
            #expect(try await statuses(live) == ["\(second.id) running/running", "\(first.id) succeeded/succeeded"])

            second.status = .failed
            second.stages[1].status = .failed
            try await cli.updateRun(second)
            #expect(try await statuses(live) == ["\(second.id) failed/failed", "\(first.id) succeeded/succeeded"])

            let third = try await cli.insertRun(record(3, status: .running), owner: nil).record
            #expect(try await statuses(live) == ["\(third.id) running/running", "\(second.id) failed/failed",
                                                  "\(first.id) succeeded/succeeded"])
            first.stages[1].status = .failed
            try await cli.updateRun(first)
            #expect(try await statuses(live, "/api/runs?limit=1&before=\(second.id)") == ["\(first.id) succeeded/failed"])
            #expect(try await statuses(live) == ["\(third.id) running/running", "\(second.id) failed/failed",
                                                  "\(first.id) succeeded/failed"])
        }
    }
}
