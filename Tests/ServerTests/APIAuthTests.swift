import Foundation
import Server
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct APIAuthTests {
    @Test func changesNeedTheToken() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let none = try await live.post("/api/pipelines/web/runs")
            #expect(none.status == 401)
            #expect(none.headers["www-authenticate"] == "Bearer realm=\"slipway\"")
            #expect(try (none.json() as? [String: Any])?["error"] as? String != nil)
            #expect(try await live.post("/api/pipelines/web/runs", token: "slw_wrong").status == 401)
            #expect(try await live.post("/api/pipelines/web/runs", token: live.token + "0").status == 401)
            #expect(try await live.request(.POST, "/api/pipelines/web/runs", headers: ["Authorization": live.token]).status == 401)
            #expect(await pipeline.records.isEmpty, "nothing started without the token")

            let ok = try await live.post("/api/pipelines/web/runs", token: live.token)
            #expect(ok.status == 201)
            #expect(try (ok.json() as? [String: Any])?["run"] as? Int == 1)
            #expect(await pipeline.records[1]?.trigger == .init(.api, actor: "api@127.0.0.1"))
        }
    }

    @Test func everyChangeIsGated() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .waitingApproval)
        try await LiveService.with(control: pipeline) { live throws in
            for path in ["/api/runs/1/approve", "/api/runs/1/reject", "/api/runs/1/cancel", "/api/runs/1/retry",
                         "/api/pipelines/web/rollback", "/api/pipelines/web/runs"] {
                #expect(try await live.post(path, token: "nope").status == 401, "\(path)")
            }
            #expect(await pipeline.actions.isEmpty)
            #expect(try await live.post("/api/runs/1/approve", token: live.token, json: #"{"comment":"ship it"}"#).status == 200)
            #expect(try await live.post("/api/runs/1/cancel", token: live.token).status == 200)
            #expect(try await live.post("/api/runs/1/retry", token: live.token).status == 201)
            #expect(try await live.post("/api/pipelines/web/rollback", token: live.token, json: #"{"target":"/srv/web"}"#).status == 200)
            #expect(await pipeline.actions == ["approve 1 by api@127.0.0.1", "cancel 1 by api@127.0.0.1",
                                               "rollback web /srv/web by api@127.0.0.1"])
        }
    }

    @Test func readsAreOpenOnLoopbackAndGatedOtherwise() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun()
        try await LiveService.with(control: pipeline) { live throws in
            #expect(try await live.get("/api/runs").status == 200)
            #expect(try await live.get("/metrics").status == 200)
            // A page on a rebound DNS name reaching 127.0.0.1 is not this machine asking.
            let rebound = try await live.request(.GET, "/api/runs", headers: ["Host": "attacker.example:8080"])
            #expect(rebound.status == 421)
            // Names that merely start like a loopback literal are DNS names an attacker controls.
            for host in ["127.0.0.1.attacker.example", "127.0.0.1.attacker.example:8080", "[::1].attacker.example",
                         "[::1]x", "127.0.0.1:8080x", "localhost.attacker.example", "127.1", "[127.0.0.1]"] {
                #expect(try await live.request(.GET, "/api/runs", headers: ["Host": host]).status == 421, "\(host)")
            }
            for host in ["127.0.0.1", "127.0.0.1:8080", "127.8.9.10", "[::1]:8080", "[::1]", "LOCALHOST"] {
                #expect(try await live.request(.GET, "/api/runs", headers: ["Host": host]).status == 200, "\(host)")
            }
            #expect(try await live.request(.GET, "/api/runs", headers: ["Host": "localhost:8080"]).status == 200)
            #expect(try await live.request(.GET, "/api/runs", token: live.token, headers: ["Host": "attacker.example"]).status == 200)
        }
        try await LiveService.with(control: pipeline, readAccess: .token) { live throws in
            #expect(try await live.get("/api/runs").status == 401)
            #expect(try await live.get("/api/runs/1/logs/stream").status == 401)
            #expect(try await live.get("/metrics").status == 401)
            #expect(try await live.get("/api/runs", token: "wrong").status == 401)
            #expect(try await live.get("/api/runs", token: live.token).status == 200)
            #expect(try await live.get("/healthz").status == 200)
        }
        #expect(ReadAccess.default(for: try ListenAddress.parse("0.0.0.0:8080")) == .token)
        #expect(ReadAccess.default(for: try ListenAddress.parse("127.0.0.1:8080")) == .open)
        #expect(ReadAccess.default(for: try ListenAddress.parse("[::1]:8080")) == .open)
    }

    @Test func tokenIsStoredHashedAndRotates() async throws {
        let directory = try TemporaryDirectory("slipway-token")
        let home = SlipwayHome(path: directory.path)
        let token = APIToken(home: home)
        let first = try #require(try token.issueIfMissing())
        #expect(try token.issueIfMissing() == nil, "shown once: a second start makes no new token")
        let stored = try String(contentsOfFile: token.hashFile, encoding: .utf8)
        #expect(!stored.contains(first))
        #expect(stored.trimmingCharacters(in: .whitespacesAndNewlines).count == 64)
        var info = stat()
        #expect(stat(token.hashFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(token.accepts(first))

        try await LiveService.with(control: MemoryPipeline(), home: home) { live throws in
            // The harness rotated the token at start: the first one no longer works.
            #expect(!token.accepts(first))
            #expect(try await live.post("/api/pipelines/web/runs", token: first).status == 401)
            let rotated = try token.issue()
            #expect(try await live.post("/api/pipelines/web/runs", token: live.token).status == 401)
            #expect(try await live.post("/api/pipelines/web/runs", token: rotated).status == 201)
        }
    }
}
