import Foundation
import Pipeline
import Secrets
import SlipwayCore
import SlipwayTestSupport
import Specs
import State
import Testing

/// Secrets over the API and the dashboard, on the real orchestrator and secret store: they
/// can be set, listed by name and removed with the token, and no answer ever holds a value.
@Suite(.tags(.medium)) struct SecretAPITests {
    struct Fixture {
        let directory: TemporaryDirectory
        let orchestrator: Orchestrator
        var home: SlipwayHome { directory.home }

        init() async throws {
            directory = try TemporaryDirectory("slipway-secret-api")
            orchestrator = try Orchestrator(home: directory.home)
            try await orchestrator.register(PipelineSpec(name: "web", source: .init(repository: directory.path + "/repo", branch: "main")))
        }
    }

    @Test func setListAndRemoveButNeverRead() async throws {
        let f = try await Fixture()
        let value = "s3cr3t-\(UUID().uuidString)"
        try await LiveService.with(control: f.orchestrator, home: f.home) { live throws in
            let plain = ["Content-Type": "text/plain"]
            let refused = try await live.request(.PUT, "/api/secrets/npm-token?pipeline=web", headers: plain, body: Data(value.utf8))
            #expect(refused.status == 401)
            #expect(try SecretStore(home: f.home).names(.pipeline("web")).isEmpty)

            let set = try await live.request(.PUT, "/api/secrets/npm-token?pipeline=web", token: live.token, headers: plain,
                                             body: Data((value + "\n").utf8))
            #expect(set.status == 200, "\(set.text)")
            #expect(try set.json() as? [String: String] == ["scope": "pipeline web", "name": "npm-token"])
            #expect(try SecretStore(home: f.home).value("npm-token", pipeline: "web") == value, "one trailing newline dropped")
            let global = try await live.request(.PUT, "/api/secrets/%2FCodeBuild%2Fpassword", token: live.token, headers: plain,
                                                body: Data("hunter2".utf8))
            #expect(global.status == 200)
            #expect(try SecretStore(home: f.home).names(.global) == ["/CodeBuild/password"])

            let listed = try await live.get("/api/secrets?pipeline=web")
            #expect(listed.text == #"{"names":["npm-token"],"scope":"pipeline web"}"#)
            #expect(try await live.get("/api/secrets").text == #"{"names":["/CodeBuild/password"],"scope":"global"}"#)
            for path in ["/api/secrets/npm-token?pipeline=web", "/api/secrets/npm-token", "/api/secrets?pipeline=web",
                         "/pipelines/web", "/api/pipelines/web/runs", "/metrics"] {
                let reply = try await live.get(path, token: live.token)
                #expect(!reply.text.contains(value) && !reply.text.contains("hunter2"), "GET \(path) shows no value")
            }

            let unknown = try await live.request(.PUT, "/api/secrets/x?pipeline=nosuch", token: live.token, headers: plain, body: Data("v".utf8))
            #expect(unknown.status == 404)
            let empty = try await live.request(.PUT, "/api/secrets/x", token: live.token, headers: plain, body: Data())
            #expect(empty.status == 400)
            #expect(try empty.json() as? [String: String] == ["error": "secret 'x': the value is empty", "field": "body"])
            let long = try await live.request(.PUT, "/api/secrets/" + String(repeating: "n", count: 200), token: live.token, headers: plain,
                                              body: Data("v".utf8))
            #expect(long.status == 400)
            #expect((try long.json() as? [String: String])?["field"] == "name")
            let huge = try await live.request(.PUT, "/api/secrets/big", token: live.token, headers: plain, body: Data(count: 70_000))
            #expect(huge.status == 413)

            let removed = try await live.request(.DELETE, "/api/secrets/npm-token?pipeline=web", token: live.token)
            #expect(removed.status == 200)
            #expect(try await live.request(.DELETE, "/api/secrets/npm-token?pipeline=web", token: live.token).status == 404)
            #expect(try SecretStore(home: f.home).names(.pipeline("web")).isEmpty)
        }
        let trail = try await f.orchestrator.store.auditTrail(pipeline: "web").filter { $0.action == .secret }
        #expect(trail.map(\.detail) == ["set 'npm-token' (pipeline web)", "removed 'npm-token' (pipeline web)"])
        #expect(trail.allSatisfy { $0.actor == "api@127.0.0.1" })
    }

    @Test func theDashboardSetsSecretsFromItsOwnOriginOnly() async throws {
        let f = try await Fixture()
        try await LiveService.with(control: f.orchestrator, home: f.home) { live throws in
            let cookie = try await live.sessionCookie()
            let own = ["Cookie": cookie, "Origin": live.base, "Content-Type": "text/plain"]
            #expect(try await live.request(.PUT, "/api/secrets/deploy-key?pipeline=web", headers: own, body: Data("k".utf8)).status == 200)
            let foreign = ["Cookie": cookie, "Origin": "http://evil.example", "Content-Type": "text/plain"]
            #expect(try await live.request(.PUT, "/api/secrets/deploy-key?pipeline=web", headers: foreign, body: Data("x".utf8)).status == 401)
            #expect(try SecretStore(home: f.home).value("deploy-key", pipeline: "web") == "k")

            let page = try await live.get("/pipelines/web", token: live.token)
            #expect(page.text.contains(#"<section id="secrets">"#) && page.text.contains("<code>deploy-key</code>"))
            #expect(page.text.contains(#"data-secret-url="/api/secrets/""#) && page.text.contains(#"type="password""#))
            #expect(page.text.contains(#"data-method="DELETE""#))
        }
    }
}
