import Foundation
import SlipwayAPI
import SlipwayCore
import SlipwayTestSupport
import Testing

@Suite(.tags(.small)) struct DashboardTests {
    static let hostile = #"<script>alert("x")</script> & <img src=x onerror=alert(1)> '"#

    @Test func pagesEscapeWhatTheyShow() async throws {
        let pipeline = MemoryPipeline(pipelines: ["web", "<i>api"])
        let run = await pipeline.addRun(status: .waitingApproval, message: Self.hostile + "\nsecond line")
        await pipeline.appendLog(run.id, "</pre><script>alert(2)</script>\n")
        try await LiveService.with(control: pipeline) { live throws in
            for path in ["/", "/runs/\(run.id)", "/pipelines/web", "/pipelines/%3Ci%3Eapi"] {
                let page = try await live.get(path)
                #expect(page.status == 200, "\(path)")
                #expect(page.headers["content-type"] == "text/html; charset=utf-8")
                #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
                #expect(!page.text.contains("<script>alert"), "\(path)")
                #expect(!page.text.contains("<img src=x"), "\(path)")
                #expect(!page.text.contains("<i>api"), "\(path)")
            }
            let overview = try await live.get("/").text
            #expect(overview.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt; &#39;"))
            #expect(overview.contains(#"data-post="/api/runs/1/approve""#))
            #expect(overview.contains(#"data-post="/api/pipelines/web/runs""#))
            #expect(!overview.contains("/rollback"), "no release, nothing to roll back to")
            #expect(overview.contains(#"data-post="/api/pipelines/%3Ci%3Eapi/runs""#))
            let runPage = try await live.get("/runs/\(run.id)").text
            #expect(runPage.contains(#"data-stream="/api/runs/1/logs/stream""#))
            #expect(try await live.get("/assets/dashboard.js").headers["content-type"] == "text/javascript; charset=utf-8")
        }
    }

    @Test func loginCookieWorksOnlyFromTheSameOrigin() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let form = ["Content-Type": "application/x-www-form-urlencoded"]
            let wrong = try await live.request(.POST, "/login", headers: form, body: Data("token=slw_nope&next=%2F".utf8))
            #expect(wrong.status == 401)
            #expect(wrong.headers["set-cookie"] == nil)
            let right = try await live.request(.POST, "/login", headers: form,
                                               body: Data("token=\(live.token)&next=%2F%2Fevil.example".utf8))
            #expect(right.status == 303)
            #expect(right.headers["location"] == "/", "no redirect off the service")
            let cookie = try #require(right.headers["set-cookie"])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            let pair = String(cookie.split(separator: ";")[0])

            let origin = "http://127.0.0.1:\(live.port)"
            let cases: [([String: String], Int)] = [
                (["Cookie": pair, "Origin": "https://evil.example"], 401),
                (["Cookie": pair, "Origin": origin, "Sec-Fetch-Site": "cross-site"], 401),
                (["Cookie": "slipway_token=slw_forged", "Origin": origin], 401),
                (["Cookie": pair, "Origin": origin, "Sec-Fetch-Site": "same-origin"], 201),
            ]
            for (headers, status) in cases {
                let reply = try await live.request(.POST, "/api/pipelines/web/runs", headers: headers, body: Data("{}".utf8))
                #expect(reply.status == status, "\(headers)")
            }
            #expect(await pipeline.records[1]?.trigger.actor == "dashboard@127.0.0.1")
            #expect(await pipeline.records.count == 1)
        }
    }

    @Test func loginsAreSessionsThatCanBeRememberedAndEnded() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let form = ["Content-Type": "application/x-www-form-urlencoded"]
            func login(remember: Bool) async throws -> (pair: String, header: String) {
                let reply = try await live.request(.POST, "/login", headers: form,
                                                   body: Data("token=\(live.token)\(remember ? "&remember=1" : "")&next=%2F".utf8))
                let header = try #require(reply.headers["set-cookie"])
                return (String(header.split(separator: ";")[0]), header)
            }
            func change(_ pair: String) async throws -> Int {
                try await live.request(.POST, "/api/pipelines/web/runs", headers: ["Cookie": pair, "Origin": live.base], body: Data("{}".utf8)).status
            }
            let plain = try await login(remember: false)
            #expect(!plain.header.contains("Max-Age"), "without remember me the cookie lasts the browser session")
            #expect(plain.pair.hasPrefix("slipway_token=sls_") && !plain.pair.contains(live.token), "the cookie holds a session, not the token")
            let remembered = try await login(remember: true)
            #expect(remembered.header.contains("Max-Age=2592000"), "remember me: 30 days")
            #expect(try await change(plain.pair) == 201)
            #expect(try await change(remembered.pair) == 201)
            let stored = try String(contentsOfFile: live.home.path + "/serve/sessions", encoding: .utf8)
            #expect(!stored.contains("sls_") && stored.split(separator: "\n").count == 2, "only digests are kept")

            // Logging out ends that session on the server, and only that one.
            _ = try await live.request(.POST, "/logout", headers: ["Cookie": plain.pair].merging(form) { $1 }, body: Data())
            #expect(try await change(plain.pair) == 401)
            #expect(try await change(remembered.pair) == 201)
            // "Log out everywhere" ends them all.
            let other = try await login(remember: true)
            _ = try await live.request(.POST, "/logout", headers: ["Cookie": other.pair, "Origin": live.base].merging(form) { $1 },
                                       body: Data("everywhere=1".utf8))
            #expect(try await change(remembered.pair) == 401)
            // So does a new token.
            let again = try await login(remember: true)
            #expect(try await change(again.pair) == 201)
            _ = try live.service.token.issue()
            #expect(try await change(again.pair) == 401)
        }
    }

    @Test func pagesNeedLoginWhenReadsNeedTheToken() async throws {
        try await LiveService.with(control: MemoryPipeline(), readAccess: .token) { live throws in
            let page = try await live.request(.GET, "/runs/1", headers: ["Accept": "text/html"])
            #expect(page.status == 303)
            #expect(page.headers["location"] == "/login?next=/runs/1")
            #expect(try await live.get("/login").status == 200)
        }
    }
}
