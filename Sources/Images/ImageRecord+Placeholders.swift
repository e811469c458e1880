import Archive
import Foundation
import SlipwayCore

extension ImageRecord {
    /// An unpacked root filesystem used in place as an image (development, benchmarks),
    /// identified by the digest of its canonical tar stream.
    public static func rootfsDirectory(_ path: String) throws -> ImageRecord {
        let digest = try TarPacker.pack(directory: path, into: DiscardSink()).tarDigest
        return ImageRecord(reference: path, digest: digest, rootfs: path, created: Date(), size: 0,
                           format: "rootfs-directory", layers: [])
    }

    /// Stands for an image that was not found, where a record is needed before another one
    /// may be picked (a build whose runtimes choose its image); it has no files.
    public static func missing() -> ImageRecord {
        ImageRecord(reference: "", digest: Digest.of(Data()), rootfs: "/nonexistent", created: Date(), size: 0,
                    format: "missing", layers: [])
    }
}
