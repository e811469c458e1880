import Archive
import Foundation
import SlipwayCore

/// Applies layer tarballs (plain, gzip, zstd, ...) onto a root directory with the archive
/// layer's `SafeExtractor`, hashing the blob and its uncompressed tar in the same pass.
struct LayerApplier {
    /// What applying one layer found.
    struct Result {
        /// SHA-256 of the bytes as stored.
        var blobDigest: Digest
        /// SHA-256 of the uncompressed tar.
        var tarDigest: Digest
        var stats: ExtractStats
    }

    let root: String
    let options: ExtractOptions

    /// Image layer rules; ownership is kept only when running as root. An unprivileged caller
    /// cannot chown, and its sandbox maps root inside to the caller, so files it owns appear
    /// as root's there.
    /// `whiteouts: false` keeps `.wh.` markers as files, for a layer unpacked on its own
    /// (they are applied when layers are stacked).
    init(root: String, whiteouts: Bool = true) {
        self.root = root
        var options = ExtractOptions.imageLayer
        options.whiteouts = whiteouts
        options.keepOwnership = geteuid() == 0
        self.options = options
    }

    /// Extracts the tar read from `fd` (which this takes over) onto the root.
    func apply(fd: Int32, source: String) throws -> Result {
        let sniffer: TarReader
        do {
            sniffer = try TarReader(fd: dup(fd), source: source, mode: .raw, ownsFD: true, hashing: false)
        } catch {
            Syscall.close(fd)
            throw error
        }
        switch sniffer.compression {
        case .none, .zstd:
            // Read, hashed and (zstd) decoded on a second thread, as `zstd -dc | tar -x` would.
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                Syscall.close(fd)
                throw SlipwayError.system(call: "lseek", source)
            }
            let reader = try TarReader(decodingAhead: fd, source: source, hashingDecoded: sniffer.isCompressed)
            let stats = try SafeExtractor(rootPath: root, options: options).extract(reader)
            try reader.drain()
            let blobDigest = try reader.rawDigest
            let tarDigest = sniffer.isCompressed ? reader.decodedDigest : blobDigest
            return Result(blobDigest: blobDigest, tarDigest: tarDigest, stats: stats)
        default:
            return try applyDecodingHere(fd: fd, compressed: sniffer, source: source)
        }
    }

    /// Extracts a layer that arrives as a stream (a socket or a pipe, which cannot be sniffed
    /// and rewound): libarchive detects and decodes the compression (gzip, zstd, xz or none)
    /// as it reads, and hashes the decoded tar; the caller hashes the blob itself as it feeds
    /// `fd`. Reads `fd` (taken over) to its end.
    func applyStream(fd: Int32, source: String) throws -> (tarDigest: Digest, stats: ExtractStats) {
        // The reader owns `fd` from here, also when opening it fails.
        let outer = try TarReader(fd: fd, source: source, mode: .raw, ownsFD: true, hashing: false)
        let reader = try TarReader(decompressedFrom: outer)
        let stats = try SafeExtractor(rootPath: root, options: options).extract(reader)
        try reader.drain()
        return (try reader.rawDigest, stats)
    }

    /// gzip and xz layers: libarchive decodes them here, through `compressed` (a raw reader
    /// of a dup of `fd`), hashing the tar as it goes; the stored blob is hashed on another thread.
    private func applyDecodingHere(fd: Int32, compressed: TarReader, source: String) throws -> Result {
        let hasher = BlobHasher(fd: fd, source: source)
        // Closed only after the hasher is done with it, on every path.
        defer { _ = try? hasher.wait(); Syscall.close(fd) }
        let reader = try TarReader(decompressedFrom: compressed)
        let stats = try SafeExtractor(rootPath: root, options: options).extract(reader)
        let blobDigest = try hasher.wait()
        try reader.drain()
        return Result(blobDigest: blobDigest, tarDigest: try reader.rawDigest, stats: stats)
    }
}
