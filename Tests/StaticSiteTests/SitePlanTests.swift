@testable import StaticSite
import SlipwayTestSupport
import Testing

/// The pure parts of a site deploy: how files are served and what a change writes, in which order.
@Suite(.tags(.small)) struct SitePlanTests {
    @Test func contentTypesComeFromTheExtension() {
        #expect(ContentType.of("index.html") == "text/html; charset=utf-8")
        #expect(ContentType.of("a/b/App.CSS") == "text/css; charset=utf-8")
        #expect(ContentType.of("assets/app.3f2a9c1e.js") == "text/javascript; charset=utf-8")
        #expect(ContentType.of("img/logo.svg") == "image/svg+xml")
        #expect(ContentType.of("fonts/x.woff2") == "font/woff2")
        #expect(ContentType.of("LICENSE") == "application/octet-stream")
        #expect(ContentType.of(".well-known/x") == "application/octet-stream")
        #expect(ContentType.of("dir.v2/.hidden") == "application/octet-stream")
    }

    @Test func hashedAssetsAreImmutableAndEverythingElseRevalidates() {
        for hashed in ["assets/app.3f2a9c1e.js", "assets/index-BxP3k9Qa.css", "main.a1b2c3d4e5f6.chunk.js", "img/logo.8f14e45f.png"] {
            #expect(CachePolicy.header(for: hashed) == CachePolicy.immutable, "\(hashed)")
        }
        for plain in ["index.html", "about/index.html", "robots.txt", "style.css", "jquery-3.7.1.min.js", "bootstrap.bundle.js",
                      "12345678.js", "page.3f2a9c1e.html", "app.3f2a9c1e"] {
            #expect(CachePolicy.header(for: plain) == CachePolicy.revalidate, "\(plain)")
        }
        #expect(CachePolicy.revalidate == "public, max-age=0, must-revalidate")
        #expect(CachePolicy.immutable == "public, max-age=31536000, immutable")
    }

    func file(_ path: String, _ content: String) -> SiteFile {
        SiteFile(path: path, sha256: String(repeating: content, count: 64 / content.count), size: 1)
    }

    @Test func aPlanWritesAssetsThenPagesAndRetiresWhatIsGone() {
        let live = [file("index.html", "a"), file("assets/app.11111111.js", "b"), file("logo.png", "c"), file("old.html", "d")]
        let release = [file("index.html", "e"), file("assets/app.22222222.js", "f"), file("logo.png", "c"), file("new/page.htm", "0")]
        let plan = SitePlan(live: Dictionary(uniqueKeysWithValues: live.map { ($0.path, $0) }), release: release)
        #expect(plan.assets.map(\.file.path) == ["assets/app.22222222.js"])
        #expect(plan.pages.map(\.file.path) == ["index.html", "new/page.htm"])
        #expect(plan.pages.first?.replacing?.sha256 == live[0].sha256)
        #expect(plan.retire.map(\.path) == ["assets/app.11111111.js", "old.html"])
        #expect(plan.unchanged == 1)
    }

    @Test func aChangedHeaderIsAChangeAndTheSameContentIsNot() {
        var old = file("data.json", "a")
        let same = SitePlan(live: ["data.json": old], release: [old])
        #expect(same.isEmpty && same.unchanged == 1)
        old.serving.cacheControl = "no-store"
        let changed = SitePlan(live: ["data.json": old], release: [file("data.json", "a")])
        #expect(changed.assets.count == 1)
        // A key learnt from its metadata (size unknown) that holds the content is unchanged.
        var learnt = file("data.json", "a")
        learnt.size = 0
        #expect(SitePlan(live: ["data.json": learnt], release: [file("data.json", "a")]).isEmpty)
    }
}
