import Foundation

/// An imported toolchain image: a name, a digest, and its unpacked read-only root filesystem.
public struct ImageRecord: Codable, Sendable {
    /// `name:tag`.
    public var reference: String
    /// `sha256:<hex>` identifying the image content (manifest digest, or the rootfs tar digest).
    public var digest: String
    /// The unpacked root filesystem, shared read-only by every sandbox that uses the image.
    public var rootfs: String
    public var created: Date
    public var size: Int64
    /// rootfs tarball, oci-layout, docker-save.
    public var format: String
    public var layers: [String]

    public init(reference: String, digest: String, rootfs: String, created: Date, size: Int64, format: String, layers: [String]) {
        self.reference = reference
        self.digest = digest
        self.rootfs = rootfs
        self.created = created
        self.size = size
        self.format = format
        self.layers = layers
    }
}
