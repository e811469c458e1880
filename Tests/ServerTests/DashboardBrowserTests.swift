import Foundation
import Testing

/// Where tests leave files for people to look at (screenshots): `.build/test-artifacts/`.
func testArtifact(_ name: String) -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.path + "/.build/test-artifacts/" + name
}

@Suite(.tags(.large), .serialized) struct DashboardBrowserTests {
    @Test(.enabled(if: HeadlessChromium.binary != nil, "Debian's chromium is not installed (scripts/install-deps installs it)"),
          .timeLimit(.minutes(2)))
    func runButtonStartsARunAndItsLogIsLive() async throws {
        let pipeline = MemoryPipeline()
        await pipeline.addRun(status: .succeeded, message: DashboardTests.hostile)
        try await LiveService.with(control: pipeline) { live throws in
            let browser = try HeadlessChromium()
            defer { browser.close() }
            let page = try await BrowserPage.open(browser, url: live.base + "/")
            try await page.waitFor("document.querySelector('#runs tr[data-run=\"1\"]')")
            #expect(try await page.evaluate("document.querySelector('#runs tr[data-run=\"1\"]').textContent.includes('<script>alert')") as? Bool == true,
                    "the hostile commit message is shown as text")
            #expect(try await page.evaluate("document.querySelectorAll('script').length") as? Int == 1)
            #expect(try await page.evaluate("document.querySelectorAll('main img').length") as? Int == 0)

            try await page.navigate(live.base + "/login")
            try await page.type(live.token, into: "input[name=token]")
            try await page.click("form.login button[type=submit]")
            try await page.waitFor("location.pathname === '/' && document.querySelector('section.pipeline button.run')")

            try await page.click("section.pipeline button.run")
            try await page.waitFor("location.pathname === '/runs/2' && document.getElementById('log')")
            #expect(await pipeline.records[2]?.trigger == .init(.api, actor: "dashboard@127.0.0.1"))

            await pipeline.appendLog(2, "hello from the build\n")
            try await page.waitFor("document.getElementById('log').textContent.includes('hello from the build')")
            try await page.screenshot(to: testArtifact("dashboard-run.png"))
        }
    }
}
