import Archive
import Foundation
import SlipwayCore

/// Where an artifact came from, as far as Slipway knows.
public struct Provenance: Codable, Sendable, Equatable {
    public var sourceCommit: String?
    public var sourcePath: String?
    public var buildID: String?
    public var buildspecDigest: Digest?
    public var imageDigest: Digest?

    public init(sourceCommit: String? = nil, sourcePath: String? = nil, buildID: String? = nil,
                buildspecDigest: Digest? = nil, imageDigest: Digest? = nil) {
        self.sourceCommit = sourceCommit
        self.sourcePath = sourcePath
        self.buildID = buildID
        self.buildspecDigest = buildspecDigest
        self.imageDigest = imageDigest
    }
}

/// The stored encoding of an artifact: the bytes on disk, which may be compressed.
public struct BlobInfo: Codable, Sendable {
    /// SHA-256 of the stored bytes.
    public var digest: Digest
    public var size: Int64
    public var compression: Compression
}

/// An artifact in the store. Its identity is the digest of its canonical uncompressed tar
/// stream, so recompressing it never changes its name.
public struct ArtifactRecord: Codable, Sendable {
    /// SHA-256 of the uncompressed tar stream.
    public var digest: Digest
    /// Size of the uncompressed tar stream.
    public var size: Int64
    public var mediaType: String
    public var created: Date
    public var files: Int?
    public var entries: Int?
    public var blob: BlobInfo
    public var provenance: Provenance

    public var hex: String { digest.hex }
    public var shortDigest: String { digest.short }
}
