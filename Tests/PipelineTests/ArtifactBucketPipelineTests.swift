import Foundation
import ObjectStorage
import SlipwayTestSupport
import Testing

/// Runs with a team bucket (`--artifacts`, moto's S3 server): each built artifact is pushed,
/// and a deploy whose artifact this store lacks fetches it from the bucket.
@Suite(.tags(.large), .enabled(if: MotoServer.available)) struct ArtifactBucketPipelineTests {
    @Test func builtArtifactsArePushedAndDeploysFetchWhatTheStoreLacks() throws {
        let moto = try MotoServer.shared()
        let f = try PipelineFixture(content: "through the bucket")
        let bucket = "s3://\(MotoServer.bucket)/pipeline-\(UUID().uuidString.prefix(8).lowercased())"
        let slipway = SlipwayCommand(home: f.home.path, environment: moto.environment)

        let run = try slipway.run(["run", f.repository, "--target", f.target, "--artifacts", bucket, "--json"])
        #expect(run.status == 0, "\(run)")
        let digest = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            .flatMap { $0["run"] as? [String: Any] }?["artifact"] as? String)
        let log = try slipway.run(["logs", "1"])
        #expect(log.stdout.contains("artifact pushed to \(bucket) ("), "\(log.stdout)")

        // Another machine's store gets it from the bucket.
        let other = try TemporaryDirectory("slipway-bucket-other")
        let fetched = try SlipwayCommand(home: other.path, environment: moto.environment).run(["artifact", "fetch", digest, "--from", bucket])
        #expect(fetched.status == 0, "\(fetched)")

        // This store loses the artifact: the same commit, run again, is built again (the build
        // cache wants the blob) and the bucket, which has it, is not sent it twice.
        try FileManager.default.removeItem(atPath: f.home.store + "/blobs")
        let again = try slipway.run(["run", f.repository, "--target", f.target, "--force", "--artifacts", bucket])
        #expect(again.status == 0, "\(again)")
        #expect(try slipway.run(["logs", "2"]).stdout.contains("artifact already in \(bucket)"))

        // A bucket that refuses fails the build with the bucket named.
        try f.write("content", "second")
        _ = try f.commit("second")
        var wrong = moto.environment
        wrong["AWS_SECRET_ACCESS_KEY"] = "wrong"
        let refused = try SlipwayCommand(home: f.home.path, environment: wrong).run(["run", f.repository, "--target", f.target, "--artifacts", bucket])
        #expect(refused.status == 1, "\(refused)")
        let failed = try slipway.run(["logs", "3"])
        #expect(failed.stdout.contains("pushing the artifact to \(bucket): S3 endpoint"), "\(failed.stdout)")
    }

    /// The artifact leaves this store while the run waits for approval (as when another
    /// machine resumes it): the deploy fetches it from the bucket, checked.
    @Test func aDeployFetchesTheArtifactThisStoreLacks() async throws {
        let moto = try MotoServer.shared()
        let location = try S3Location(parsing: "s3://\(MotoServer.bucket)/approval-\(UUID().uuidString.prefix(8).lowercased())")
        let f = try PipelineFixture(content: "fetched for the deploy",
                                    artifacts: ArtifactBucket(location: location, settings: try S3Settings.fromEnvironment(moto.environment)))
        try await f.register { $0.stages[0].approval = true }
        let id = try #require(try await f.start())
        _ = try await f.waitFor(id) { $0.status == .waitingApproval }
        try FileManager.default.removeItem(atPath: f.home.store + "/blobs")
        try await f.orchestrator.approve(run: id, by: "boss", comment: nil)
        let run = try await f.finished(id)
        let log = try await f.log(id)
        #expect(run.status == .succeeded, "\(log)")
        #expect(log.contains("fetching the artifact from \(location)"), "\(log)")
        #expect(f.served() == "fetched for the deploy")
    }
}
