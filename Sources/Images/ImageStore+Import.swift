import Archive
import Foundation
import SlipwayCore

extension ImageStore {
    /// Imports an image and tags it `reference` (`name[:tag]`). `path` is a plain rootfs
    /// tarball (tar, tar.gz, tar.zst), an OCI image layout (a directory or a tar of one) or a
    /// `docker save` tarball (legacy or OCI-based). Layers are applied bottom first with
    /// whiteouts; every blob digest and `diff_id` is checked; nothing is kept unless all pass.
    /// An image whose digest is already unpacked is only tagged.
    @discardableResult
    public func importImage(path: String, reference: String) throws -> ImageRecord {
        let tag = try ImageReference(parsing: reference)
        let source = SlipwayHome.absolute(path)
        var st = stat()
        guard stat(source, &st) == 0 else {
            throw SlipwayError.badInput("\(path): \(String(cString: strerror(errno))); give an image tarball or an OCI layout directory")
        }
        try makeDirectories(root, mode: 0o700)
        try makeDirectories(rootfsDir, mode: 0o700)
        try makeDirectories(tmpDir, mode: 0o700)
        let work = "\(tmpDir)/import-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(work, 0o700) == 0 else { throw SlipwayError.mkdir(work) }
        defer { removeWritableTree(work) }

        let digest: Digest
        if st.st_mode & S_IFMT == S_IFDIR {
            let bundle = try ImageBundle(path: source, source: path)
            guard let plan = try Self.plan(bundle) else {
                throw SlipwayError.badInput("\(path): a directory must be an OCI image layout (oci-layout, index.json, blobs/) or an unpacked docker save (manifest.json)")
            }
            digest = try unpack(plan, from: bundle, work: work)
        } else {
            digest = try importTarball(source, label: path, work: work)
        }
        try setTag(tag, digest: digest)
        return try record(digest, reference: tag.description)
    }

    /// A tarball is unpacked once: it is either the root filesystem itself or an image
    /// archive whose blobs are then applied as layers.
    private func importTarball(_ path: String, label: String, work: String) throws -> Digest {
        let unpacked = work + "/tarball"
        guard mkdir(unpacked, 0o700) == 0 else { throw SlipwayError.mkdir(unpacked) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(label) }
        let result = try LayerApplier(root: unpacked).apply(fd: fd, source: label)
        let bundle = try ImageBundle(path: unpacked, source: label)
        if let plan = try Self.plan(bundle) {
            return try unpack(plan, from: bundle, work: work)
        }
        let digest = result.tarDigest
        let record = ImageRecord(reference: "", digest: digest, rootfs: rootfsPath(digest), created: Date(),
                                 size: result.stats.bytes, format: ImageFormat.rootfsTarball.rawValue,
                                 layers: [result.tarDigest])
        try publish(unpacked, record: record)
        return digest
    }

    /// Which image format a bundle is; nil when it is neither (a plain root filesystem).
    static func plan(_ bundle: ImageBundle) throws -> ImagePlan? {
        if bundle.exists("manifest.json") { return try DockerArchiveReader.plan(bundle) }
        if bundle.exists("oci-layout") { return try OCILayoutReader.plan(bundle) }
        return nil
    }

    /// Applies the plan's layers into a staging tree, verifying each, then publishes it.
    private func unpack(_ plan: ImagePlan, from bundle: ImageBundle, work: String) throws -> Digest {
        let digest = plan.digest
        if isUnpacked(digest) { return digest }
        let staging = work + "/rootfs"
        guard mkdir(staging, 0o700) == 0 else { throw SlipwayError.mkdir(staging) }
        let applier = LayerApplier(root: staging)
        var size: Int64 = 0
        var writable = WritableDirectories()
        for (i, layer) in plan.layers.enumerated() {
            if i > 0 && geteuid() != 0 { try writable.openUp(staging) }
            let what = "\(bundle.source): layer \(i + 1) of \(plan.layers.count) ('\(layer.path)')"
            let result = try applier.apply(fd: try bundle.open(layer.path), source: "\(bundle.source): \(layer.path)")
            if let expected = layer.digest, expected != result.blobDigest {
                throw SlipwayError.badInput("\(what): blob digest mismatch: the manifest says \(expected), the blob is \(result.blobDigest); the blob is corrupt or was tampered with")
            }
            if let expected = layer.diffID, expected != result.tarDigest {
                throw SlipwayError.badInput("\(what): uncompressed digest mismatch: the config's diff_ids[\(i)] says \(expected), the layer is \(result.tarDigest)")
            }
            size += result.stats.bytes
        }
        try writable.restore()
        let record = ImageRecord(reference: "", digest: digest, rootfs: rootfsPath(digest), created: Date(), size: size,
                                 format: plan.format.rawValue, layers: plan.layers.compactMap { $0.digest ?? $0.diffID },
                                 environment: plan.environment)
        try publish(staging, record: record)
        return digest
    }

    func isUnpacked(_ digest: Digest) -> Bool {
        var st = stat()
        return stat(rootfsPath(digest), &st) == 0 && FileManager.default.fileExists(atPath: metaPath(digest))
    }

    /// Renames a finished tree under its digest; when another import got there first, its
    /// tree (the same content) stays and ours is discarded with the work directory.
    func publish(_ tree: String, record: ImageRecord) throws {
        if !isUnpacked(record.digest) {
            guard chmod(tree, 0o755) == 0 else { throw SlipwayError.chmod(tree) }
            if rename(tree, rootfsPath(record.digest)) != 0 && errno != EEXIST && errno != ENOTEMPTY {
                throw SlipwayError.rename(tree, to: rootfsPath(record.digest))
            }
        }
        if !FileManager.default.fileExists(atPath: metaPath(record.digest)) { try writeRecord(record) }
    }
}

/// Removes a tree that may hold read-only directories (an unprivileged caller needs write
/// permission on a directory to empty it); never follows symlinks.
func removeWritableTree(_ path: String) {
    if unlink(path) == 0 || errno == ENOENT { return }
    guard errno == EISDIR else { return }
    chmod(path, 0o700)
    for child in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
        removeWritableTree(path + "/" + child)
    }
    rmdir(path)
}
