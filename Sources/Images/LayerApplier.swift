import Archive
import Foundation
import SlipwayCore

/// Applies layer tarballs (plain, gzip, zstd, ...) onto a root directory with the archive
/// layer's `SafeExtractor`, hashing the blob and its uncompressed tar in the same pass.
struct LayerApplier {
    /// What applying one layer found.
    struct Result {
        /// `sha256:<hex>` of the bytes as stored.
        var blobDigest: String
        /// `sha256:<hex>` of the uncompressed tar.
        var tarDigest: String
        var stats: ExtractStats
    }

    let root: String
    let options: ExtractOptions

    /// Image layer rules; ownership is kept only when running as root. An unprivileged caller
    /// cannot chown, and its sandbox maps root inside to the caller, so files it owns appear
    /// as root's there.
    init(root: String) {
        self.root = root
        var options = ExtractOptions.imageLayer
        options.keepOwnership = geteuid() == 0
        self.options = options
    }

    /// Extracts the tar read from `fd` (which this takes over) onto the root.
    func apply(fd: Int32, source: String) throws -> Result {
        let hasher = BlobHasher(fd: fd, source: source)
        // Closed only after the hasher is done with it, on every path.
        defer { _ = try? hasher.wait(); Syscall.close(fd) }
        // Sniff with a raw reader: a compressed layer is read through it, so its tar is
        // hashed while it is decompressed; a plain one's digest is the blob's.
        let outer = try TarReader(fd: dup(fd), source: source, mode: .raw, ownsFD: true, hashing: false)
        let reader: TarReader
        if outer.isCompressed {
            reader = try TarReader(decompressedFrom: outer)
        } else {
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw SlipwayError.system("seek \(source)") }
            reader = try TarReader(fd: fd, source: source, hashing: false)
        }
        let stats = try SafeExtractor(rootPath: root, options: options).extract(reader)
        let blobDigest = try hasher.wait()
        guard outer.isCompressed else { return Result(blobDigest: blobDigest, tarDigest: blobDigest, stats: stats) }
        try reader.drain()
        return Result(blobDigest: blobDigest, tarDigest: "sha256:" + reader.rawDigest, stats: stats)
    }
}
