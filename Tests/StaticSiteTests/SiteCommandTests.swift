import Deploy
import Foundation
import SlipwayCore
import SlipwayTestSupport
@testable import StaticSite
import Testing

/// `slipway deploy`, `releases` and `rollback` with `--target s3://…`, end to end with the
/// real binary against moto, a deploy killed with SIGKILL halfway through its pages among them.
@Suite(.tags(.large, .timed), .enabled(if: MotoServer.available && SlipwayCommand.isBuilt)) struct SiteCommandTests {
    func slipway(_ site: SiteFixture) -> SlipwayCommand {
        SlipwayCommand(home: site.directory.path + "/cli-home", environment: site.moto.environment)
    }

    /// Runs the binary on a thread of its own: a test waiting for a process must not hold one
    /// of the few threads of the cooperative pool the suites beside it need.
    func run(_ cli: SlipwayCommand, _ arguments: [String], environment: [String: String] = [:]) async throws -> ProgramOutput {
        try await offPool { try cli.run(arguments, environment: environment) }
    }

    func pack(_ site: SiteFixture, _ tree: String) async throws -> String {
        let packed = try await run(slipway(site), ["artifact", "pack", tree])
        guard packed.status == 0 else { throw TestFailure("pack: \(packed)") }
        return packed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func deployReleasesAndRollbackThroughTheCommandLine() async throws {
        let site = try await SiteFixture.make("slipway-site-cli")
        let cli = slipway(site)
        let v1 = try await pack(site, try site.siteTree(1))
        let v2 = try await pack(site, try site.siteTree(2))
        let first = try await run(cli, ["deploy", v1, "--target", site.location])
        #expect(first.status == 0, "\(first)")
        let second = try await run(cli, ["deploy", v2, "--target", site.location, "--json"])
        #expect(second.status == 0 && second.stdout.contains(#""uploaded" : 6"#) && second.stdout.contains(#""unchanged" : 2"#), "\(second)")
        let listed = try await run(cli, ["releases", "--target", site.location])
        let lines = listed.stdout.split(separator: "\n")
        #expect(listed.status == 0 && lines.count == 3 && lines[1].hasPrefix("*  000002-") && lines[2].hasPrefix("   000001-"), "\(listed)")
        let back = try await run(cli, ["rollback", "--target", site.location])
        #expect(back.status == 0 && back.stdout.hasPrefix("000001-"), "\(back)")
        #expect(try await site.text("index.html")?.contains(#"data-version="1""#) == true)
        let json = try await run(cli, ["releases", "--target", site.location, "--json"])
        #expect(json.status == 0 && json.stdout.contains(#""state" : "published""#), "\(json)")

        let never = try await run(cli, ["releases", "--target", "s3://\(MotoServer.bucket)/never-deployed"])
        #expect(never.status == 2 && never.stderr.contains("s3://\(MotoServer.bucket)/never-deployed is not a deploy target: nothing was ever deployed there"), "\(never)")
        let noBucket = try await run(cli, ["deploy", v1, "--target", "s3://no-such-site-bucket/www"])
        #expect(noBucket.status == 2 && noBucket.stderr.contains("bucket 'no-such-site-bucket' does not exist at S3 endpoint 127.0.0.1:"), "\(noBucket)")
        let wrong = try await run(cli, ["deploy", v1, "--target", site.location], environment: ["AWS_SECRET_ACCESS_KEY": "wrong"])
        #expect(wrong.status == 1 && wrong.stderr.contains("S3 endpoint 127.0.0.1:") && wrong.stderr.contains("refused")
                && wrong.stderr.contains("s3://\(MotoServer.bucket)/\(site.prefix)/") && wrong.stderr.contains("403"), "\(wrong)")
        let mixed = try await run(cli, ["deploy", v1, "--target", site.location, "--target", site.directory.path + "/dir"])
        #expect(mixed.status == 2 && mixed.stderr.contains("s3:// targets cannot be mixed"), "\(mixed)")
    }

    /// A deploy killed with SIGKILL while its pages go up: a reader fetching pages and the
    /// assets they name the whole time never gets a page whose assets are missing or of
    /// another version, and the next deploy converges on the release.
    @Test func aDeployKilledHalfwayConvergesAndTheSiteNeverMixes() async throws {
        let site = try await SiteFixture.make("slipway-site-kill")
        let cli = slipway(site)
        let pages = 1500
        let v1 = try await pack(site, try await offPool { try site.siteTree(1, pages: pages) })
        let v2 = try await pack(site, try await offPool { try site.siteTree(2, pages: pages) })
        let first = try await run(cli, ["deploy", v1, "--target", site.location])
        #expect(first.status == 0, "\(first)")

        let problems = Locked<[String]>([]), reads = Locked(0), stop = Locked(false)
        let reader = Task {
            var n = 0
            while !stop.withLock({ $0 }) {
                let page = n % 7 == 0 ? "index.html" : String(format: "p/%03d.html", (n * 37) % pages)
                n += 1
                do {
                    if let problem = try await site.mixing(at: page) { problems.withLock { $0.append(problem) } }
                    reads.withLock { $0 += 1 }
                } catch {
                    problems.withLock { $0.append("\(page): \(error)") }
                }
            }
        }
        let deploying = try cli.start(["deploy", v2, "--target", site.location], stderr: site.directory.path + "/killed.log")
        // The first new page is up (pages go in path order: 404.html, index.html, p/000.html, …).
        try await waitUntil("a version 2 page", timeout: .seconds(120), every: .milliseconds(5)) {
            try await site.text("index.html")?.contains(#"data-version="2""#) == true
        }
        kill(deploying.processIdentifier, SIGKILL)
        try await offPool { deploying.waitUntilExit() }
        let state = try await site.target().state()
        #expect(state.inFlight != nil, "the deploy finished before it was killed: \(String(decoding: FileManager.default.contents(atPath: site.directory.path + "/killed.log") ?? Data(), as: UTF8.self))")
        var versions: [String: Int] = [:]
        for n in 0..<pages {
            let text = try await site.text(String(format: "p/%03d.html", n)) ?? ""
            versions[text.contains(#"data-version="2""#) ? "2" : "1", default: 0] += 1
        }
        // The next deploy takes the dead deploy's lock over and converges.
        let again = try await run(cli, ["deploy", v2, "--target", site.location])
        #expect(again.status == 0 && again.stderr.contains("did not finish: looking at its") && again.stderr.contains("took over the lock"), "\(again)")
        stop.withLock { $0 = true }
        _ = await reader.value
        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(10) })")
        #expect(reads.withLock { $0 } > 50)
        for n in stride(from: 0, to: pages, by: 1) {
            #expect(try await site.text(String(format: "p/%03d.html", n))?.contains(#"data-version="2""#) == true)
        }
        let listed = try await site.target().releases()
        #expect(listed.map(\.state) == [.published, .bad, .published], "\(listed)")
        #expect(try await site.target().state().inFlight == nil)
        let grace = try await run(cli, ["deploy", v2, "--target", site.location, "--grace", "0", "--json"])
        #expect(grace.status == 0 && grace.stdout.contains(#""deleted" : 2"#) && grace.stdout.contains(#""uploaded" : 0"#), "\(grace)")
        print("killed deploy: \(versions["2"] ?? 0) of \(pages) pages were new when it died; \(reads.withLock { $0 }) page reads (each with its 2 assets), \(problems.withLock { $0.count }) mixed")
    }
}
