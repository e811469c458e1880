import Artifacts
import Foundation
import NIOPosix
import SlipwayCore

/// The artifact store's copy in a bucket, shared by the machines that build and deploy:
///
///     PREFIX/blobs/sha256/<hex>        an artifact's blob (named by the artifact's digest,
///                                      as in the local store)
///     PREFIX/blobs/sha256/<hex>.json   its record, written after the blob: a record in
///                                      the bucket means its blob is whole
///
/// The local store is the cache: what is there is never fetched again, and everything
/// fetched is checked (the blob's bytes and its tar stream) before the store takes it.
public struct ArtifactBucket: Sendable {
    public let location: S3Location
    public let client: S3Client

    public init(location: S3Location, settings: S3Settings, options: S3Client.Options = S3Client.Options()) {
        self.location = location
        client = S3Client(settings: settings, bucket: location.bucket, options: options)
    }

    func blobKey(_ digest: Digest) -> String { location.key("blobs/sha256/\(digest.hex)") }
    func recordKey(_ digest: Digest) -> String { blobKey(digest) + ".json" }

    public enum Outcome: String, Codable, Sendable {
        /// The bytes went over the network.
        case transferred
        /// The other side had it already.
        case present
    }

    /// Uploads a stored artifact unless the bucket has it.
    public func push(_ record: ArtifactRecord, from store: ArtifactStore,
                     progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil) async throws -> Outcome {
        if try await client.size(of: recordKey(record.digest)) != nil { return .present }
        try await client.upload(store.blobPath(record.digest), to: blobKey(record.digest),
                                progress: Self.bytes(of: record.blob.size, progress))
        try await client.put(recordKey(record.digest), data: try Timestamp.encoder().encode(record))
        return .transferred
    }

    /// Brings an artifact into `store` unless it is there, checked against `digest`.
    public func fetch(_ digest: Digest, into store: ArtifactStore,
                      progress: (@Sendable (_ done: Int64, _ total: Int64) -> Void)? = nil) async throws -> (ArtifactRecord, Outcome) {
        if let local = try? store.record(digest) { return (local, .present) }
        guard let data = try await client.data(recordKey(digest), limit: 1 << 20) else {
            throw SlipwayError.notFound("no artifact \(digest) in \(location) (at S3 endpoint \(client.endpointName))")
        }
        let record: ArtifactRecord
        do {
            record = try Timestamp.decoder().decode(ArtifactRecord.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(location)/blobs/sha256/\(digest.hex).json: unreadable artifact record", cause: error)
        }
        guard record.digest == digest else {
            throw SlipwayError.corrupt("\(location)/blobs/sha256/\(digest.hex).json: the record is for \(record.digest), not \(digest); refused")
        }
        // A failed download leaves nothing at `staged`: it writes beside it and renames.
        let staged = try store.receivingPath()
        try await client.download(blobKey(digest), to: staged, digest: record.blob.digest, size: record.blob.size,
                                  progress: Self.bytes(of: record.blob.size, progress))
        // Checking the tar stream reads and decompresses the whole blob: off the cooperative pool.
        let adopted = try await NIOThreadPool.singleton.runIfActive { try store.adopt(record, blobAt: staged) }
        return (adopted, .transferred)
    }

    /// A transfer's byte count reported with the total it goes to.
    static func bytes(of total: Int64, _ progress: (@Sendable (Int64, Int64) -> Void)?) -> (@Sendable (Int64) -> Void)? {
        guard let progress else { return nil }
        return { @Sendable done in progress(done, total) }
    }
}
