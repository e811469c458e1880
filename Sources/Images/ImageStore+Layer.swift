import Foundation
import SlipwayCore

extension ImageStore {
    /// Imports a layer tarball on top of `parent` and tags the result `reference`. The new
    /// tree starts as hard links to every file of the parent's tree (directories are made
    /// anew: the parent's tree stacked as the one layer below), so the parent's content is stored once; the layer then replaces files by
    /// unlinking and writing new ones, never writing into a linked file, and its `.wh.`
    /// whiteouts remove entries. The image digest covers the parent's digest and the layer's
    /// uncompressed sha256, so the same layer on the same parent is one image.
    @discardableResult
    public func importLayer(path: String, label: String? = nil, onto parent: ImageRecord, reference: String) throws -> ImageRecord {
        let tag = try ImageReference(parsing: reference)
        let source = SlipwayHome.absolute(path)
        let what = label ?? path
        try makeDirectories(tmpDir, mode: 0o700)
        let work = "\(tmpDir)/layer-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        guard mkdir(work, 0o700) == 0 else { throw SlipwayError.mkdir(work) }
        defer { removeWritableTree(work) }
        let staging = work + "/rootfs"
        guard mkdir(staging, 0o700) == 0 else { throw SlipwayError.mkdir(staging) }
        var parentLinks = LayerMerger(target: staging)
        try parentLinks.merge(layer: parent.rootfs)
        try parentLinks.finish()
        var writable = WritableDirectories()
        if geteuid() != 0 { try writable.openUp(staging) }
        let fd = open(source, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SlipwayError.open(what) }
        let result = try LayerApplier(root: staging).apply(fd: fd, source: what)
        try writable.restore()
        var identity = SHA256Stream()
        identity.update(Data("slipway-layered-image 1\nparent \(parent.digest)\nlayer \(result.tarDigest)\n".utf8))
        let digest = identity.finalize()
        let record = ImageRecord(reference: "", digest: digest, rootfs: rootfsPath(digest), created: Date(),
                                 size: parentLinks.bytes + result.stats.bytes, format: ImageFormat.rootfsTarball.rawValue,
                                 layers: parent.layers + [result.tarDigest], environment: parent.environment,
                                 parent: parent.digest)
        try publish(staging, record: record)
        try setTag(tag, digest: digest)
        return try self.record(digest, reference: tag.description)
    }
}
