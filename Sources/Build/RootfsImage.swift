import Archive
import Foundation
import Images

extension ImageRecord {
    /// An unpacked root filesystem used in place as an image (development, benchmarks),
    /// identified by the digest of its canonical tar stream.
    public static func rootfsDirectory(_ path: String) throws -> ImageRecord {
        let digest = try TarPacker.pack(directory: path, into: DiscardSink()).tarDigest
        return ImageRecord(reference: path, digest: digest, rootfs: path, created: Date(), size: 0,
                           format: "rootfs-directory", layers: [])
    }
}
