import Foundation
import ObjectStorage
import SlipwayTestSupport
import Testing

/// A pipeline whose deploy stage is a static site in a bucket (`--target s3://…`, moto's S3
/// server): the run uploads the build's files, records the release, and names where it is served.
@Suite(.tags(.large), .enabled(if: MotoServer.available)) struct SitePipelineTests {
    @Test func aRunDeploysTheBuildToABucket() async throws {
        let moto = try MotoServer.shared()
        let f = try PipelineFixture(content: "from the pipeline")
        let site = "s3://\(MotoServer.bucket)/pipeline-site-\(UUID().uuidString.prefix(8).lowercased())"
        let slipway = SlipwayCommand(home: f.home.path, environment: moto.environment)
        let run = try await offPool { try slipway.run(["run", f.repository, "--target", site, "--json"]) }
        #expect(run.status == 0, "\(run)")
        #expect(run.stdout.contains("\"\(site)\"") && !run.stdout.contains(site + "/current"), "\(run.stdout)")
        let client = S3Client(settings: try S3Settings.fromEnvironment(moto.environment), bucket: MotoServer.bucket)
        let prefix = String(site.dropFirst("s3://\(MotoServer.bucket)/".count))
        #expect(try await client.data(prefix + "/site/index.html") == Data("from the pipeline".utf8))
        // The appspec is not part of the site.
        #expect(try await client.data(prefix + "/appspec.yml") == nil)

        try f.write("content", "second")
        _ = try f.commit("second")
        let again = try await offPool { try slipway.run(["run", f.repository, "--target", site]) }
        #expect(again.status == 0, "\(again)")
        #expect(try await client.data(prefix + "/site/index.html") == Data("second".utf8))
        let log = try await offPool { try slipway.run(["logs", "2"]) }
        #expect(log.stdout.contains("0 asset(s) and 1 page(s) to write, 0 unchanged"), "\(log.stdout)")
        let releases = try await offPool { try slipway.run(["releases", "--target", site]) }
        #expect(releases.status == 0 && releases.stdout.split(separator: "\n").count == 3, "\(releases)")
        let back = try await offPool { try slipway.run(["rollback", "--target", site]) }
        #expect(back.status == 0, "\(back)")
        #expect(try await client.data(prefix + "/site/index.html") == Data("from the pipeline".utf8))
    }
}
