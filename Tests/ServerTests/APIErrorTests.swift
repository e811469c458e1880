import Foundation
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct APIErrorTests {
    private func error(_ reply: LiveService.Reply) throws -> [String: String] {
        try #require(try reply.json() as? [String: String])
    }

    @Test func badInputNamesTheField() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun()
        try await LiveService.with(control: pipeline) { live throws in
            let limit = try await live.get("/api/runs?limit=abc")
            #expect(limit.status == 400)
            #expect(try error(limit)["field"] == "limit")
            #expect(try error(try await live.get("/api/runs?limit=5000"))["field"] == "limit")
            #expect(try error(try await live.get("/api/runs/x1"))["field"] == "id")
            #expect(try error(try await live.get("/api/runs/1/logs?after=-1"))["field"] == "after")

            let commit = try await live.post("/api/pipelines/web/runs", token: live.token, json: #"{"commit":"--upload-pack=sh"}"#)
            #expect(commit.status == 400)
            #expect(try error(commit)["field"] == "commit")
            let type = try await live.post("/api/pipelines/web/runs", token: live.token, json: #"{"force":"yes"}"#)
            #expect(type.status == 400)
            #expect(try error(type)["field"] == "force")
            let missing = try await live.post("/api/pipelines/web/rollback", token: live.token, json: "{}")
            #expect(try error(missing)["field"] == "target")
            let notJSON = try await live.post("/api/runs/1/approve", token: live.token, json: "not json")
            #expect(notJSON.status == 400)
            let big = try await live.post("/api/runs/1/approve", token: live.token,
                                          json: #"{"comment":""# + String(repeating: "x", count: 100_000) + #""}"#)
            #expect(big.status == 413)
        }
    }

    @Test func missingIsNotFoundAndRefusedIsConflict() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .succeeded)
        try await LiveService.with(control: pipeline) { live throws in
            let missing = try await live.get("/api/runs/99")
            #expect(missing.status == 404)
            #expect(try error(missing)["error"] == "no run 99")
            #expect(try await live.get("/api/pipelines/nope/releases").status == 404)
            #expect(try await live.get("/no/such/route").status == 404)
            #expect(try await live.post("/api/runs/1/approve", token: live.token).status == 409)
            let twice = try await live.post("/api/pipelines/web/runs", token: live.token,
                                            json: #"{"commit":"\#(String(repeating: "ab", count: 20))"}"#)
            #expect(twice.status == 409)
            #expect(try error(twice)["field"] == "commit")
        }
    }

    @Test func runsArePaged() async throws {
        let pipeline = MemoryPipeline()
        for _ in 1...5 { await pipeline.addRun(status: .succeeded) }
        try await LiveService.with(control: pipeline) { live throws in
            let first = try #require(try await live.get("/api/runs?limit=2").json() as? [String: Any])
            #expect((first["runs"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [5, 4])
            #expect(first["next"] as? Int == 4)
            let last = try #require(try await live.get("/api/pipelines/web/runs?limit=4&before=4").json() as? [String: Any])
            #expect((last["runs"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [3, 2, 1])
            #expect(last["next"] == nil)

            // A run that changed is listed as it is now, not as first encoded.
            await pipeline.finish(3, status: .failed)
            let again = try #require(try await live.get("/api/runs?limit=3").json() as? [String: Any])
            #expect((again["runs"] as? [[String: Any]])?.last?["status"] as? String == "failed")
            #expect(try await live.get("/api/runs?limit=2").text.hasPrefix(#"{"next":4,"runs":[{"commit""#))
        }
    }
}
