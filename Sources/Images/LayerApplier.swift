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
        defer { Syscall.close(fd) }
        // Sniff with a raw reader: compressed layers are read through it, so both digests
        // come from one pass; plain ones are read directly (no second copy of every block).
        let outer = try TarReader(fd: dup(fd), source: source, mode: .raw, ownsFD: true)
        let reader: TarReader
        if outer.isCompressed {
            reader = try TarReader(decompressedFrom: outer)
        } else {
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw SlipwayError.system("seek \(source)") }
            reader = try TarReader(fd: fd, source: source)
        }
        let stats = try SafeExtractor(rootPath: root, options: options).extract(reader)
        try reader.drain()
        let tarDigest = "sha256:" + reader.rawDigest
        guard outer.isCompressed else { return Result(blobDigest: tarDigest, tarDigest: tarDigest, stats: stats) }
        try outer.drain()
        return Result(blobDigest: "sha256:" + outer.rawDigest, tarDigest: tarDigest, stats: stats)
    }
}
