import Foundation
import Secrets
import SlipwayAPI
import SlipwayTestSupport
import Testing

/// Where tests leave files for people to look at (screenshots): `.build/test-artifacts/`.
func testArtifact(_ name: String) -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.path + "/.build/test-artifacts/" + name
}

@Suite(.tags(.large), .serialized) struct DashboardBrowserTests {
    @Test(.enabled(if: HeadlessChromium.binary != nil, "Debian's chromium is not installed (scripts/install-deps installs it)"),
          .timeLimit(.minutes(2)))
    func runButtonDeploysACLIRunShowsUpAndAnOlderReleaseIsRolledBackTo() async throws {
        let site = try await HelloSitePipeline()
        defer { site.destroy() }
        try site.commit(DashboardTests.hostile)
        let first = try #require(try await site.orchestrator.start(pipeline: HelloSitePipeline.name, commit: nil,
                                                                    trigger: .init(.cli, actor: "test"), force: false))
        #expect(try await site.orchestrator.wait(run: first).status == .succeeded)
        try await LiveService.with(control: site.orchestrator) { live throws in
            let page = try await BrowserPage.open(try HeadlessChromium.shared(), url: live.base + "/")
            defer { Task { await page.close() } }
            let row = "#runs tr[data-run=\"\(first)\"]"
            try await page.waitFor("document.querySelector('\(row)')")
            #expect(try await page.evaluate("document.querySelector('\(row)').textContent.includes('<script>alert')") as? Bool == true,
                    "the hostile commit message is shown as text")
            #expect(try await page.evaluate("document.querySelectorAll('script').length") as? Int == 1)
            #expect(try await page.evaluate("document.querySelectorAll('main img').length") as? Int == 0)

            try await page.navigate(live.base + "/login")
            try await page.type(live.token, into: "input[name=token]")
            try await page.click("form.login button[type=submit]")
            try await page.waitFor("location.pathname === '/' && document.querySelector('section.pipeline button.run')")

            let commit = try site.commit("Change made for the dashboard")
            try await page.click("section.pipeline button.run")
            try await page.waitFor("location.pathname.startsWith('/runs/') && location.pathname !== '/runs/\(first)'")
            let id = try #require(RunID(try await page.evaluate("location.pathname.split('/')[2]") as? String ?? ""))
            // The page follows the run: its log live, then reloads with the final status.
            try await page.waitFor("document.getElementById('log').viewer.lines.join('\\n').includes('built Hello from Slipway')", timeout: .seconds(60))
            try await page.waitFor("document.querySelector('#run-status .status').textContent === 'succeeded' && document.getElementById('run-status').dataset.final === 'true'",
                                   timeout: .seconds(60))
            let run = try await site.orchestrator.run(id)
            #expect(run.status == .succeeded)
            #expect(run.commit?.id == commit)
            #expect(run.trigger == .init(.api, actor: "dashboard@127.0.0.1"))
            #expect(site.served?.contains("Release: \(commit)") == true, "the new commit is served")
            try await page.screenshot(to: testArtifact("dashboard-run.png"))

            // A run started from the CLI appears on the open overview, then finishes there.
            try await page.navigate(live.base + "/")
            try await page.evaluate("window.notReloaded = true")
            let third = try site.commit("Change made from the command line")
            let clock = ContinuousClock()
            let started = clock.now
            let cli = try #require(try await site.orchestrator.start(pipeline: HelloSitePipeline.name, commit: nil,
                                                                     trigger: .init(.cli, actor: "ada"), force: false))
            try await page.waitFor("document.querySelector('#runs tr[data-run=\"\(cli)\"]')", timeout: .seconds(15))
            #expect(clock.now - started < .seconds(15), "the overview shows a CLI run without a reload")
            #expect(try await site.orchestrator.wait(run: cli).status == .succeeded)
            try await page.waitFor("document.querySelector('#runs tr[data-run=\"\(cli)\"] .status').textContent === 'succeeded'", timeout: .seconds(5))
            #expect(try await page.evaluate("window.notReloaded === true") as? Bool == true)
            try await page.screenshot(to: testArtifact("dashboard-overview.png"))

            // Roll back to the first release (two back) through the releases page.
            let oldest = try #require(try await site.orchestrator.run(first).release)
            let newest = try #require(try await site.orchestrator.run(cli).release)
            try await page.navigate(live.base + "/releases")
            #expect(try await page.evaluate("document.querySelectorAll('tr[data-release] button.rollback').length") as? Int == 2)
            #expect(try await page.evaluate("document.querySelector('tr.current button.rollback')") is NSNull, "none on the current release")
            #expect(try await page.evaluate("document.querySelector('tr[data-release=\"\(oldest)\"]').textContent.includes('cli · test')") as? Bool == true,
                    "who deployed it")
            try await page.evaluate("window.confirm = (message) => { sessionStorage.asked = message; return true; }")
            try await page.click("tr[data-release=\"\(oldest)\"] button.rollback")
            try await page.waitFor("document.readyState === 'complete' && document.querySelector('tr.current[data-release=\"\(oldest)\"]')", timeout: .seconds(30))
            let current = try await site.orchestrator.releases(pipeline: HelloSitePipeline.name).first?.releases.first(where: \.current)
            #expect(current?.id == oldest)
            #expect(site.served?.contains("Release: \(try #require(try await site.orchestrator.run(first).commit?.id))") == true)
            #expect(site.served?.contains(third) == false)
            let asked = try await page.evaluate("sessionStorage.asked") as? String ?? ""
            #expect(asked.hasPrefix("Roll \(site.target) back to release \(oldest) (commit ") && asked.contains("deployed by cli · test in run #\(first)"),
                    "\(asked)")
            #expect(asked.hasSuffix("It replaces the current release \(newest) (commit \(third.prefix(10))).") , "\(asked)")
        }
    }

    @Test(.enabled(if: HeadlessChromium.binary != nil, "Debian's chromium is not installed (scripts/install-deps installs it)"),
          .timeLimit(.minutes(2)))
    func secretFormSetsAndRemovesWithoutShowingValues() async throws {
        let f = try await SecretAPITests.Fixture()
        let value = "s3cr3t-\(UUID().uuidString)"
        try await LiveService.with(control: f.orchestrator, home: f.home) { live throws in
            let page = try await BrowserPage.open(try HeadlessChromium.shared(), url: live.base + "/login")
            defer { Task { await page.close() } }
            try await page.type(live.token, into: "input[name=token]")
            try await page.click("form.login button[type=submit]")
            try await page.waitFor("location.pathname === '/'")

            try await page.navigate(live.base + "/pipelines/web")
            try await page.type("npm-token", into: "form.secret input[name=name]")
            try await page.type(value, into: "form.secret input[name=value]")
            try await page.click("form.secret button[type=submit]")
            try await page.waitFor(#"document.querySelector('tr[data-secret="npm-token"]')"#)
            #expect(try SecretStore(home: f.home).value("npm-token", pipeline: "web") == value)
            #expect(try await page.evaluate("document.documentElement.outerHTML.includes('\(value)')") as? Bool == false,
                    "the page never shows the value")
            try await page.screenshot(to: testArtifact("dashboard-secrets.png"))

            try await page.evaluate("window.confirm = () => true")
            try await page.click(#"tr[data-secret="npm-token"] button"#)
            try await page.waitFor(#"document.readyState === 'complete' && !document.querySelector('tr[data-secret="npm-token"]')"#)
            try await waitUntil("the secret to be removed from the store", timeout: .seconds(20)) {
                try SecretStore(home: f.home).names(.pipeline("web")).isEmpty
            }

            // A page that is not there is a page, not JSON.
            try await page.navigate(live.base + "/no/such/page")
            #expect(try await page.evaluate("document.querySelector('h1').textContent") as? String == "404 Not Found")
        }
    }
}
