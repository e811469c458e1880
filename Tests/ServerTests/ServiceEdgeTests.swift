import Foundation
@testable import Server
import SlipwayCore
import SlipwayTestSupport
import Testing

/// What every client meets at the edges: HEAD everywhere GET works, errors as pages for
/// browsers and JSON for programs, and no file of the server named in any error.
@Suite(.tags(.small)) struct ServiceEdgeTests {
    static let getRoutes = [
        "/healthz", "/metrics", "/api/pipelines", "/api/runs", "/api/pipelines/web/runs", "/api/runs/1", "/api/runs/1/logs",
        "/api/runs/1/logs/stream", "/api/pipelines/web/releases", "/", "/runs/1", "/pipelines/web", "/assets/dashboard.js",
        "/assets/dashboard.css", "/login",
    ]

    @Test func headAnswersEveryGetRouteWithoutABody() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .succeeded)
        await pipeline.appendLog(1, "hello\n")
        try await LiveService.with(control: pipeline) { live throws in
            for path in Self.getRoutes {
                let get = try await live.get(path)
                let head = try await live.request(.HEAD, path)
                #expect(get.status == 200, "GET \(path): \(get.status) \(get.text)")
                #expect(head.status == get.status, "HEAD \(path)")
                #expect(head.body.isEmpty, "HEAD \(path) has no body")
                #expect(head.headers["content-type"] == get.headers["content-type"], "HEAD \(path)")
                // A stream has no length; /metrics counts the GET itself.
                if !["/api/runs/1/logs/stream", "/metrics"].contains(path) {
                    #expect(head.headers["content-length"] == String(get.body.count), "HEAD \(path) tells the GET's length")
                }
            }
            #expect(try await live.request(.HEAD, "/no/such/page").status == 404)
            #expect(try await live.request(.HEAD, "/api/runs/99").status == 404)
        }
    }

    @Test func curlDashIFindsThePages() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let base = live.base
            for path in ["/", "/api/runs", "/healthz"] {
                let curl = try await offPool { try Program.run("/usr/bin/curl", ["-sS", "-I", "--max-time", "20", base + path], timeout: .seconds(30)) }
                #expect(curl.status == 0 && curl.stdout.hasPrefix("HTTP/1.1 200"), "curl -I \(path): \(curl.stdout)\(curl.stderr)")
            }
        }
    }

    @Test func browsersGetPagesAndProgramsGetJSON() async throws {
        let pipeline = MemoryPipeline()
        try await LiveService.with(control: pipeline) { live throws in
            let browser = ["Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
            let page = try await live.request(.GET, "/no/such/page", headers: browser)
            #expect(page.status == 404)
            #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)
            #expect(page.text.contains("<h1>404 Not Found</h1>") && page.text.contains("href=\"/\""), "\(page.text)")
            let run = try await live.request(.GET, "/api/runs/99", headers: browser)
            #expect(run.status == 404 && run.text.contains("no run 99") && run.text.contains("<!doctype html>"))

            for accept in [nil, "*/*", "application/json"] {
                let reply = try await live.request(.GET, "/no/such/page", headers: accept.map { ["Accept": $0] } ?? [:])
                #expect(reply.status == 404)
                #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, "Accept: \(accept ?? "none")")
                let body = try #require(try reply.json() as? [String: String])
                #expect(body["error"]?.contains("nothing at this address") == true)
            }
            // A change without the token, from a form in a browser, is a page too.
            let refused = try await live.request(.POST, "/api/runs/1/cancel", headers: browser)
            #expect(refused.status == 401 && refused.text.contains("/login"))
        }
    }

    @Test func errorBodiesNameNoServerFile() async throws {
        let pipeline = MemoryPipeline()
        let failure = SlipwayError(.system, "journal /var/lib/slipway/targets/web/.slipway/journal", call: "read", errno: EIO)
        await pipeline.failReleases(with: SlipwayError.wrapping(failure, "cannot read the releases of /srv/web"))
        try await LiveService.with(control: pipeline) { live throws in
            let body = pushPayload(repository: "/srv/git/web.git")
            let unsigned = try await live.hook(body, signature: "sha256=" + String(repeating: "0", count: 64))
            #expect(unsigned.status == 401)
            #expect(!unsigned.text.contains(live.home.path) && !unsigned.text.contains("webhook-secret"), "\(unsigned.text)")

            let releases = try await live.get("/api/pipelines/web/releases")
            #expect(releases.status == 500)
            #expect(!releases.text.contains("/var/lib") && !releases.text.contains("/srv/web"), "\(releases.text)")
            #expect(releases.text.contains("…/journal") && releases.text.contains("Input/output error"), "\(releases.text)")
            let page = try await live.request(.GET, "/pipelines/web", headers: ["Accept": "text/html"])
            #expect(!page.text.contains("/var/lib"), "the dashboard's error text is cut too")
        }
    }

    @Test func pathsAreCutToTheirLastComponent() {
        let cases = [
            ("state database /var/lib/slipway/state.sqlite: write failed", "state database …/state.sqlite: write failed"),
            ("open '/srv/site/.slipway/lock': EACCES", "open '…/lock': EACCES"),
            ("see /login or /api", "see /login or /api"),
            ("clone https://git.example/team/web.git failed", "clone https://git.example/team/web.git failed"),
            ("ssh://deploy@web1/srv/shop is down", "ssh://deploy@web1/srv/shop is down"),
            ("wrote /tmp/x/y.", "wrote …/y."),
            ("(in /a/b/c, line 3)", "(in …/c, line 3)"),
            ("/etc/passwd", "…/passwd"),
            ("no paths here", "no paths here"),
        ]
        for (text, cut) in cases {
            #expect(ErrorText.redactingPaths(text) == cut, "\(text)")
        }
    }
}
