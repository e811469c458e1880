import Foundation
import SlipwayTestSupport
import Testing

/// `slipway artifact push` and `fetch` between two homes through moto's S3 server.
@Suite(.tags(.medium), .enabled(if: MotoServer.available)) struct ArtifactBucketCommandTests {
    @Test func anArtifactPushedFromOneHomeIsFetchedIntoAnother() throws {
        let moto = try MotoServer.shared()
        let directory = try TemporaryDirectory("slipway-bucket-cli")
        try FileManager.default.createDirectory(atPath: directory.path + "/site", withIntermediateDirectories: true)
        try Data("<h1>hello</h1>\n".utf8).write(to: URL(fileURLWithPath: directory.path + "/site/index.html"))
        let bucket = "s3://\(MotoServer.bucket)/cli-\(UUID().uuidString.prefix(8).lowercased())"
        let builder = SlipwayCommand(home: directory.path + "/builder", environment: moto.environment.merging(["SLIPWAY_ARTIFACTS": bucket]) { $1 })
        let deployer = SlipwayCommand(home: directory.path + "/deployer", environment: moto.environment)

        let packed = try builder.run(["artifact", "pack", directory.path + "/site"])
        #expect(packed.status == 0, "\(packed)")
        let digest = packed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pushed = try builder.run(["artifact", "push", String(digest.dropFirst(7).prefix(12)), "--json"])
        #expect(pushed.status == 0, "\(pushed)")
        #expect(pushed.stdout.contains(#""outcome" : "transferred""#), "\(pushed.stdout)")
        let again = try builder.run(["artifact", "push", digest])
        #expect(again.status == 0 && again.stderr.contains("\(bucket) has it already"), "\(again)")

        let fetched = try deployer.run(["artifact", "fetch", digest, "--from", bucket])
        #expect(fetched.status == 0 && fetched.stdout == digest + "\n", "\(fetched)")
        let unpacked = try deployer.run(["artifact", "unpack", digest, directory.path + "/out"])
        #expect(unpacked.status == 0, "\(unpacked)")
        #expect(FileManager.default.contents(atPath: directory.path + "/out/index.html") == Data("<h1>hello</h1>\n".utf8))
    }

    @Test func aMissingOrBadBucketIsSaid() throws {
        let moto = try MotoServer.shared()
        let directory = try TemporaryDirectory("slipway-bucket-cli-bad")
        let slipway = SlipwayCommand(home: directory.path, environment: moto.environment)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let none = try slipway.run(["artifact", "fetch", digest])
        #expect(none.status != 0 && none.stderr.contains("no bucket: give --from s3://BUCKET[/PREFIX] or set SLIPWAY_ARTIFACTS"), "\(none)")
        let bad = try slipway.run(["artifact", "fetch", digest, "--from", "s3://Bad_Name"])
        #expect(bad.status != 0 && bad.stderr.contains("--from s3://Bad_Name: 'Bad_Name' is not a valid bucket name"), "\(bad)")
        let absent = try slipway.run(["artifact", "fetch", digest, "--from", "s3://\(MotoServer.bucket)/empty"])
        #expect(absent.status != 0 && absent.stderr.contains("no artifact \(digest) in s3://\(MotoServer.bucket)/empty"), "\(absent)")
        let missingBucket = try slipway.run(["artifact", "fetch", digest, "--from", "s3://no-such-bucket-x"])
        #expect(missingBucket.status != 0 && missingBucket.stderr.contains("bucket 'no-such-bucket-x' does not exist"), "\(missingBucket)")
    }
}
