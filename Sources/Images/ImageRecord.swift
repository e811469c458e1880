import Foundation
import SlipwayCore

/// An imported toolchain image: a name, a digest, and its unpacked read-only root filesystem.
public struct ImageRecord: Codable, Sendable {
    /// `name:tag`, or `sha256:<hex>` when looked up by a digest no tag points at.
    public var reference: String
    /// The SHA-256 identifying the image content: the config digest (Docker's image ID)
    /// for OCI layouts and `docker save` archives, the uncompressed tar's for a rootfs tarball.
    public var digest: Digest
    /// The unpacked root filesystem, shared read-only by every sandbox that uses the image.
    public var rootfs: String
    public var created: Date
    /// Bytes of file content unpacked; for a layered or pulled image, what its layers hold
    /// together (a parent's files included, a file a layer replaced counted in both).
    public var size: Int64
    /// rootfs-tarball, oci-layout, docker-save (`ImageFormat`).
    public var format: String
    /// Layer digests, bottom first (the blob digest, or the uncompressed one where the format has no other).
    public var layers: [Digest]
    /// `KEY=value` pairs from the image config (`config.Env`), when it has one.
    public var environment: [String]?
    /// The image this one was layered on (`slipway image build` of a recipe with a parent):
    /// its tree holds the parent's files as hard links, so their content is stored once.
    public var parent: Digest?
    /// The digest of the recipe this image was built from (`ImageRecipe.digest`).
    public var recipe: Digest?
    /// Where a pulled image came from (nil for imports and recipes).
    public var origin: ImageOrigin?
    /// The layers' uncompressed digests (the config's `diff_ids`), bottom first, for a pulled
    /// image: the names of its unpacked layers under `images/layers`.
    public var diffIDs: [Digest]?
}

/// The registry reference an image was pulled by and what it resolved to then.
public struct ImageOrigin: Codable, Sendable, Equatable {
    /// `host[:port]/repository:tag` or `…@sha256:…`, as pulled (Docker Hub as `docker.io/…`).
    public var reference: String
    /// The digest of the document the reference named: an image index or a manifest. A pull
    /// that gets the same digest again has nothing to do.
    public var manifestDigest: Digest
    /// The platform manifest chosen from an index (equal to `manifestDigest` without one).
    public var platformManifest: Digest
    /// `os/architecture[/variant]` of the image.
    public var platform: String

    public init(reference: String, manifestDigest: Digest, platformManifest: Digest, platform: String) {
        self.reference = reference
        self.manifestDigest = manifestDigest
        self.platformManifest = platformManifest
        self.platform = platform
    }
}
