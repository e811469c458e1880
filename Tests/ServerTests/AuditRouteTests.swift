import Foundation
import SlipwayAPI
import SlipwayTestSupport
import Testing

/// `GET /api/audit`: the audit trail, newest first, in pages.
@Suite(.tags(.small)) struct AuditRouteTests {
    @Test func theAuditTrailIsReadInPagesNewestFirst() async throws {
        let pipeline = MemoryPipeline()
        for (n, action) in [AuditEntry.Action.trigger, .approve, .rollback].enumerated() {
            await pipeline.addAudit(AuditEntry(actor: "ada", action: action, pipeline: n == 1 ? "api" : "web", run: RunID(Int64(n + 1))))
        }
        try await LiveService.with(control: pipeline) { live in
            let first = try #require(try await live.get("/api/audit?limit=2").json() as? [String: Any])
            let entries = try #require(first["entries"] as? [[String: Any]])
            #expect(entries.map { $0["action"] as? String } == ["rollback", "approve"])
            #expect(first["next"] as? Int == 2)
            let second = try #require(try await live.get("/api/audit?limit=2&before=2").json() as? [String: Any])
            #expect((second["entries"] as? [[String: Any]])?.map { $0["action"] as? String } == ["trigger"])
            #expect(second["next"] == nil)
            let web = try #require(try await live.get("/api/audit?pipeline=web").json() as? [String: Any])
            #expect((web["entries"] as? [[String: Any]])?.count == 2)
            #expect(try await live.get("/api/audit?limit=0").status == 400)
        }
    }
}
