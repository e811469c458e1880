import Artifacts
import Deploy
import Foundation
@testable import ObjectStorage
import SlipwayCore
import SlipwayTestSupport
@testable import StaticSite
import Testing

/// Site deploys into moto's S3 server (signatures enforced, website hosting on): what goes
/// up, with which headers, in which order, what a redeploy sends, rollbacks, deletions after
/// the grace period, and the records in the bucket.
@Suite(.tags(.medium), .enabled(if: MotoServer.available)) struct SiteDeployTests {
    func deployer(_ site: SiteFixture, grace: TimeInterval = 600, events: @escaping DeployEventSink = { _ in }) throws -> SiteDeployer {
        var options = SiteDeployOptions()
        options.grace = grace
        return SiteDeployer(target: try site.target(), store: site.store, options: options, events: events)
    }

    @Test func aSiteGoesUpWithContentTypesAndCacheHeaders() async throws {
        let site = try await SiteFixture.make("slipway-site-up")
        let result = try await deployer(site).deploy(try site.site(1))
        #expect(result.status == "succeeded" && result.uploaded == 8 && result.copied == 0 && result.previous == nil, "\(result)")
        #expect(try await site.siteKeys() == ["404.html", SiteFixture.assetName("app", 1), SiteFixture.assetName("style", 1), "index.html",
                                              "p/000.html", "p/001.html", "p/002.html", "robots.txt"].sorted())
        let page = try await site.headers("index.html")
        #expect(page["content-type"] == "text/html; charset=utf-8" && page["cache-control"] == "public, max-age=0, must-revalidate", "\(page)")
        let asset = try await site.headers(SiteFixture.assetName("app", 1))
        #expect(asset["content-type"] == "text/javascript; charset=utf-8" && asset["cache-control"] == "public, max-age=31536000, immutable", "\(asset)")
        let robots = try await site.headers("robots.txt")
        #expect(robots["content-type"] == "text/plain; charset=utf-8" && robots["cache-control"] == "public, max-age=0, must-revalidate", "\(robots)")
        #expect(try await site.mixing(at: "index.html") == nil)
        // The release's manifest and the journal are in the bucket.
        let releases = try await site.target().releases()
        #expect(releases.count == 1 && releases[0].id == result.release && releases[0].current && releases[0].state == .published)
        let manifest = try await site.target().manifest(result.release)
        let stored = try site.store.list().first?.digest.description
        #expect(manifest?.files.count == 8 && manifest?.artifact == stored)
    }

    @Test func aRedeployChangingOneFileUploadsOneObject() async throws {
        let site = try await SiteFixture.make("slipway-site-one")
        let tree = try site.siteTree(1, pages: 50)
        let first = try await deployer(site).deploy(try site.store.pack(directory: tree))
        #expect(first.uploaded == 55)
        try Data("<p>gone, really</p>\n".utf8).write(to: URL(fileURLWithPath: tree + "/404.html"))
        let second = try await deployer(site).deploy(try site.store.pack(directory: tree))
        #expect(second.uploaded == 1 && second.copied == 0 && second.unchanged == 54 && second.retired == 0, "\(second)")
        #expect(second.previous == first.release)
        #expect(try await site.text("404.html") == "<p>gone, really</p>\n")
        // The same artifact again: nothing to send.
        let third = try await deployer(site).deploy(try site.store.pack(directory: tree))
        #expect(third.uploaded == 0 && third.copied == 0 && third.unchanged == 55, "\(third)")
    }

    @Test func assetsAreUpBeforeAnyPageAndOldAssetsStayThroughTheGracePeriod() async throws {
        let site = try await SiteFixture.make("slipway-site-order")
        _ = try await deployer(site).deploy(try site.site(1))
        // AfterInstall runs between the assets and the pages: the new assets must be there
        // and every page still the old one. It checks with the AWS SDK, as a user's hook would.
        let check = """
            #!/bin/sh
            exec python3 - <<'PY'
            boto3, os = __import__("boto3"), __import__("os")
            s3 = boto3.client("s3")
            get = lambda k: s3.get_object(Bucket=os.environ["SITE_BUCKET"], Key=os.environ["SITE_PREFIX"] + "/" + k)["Body"].read().decode()
            assert get("\(SiteFixture.assetName("app", 2))") == "version 2\\n", "new asset missing"
            assert 'data-version="1"' in get("index.html"), "a page changed before AfterInstall"
            print("assets first: ok")
            PY
            """
        let appspec = "version: 0.0\nos: linux\nhooks:\n  AfterInstall:\n    - location: hooks/check.sh\n"
        let tree = try site.siteTree(2, extra: ["appspec.yml": appspec, "hooks/check.sh": check])
        chmod(tree + "/hooks/check.sh", 0o755)
        let lines = Locked<[String]>([])
        var options = SiteDeployOptions()
        options.grace = 600
        options.environment = site.moto.environment
        let result = try await SiteDeployer(target: try site.target(), store: site.store, options: options,
                                            events: { event in lines.withLock { $0.append(event.description) } }).deploy(try site.store.pack(directory: tree))
        #expect(lines.withLock { $0 }.contains { $0.contains("assets first: ok") }, "\(lines.withLock { $0 })")
        #expect(result.retired == 2 && result.deleted == 0, "\(result)")
        // The appspec and the hook are not part of the site.
        let keys = try await site.siteKeys()
        #expect(!keys.contains("appspec.yml") && !keys.contains("hooks/check.sh"), "\(keys)")
        // The old assets stay for old pages still open somewhere; a deploy after the grace
        // period deletes them, and only them.
        #expect(keys.contains(SiteFixture.assetName("app", 1)))
        let later = try await deployer(site, grace: 0).deploy(try site.site(2))
        #expect(later.deleted == 2 && later.uploaded == 0, "\(later)")
        let after = try await site.siteKeys()
        #expect(!after.contains(SiteFixture.assetName("app", 1)) && after.contains(SiteFixture.assetName("app", 2)), "\(after)")
        #expect(try await site.mixing(at: "p/001.html") == nil)
    }

    @Test func aRollbackRepointsFromObjectsTheBucketKept() async throws {
        let site = try await SiteFixture.make("slipway-site-rollback")
        let first = try await deployer(site, grace: 0).deploy(try site.site(1))
        let second = try await deployer(site, grace: 0).deploy(try site.site(2))
        #expect(try await site.text("index.html")?.contains(#"data-version="2""#) == true)
        #expect(!(try await site.siteKeys()).contains(SiteFixture.assetName("app", 1)))
        // No artifact on this machine: everything comes from what the bucket kept.
        var options = SiteDeployOptions()
        options.grace = 0
        let back = try await SiteRollback(target: try site.target(), store: nil, options: options).run()
        #expect(back.release == first.release && back.previous == second.release, "\(back)")
        #expect(back.uploaded == 0 && back.copied == 6, "\(back)")
        #expect(try await site.mixing(at: "index.html") == nil)
        #expect(try await site.text("p/002.html")?.contains(#"data-version="1""#) == true)
        #expect(try await site.headers("index.html")["content-type"] == "text/html; charset=utf-8")
        let listed = try await site.target().releases()
        #expect(listed.map(\.id) == [second.release, first.release] && listed[1].current)
        // And forward again by name.
        let forward = try await SiteRollback(target: try site.target(), store: nil, options: options).run(to: String(ReleaseID.sequence(of: second.release)))
        #expect(forward.release == second.release && forward.uploaded == 0, "\(forward)")
        #expect(try await site.text("index.html")?.contains(#"data-version="2""#) == true)
        #expect(try await site.siteKeys().filter { $0.hasPrefix("assets/") } == [SiteFixture.assetName("app", 2), SiteFixture.assetName("style", 2)])
    }

    @Test func aFailedValidateServiceSwitchesTheSiteBack() async throws {
        let site = try await SiteFixture.make("slipway-site-validate")
        let first = try await deployer(site, grace: 0).deploy(try site.site(1))
        let appspec = "version: 0.0\nos: linux\nhooks:\n  ValidateService:\n    - location: validate.sh\n"
        let tree = try site.siteTree(2, extra: ["appspec.yml": appspec, "validate.sh": "#!/bin/sh\necho the new site is wrong\nexit 3\n"])
        let error = await #expect(throws: SlipwayError.self) {
            try await deployer(site, grace: 0).deploy(try site.store.pack(directory: tree))
        }
        #expect(error?.message.contains("ValidateService: validate.sh exited with status 3") == true
                && error?.message.contains("switched back to release \(first.release)") == true, "\(String(describing: error))")
        #expect(try await site.text("index.html")?.contains(#"data-version="1""#) == true)
        #expect(try await site.mixing(at: "p/000.html") == nil)
        let listed = try await site.target().releases()
        #expect(listed.map(\.state) == [.bad, .published] && listed[1].current, "\(listed)")
        // The new assets written before the failure leave like any others.
        #expect(try await site.target().state().retired.map(\.file.path).sorted() == [SiteFixture.assetName("app", 2), SiteFixture.assetName("style", 2)])
    }

    @Test func aRollbackUploadsWhatTheBucketNoLongerKeepsFromTheStoreOrRefuses() async throws {
        let site = try await SiteFixture.make("slipway-site-refetch")
        let first = try await deployer(site, grace: 0).deploy(try site.site(1))
        _ = try await deployer(site, grace: 0).deploy(try site.site(2))
        // Someone removed the kept copies.
        let state = try await site.target().state()
        // The old pages' content and the old assets' (both assets hold "version 1").
        #expect(state.kept.count == 2, "\(state.kept)")
        for sha in state.kept { try await site.client.delete(site.prefix + "/.slipway/objects/sha256/" + sha) }
        var options = SiteDeployOptions()
        options.grace = 0
        var broken = state
        broken.kept = []
        try await site.target().save(broken)
        let refused = await #expect(throws: SlipwayError.self) {
            try await SiteRollback(target: try site.target(), store: nil, options: options).run()
        }
        #expect(refused?.message.contains("release \(first.release) needs 6 file(s) the bucket no longer keeps and this machine's store lacks") == true,
                "\(String(describing: refused))")
        #expect(try await site.text("index.html")?.contains(#"data-version="2""#) == true)
        // This machine's store has the release's artifact: what the bucket lacks is uploaded from it.
        let back = try await SiteRollback(target: try site.target(), store: site.store, options: options).run()
        #expect(back.release == first.release && back.uploaded == 6 && back.copied == 0, "\(back)")
        #expect(try await site.mixing(at: "index.html") == nil)
    }

    @Test func aHeldLockRefusesASecondDeployNamingItsHolder() async throws {
        let site = try await SiteFixture.make("slipway-site-lock")
        let artifact = try site.site(1)
        let lock = try await SiteLock.acquire(try site.target(), purpose: "deploy of test", wait: 0)
        let error = await #expect(throws: SlipwayError.self) { try await deployer(site).deploy(artifact) }
        #expect(error?.message.contains("\(site.location) is locked by another deploy: deploy of test by \(SiteLock.owner)") == true, "\(String(describing: error))")
        await lock.release()
        _ = try await deployer(site).deploy(try site.site(1))
    }

    @Test func aMissingBucketAndWrongCredentialsAreNamed() async throws {
        let site = try await SiteFixture.make("slipway-site-bad")
        let artifact = try site.site(1)
        let missing = SiteTarget(location: try S3Location(parsing: "s3://no-such-site-bucket/x"), settings: try site.settings)
        let absent = await #expect(throws: SlipwayError.self) {
            try await SiteDeployer(target: missing, store: site.store).deploy(artifact)
        }
        #expect(absent?.kind == .notFound && absent?.message.contains("bucket 'no-such-site-bucket' does not exist at S3 endpoint 127.0.0.1:") == true,
                "\(String(describing: absent))")
        var wrong = try site.settings
        wrong.secretKey = "not-the-secret"
        let refused = await #expect(throws: SlipwayError.self) {
            try await SiteDeployer(target: SiteTarget(location: try S3Location(parsing: site.location), settings: wrong), store: site.store).deploy(artifact)
        }
        let message = refused?.message ?? ""
        #expect(message.contains("S3 endpoint 127.0.0.1:") && message.contains("s3://\(MotoServer.bucket)/\(site.prefix)/.slipway/") && message.contains("(403"),
                "\(message)")
        // Nothing was written.
        #expect(try await site.siteKeys().isEmpty)
    }
}
