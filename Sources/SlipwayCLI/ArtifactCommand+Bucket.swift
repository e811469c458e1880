import ArgumentParser
import Artifacts
import Foundation
import ObjectStorage
import SlipwayCore
import Synchronization

/// `artifact push` and `artifact fetch`: the store's copy in an S3-compatible bucket, shared by
/// the machines that build and those that deploy.
extension ArtifactCommand {
    static let bucketVariable = "SLIPWAY_ARTIFACTS"

    static let bucketDiscussion = """
        The bucket is s3://BUCKET[/PREFIX] from the option or $SLIPWAY_ARTIFACTS. Endpoint, \
        region and credentials as the AWS tools find them: AWS_ENDPOINT_URL_S3 or \
        AWS_ENDPOINT_URL (MinIO, Ceph RGW, Garage…), AWS_REGION, AWS_ACCESS_KEY_ID and \
        AWS_SECRET_ACCESS_KEY, else the AWS_PROFILE (default) profile in ~/.aws/credentials \
        and ~/.aws/config.
        """

    static func bucket(_ option: String?, field: String) throws -> ArtifactBucket {
        guard let bucket = try configuredBucket(option, field: field) else {
            throw SlipwayError.badInput("no bucket: give \(field) s3://BUCKET[/PREFIX] or set \(bucketVariable)")
        }
        return bucket
    }

    /// The bucket of `option`, else of $SLIPWAY_ARTIFACTS, else none.
    static func configuredBucket(_ option: String?, field: String = "--artifacts") throws -> ArtifactBucket? {
        guard let text = option ?? environmentVariable(bucketVariable).flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return ArtifactBucket(location: try S3Location(parsing: text, field: option == nil ? bucketVariable : field),
                              settings: try S3Settings.fromEnvironment())
    }

    /// Byte progress on an interactive stderr, safe to call from the transfer's tasks.
    static func transferProgress(_ label: String) -> @Sendable (Int64, Int64) -> Void {
        nonisolated(unsafe) let draw = Terminal.progress(label)
        let lock = Mutex(())
        return { done, total in lock.withLock { _ in draw?(done, total) } }
    }

    struct TransferOutput: Codable {
        var digest: Digest
        var bucket: String
        /// "transferred", or "present" when the other side had it already.
        var outcome: ArtifactBucket.Outcome
        var bytes: Int64
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "push",
            abstract: "Copy a stored artifact to an S3-compatible bucket (unless it is there).",
            discussion: ArtifactCommand.bucketDiscussion)
        @Argument(help: "A digest or a unique prefix.") var digest: String
        @Option(help: "s3://BUCKET[/PREFIX] (default: $SLIPWAY_ARTIFACTS).") var to: String?
        @Flag(help: "Print what was done as JSON.") var json = false

        func run() async throws {
            let store = ArtifactCommand.store
            let record = try store.resolve(digest)
            let bucket = try ArtifactCommand.bucket(to, field: "--to")
            let outcome = try await bucket.push(record, from: store, progress: ArtifactCommand.transferProgress("pushing"))
            if json {
                return try Terminal.json(TransferOutput(digest: record.digest, bucket: bucket.location.description, outcome: outcome, bytes: record.blob.size))
            }
            Terminal.note(outcome == .present ? "\(bucket.location) has it already" : "pushed \(Terminal.bytes(record.blob.size)) to \(bucket.location)")
            print(record.digest)
        }
    }

    struct Fetch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fetch",
            abstract: "Bring an artifact from an S3-compatible bucket into the store, verified.",
            discussion: ArtifactCommand.bucketDiscussion + " The blob's bytes and its tar stream are checked against the digest before the store takes it; a corrupt object is refused and nothing is stored.")
        @Argument(help: "The full digest (sha256:…).") var digest: String
        @Option(help: "s3://BUCKET[/PREFIX] (default: $SLIPWAY_ARTIFACTS).") var from: String?
        @Flag(help: "Print what was done as JSON.") var json = false

        func run() async throws {
            let wanted = try Digest(parsing: digest.hasPrefix(Digest.algorithmPrefix) ? digest : Digest.algorithmPrefix + digest)
            let store = ArtifactCommand.store
            let bucket = try ArtifactCommand.bucket(from, field: "--from")
            let (record, outcome) = try await ArtifactCommand.interruptible(store) {
                try await bucket.fetch(wanted, into: store, progress: ArtifactCommand.transferProgress("fetching"))
            }
            if json {
                return try Terminal.json(TransferOutput(digest: record.digest, bucket: bucket.location.description, outcome: outcome, bytes: record.blob.size))
            }
            Terminal.note(outcome == .present ? "the store has it already" : "fetched \(Terminal.bytes(record.blob.size)) from \(bucket.location)")
            print(record.digest)
        }
    }
}
