import Archive
import Foundation
import SlipwayCore

/// Pulled images keep each layer unpacked on its own, named by its uncompressed digest:
///
///     layers/<diff_id hex>/   one layer's tree, whiteouts kept as `.wh.` files
///
/// so a layer arrives straight from the network into its tree (no blob file), layers download
/// and unpack side by side, a layer another image already brought is not fetched again, and an
/// interrupted pull keeps the layers it finished. An image's rootfs is then the layers stacked
/// bottom first with hard links (no file content is copied), whiteouts applied.
extension ImageStore {
    var layersDir: String { root + "/layers" }

    func layerPath(_ diffID: Digest) -> String { "\(layersDir)/\(diffID.hex)" }

    /// Whether the layer with this uncompressed digest is unpacked in the store.
    public func hasLayer(_ diffID: Digest) -> Bool {
        var st = stat()
        return lstat(layerPath(diffID), &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// Whether an image with this digest is unpacked (its tree and record are there).
    public func hasImage(_ digest: Digest) -> Bool {
        var st = stat()
        return stat(rootfsPath(digest), &st) == 0 && FileManager.default.fileExists(atPath: metaPath(digest))
    }

    /// Unpacks one layer read from `fd` (a socket or pipe the caller feeds; taken over) into
    /// its own tree with the image-layer rules, then checks both digests: `blobDigest` gives
    /// the SHA-256 of the bytes as they arrived once the caller has fed them all (it throws
    /// what stopped the transfer), which must be `blob`; the uncompressed tar must be
    /// `diffID`. Only then does the tree appear under `layers/`; on any error nothing does.
    /// Returns the bytes of file content unpacked.
    @discardableResult
    public func receiveLayer(fd: Int32, source: String, blob: Digest, diffID: Digest,
                             blobDigest: () throws -> Digest) throws -> Int64 {
        // Until the extractor has `fd`, an early failure must still close it, or the feeding
        // side would wait on a full socket forever.
        var handedOver = false
        defer { if !handedOver { Syscall.close(fd) } }
        try makeDirectories(root, mode: 0o700)
        try makeDirectories(layersDir, mode: 0o700)
        try makeDirectories(tmpDir, mode: 0o700)
        let staging = "\(tmpDir)/layer-\(diffID.hex.prefix(12))-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(staging, 0o700) == 0 else { throw SlipwayError.mkdir(staging) }
        var published = false
        defer { if !published { removeWritableTree(staging) } }
        let extracted: (tarDigest: Digest, stats: ExtractStats)
        do {
            handedOver = true
            extracted = try LayerApplier(root: staging, whiteouts: false).applyStream(fd: fd, source: source)
        } catch {
            // A transfer that stopped mid-layer leaves libarchive a truncated stream; the
            // transfer's own error says why.
            _ = try blobDigest()
            throw error
        }
        let received = try blobDigest()
        guard received == blob else {
            throw SlipwayError.badInput("\(source): blob digest mismatch: the manifest says \(blob), the registry sent \(received); the blob is corrupt or was tampered with")
        }
        guard extracted.tarDigest == diffID else {
            throw SlipwayError.badInput("\(source): uncompressed digest mismatch: the config's diff_id is \(diffID), the layer is \(extracted.tarDigest)")
        }
        if !hasLayer(diffID) {
            guard rename(staging, layerPath(diffID)) == 0 || errno == EEXIST || errno == ENOTEMPTY else {
                throw SlipwayError.rename(staging, to: layerPath(diffID))
            }
            published = true
        }
        return extracted.stats.bytes
    }

    /// Stacks stored layers (bottom first) into the image `digest` and records it; tags it
    /// `tag` when given. An image already unpacked gets the new record and tag only.
    @discardableResult
    public func assemble(digest: Digest, diffIDs: [Digest], blobs: [Digest], environment: [String]?,
                         origin: ImageOrigin, tag: ImageReference?) throws -> ImageRecord {
        if !hasImage(digest) {
            try makeDirectories(rootfsDir, mode: 0o700)
            let work = "\(tmpDir)/assemble-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            guard mkdir(work, 0o700) == 0 else { throw SlipwayError.mkdir(work) }
            defer { removeWritableTree(work) }
            var merger = LayerMerger(target: work)
            for diffID in diffIDs {
                guard hasLayer(diffID) else {
                    throw SlipwayError.corrupt("layer \(diffID) of image \(digest) is not in the store; pull the image again")
                }
                try merger.merge(layer: layerPath(diffID))
            }
            try merger.finish()
            guard chmod(work, 0o755) == 0 else { throw SlipwayError.chmod(work) }
            if rename(work, rootfsPath(digest)) != 0 && errno != EEXIST && errno != ENOTEMPTY {
                throw SlipwayError.rename(work, to: rootfsPath(digest))
            }
            let record = ImageRecord(reference: "", digest: digest, rootfs: rootfsPath(digest), created: Date(),
                                     size: merger.bytes, format: ImageFormat.registry.rawValue, layers: blobs,
                                     environment: environment)
            try writeRecord(with(record, origin: origin, diffIDs: diffIDs))
        } else {
            let existing = try record(digest, reference: "")
            try writeRecord(with(existing, origin: origin, diffIDs: diffIDs))
        }
        if let tag { try setTag(tag, digest: digest) }
        return try record(digest, reference: tag?.description ?? origin.reference)
    }

    private func with(_ record: ImageRecord, origin: ImageOrigin, diffIDs: [Digest]) -> ImageRecord {
        var record = record
        record.origin = origin
        record.diffIDs = diffIDs
        return record
    }

    /// Every unpacked image, tagged or not (a pull by digest tags nothing), with its first tag
    /// or else its origin as the reference.
    public func records() throws -> [ImageRecord] {
        let tags = try allTags()
        return try storedDigests().map { digest in
            let tag = tags.filter { $0.1 == digest }.map(\.0.description).sorted().first
            var found = try record(digest, reference: tag ?? "")
            if tag == nil { found.reference = found.origin?.reference ?? digest.description }
            return found
        }
    }

    /// Removes layer trees no image record names (after an image went, or a failed pull).
    /// `keeping` are layers a pull in progress still needs.
    public func removeUnusedLayers(keeping: Set<Digest> = []) {
        let used = Set(((try? records()) ?? []).flatMap { $0.diffIDs ?? [] }).union(keeping)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: layersDir)) ?? [] {
            guard let diffID = try? Digest(hex: name), !used.contains(diffID) else { continue }
            let doomed = "\(tmpDir)/removing-layer-\(name)-\(UInt64.random(in: 0...UInt64.max))"
            if rename(layerPath(diffID), doomed) == 0 { removeWritableTree(doomed) }
        }
    }

    /// Removes the image `digest` when no tag names it any more (a pull moved its tag) and it
    /// was not pulled by digest; its layers go with it unless another image has them.
    public func removeIfUnnamed(_ digest: Digest) throws {
        guard try !allTags().contains(where: { $0.1 == digest }) else { return }
        if let found = try? record(digest, reference: ""), found.origin?.reference.contains("@") == true { return }
        try remove(digest.description)
    }

    /// The layers in the store.
    public func storedLayers() -> Set<Digest> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: layersDir)) ?? []).compactMap { try? Digest(hex: $0) })
    }
}
