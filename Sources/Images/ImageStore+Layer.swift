import Foundation
import SlipwayCore

extension ImageStore {
    /// Imports a layer tarball on top of `parent` and tags the result `reference`. The new
    /// tree starts as hard links to every file of the parent's tree (directories are made
    /// anew), so the parent's content is stored once; the layer then replaces files by
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
        try Self.linkTree(from: parent.rootfs, to: staging)
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
                                 size: result.stats.bytes, format: ImageFormat.rootfsTarball.rawValue,
                                 layers: parent.layers + [result.tarDigest], environment: parent.environment,
                                 parent: parent.digest)
        try publish(staging, record: record)
        try setTag(tag, digest: digest)
        return try self.record(digest, reference: tag.description)
    }

    /// Recreates `source`'s directories under `destination` (owner, mode and times kept, set
    /// after their children so the times hold) and hard-links everything else into them.
    static func linkTree(from source: String, to destination: String) throws {
        var st = stat()
        guard lstat(source, &st) == 0 else { throw SlipwayError.stat(source) }
        guard mkdir(destination, 0o700) == 0 else { throw SlipwayError.mkdir(destination) }
        guard let dir = opendir(source) else { throw SlipwayError.open(source) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let from = source + "/" + name, to = destination + "/" + name
            var child = stat()
            guard lstat(from, &child) == 0 else { throw SlipwayError.stat(from) }
            if child.st_mode & S_IFMT == S_IFDIR {
                try linkTree(from: from, to: to)
            } else if linkat(AT_FDCWD, from, AT_FDCWD, to, 0) != 0 {
                throw SlipwayError.system(call: "link", "\(from) to \(to)")
            }
        }
        if geteuid() == 0, lchown(destination, st.st_uid, st.st_gid) != 0 {
            throw SlipwayError.system(call: "chown", destination)
        }
        guard chmod(destination, st.st_mode & 0o7777) == 0 else { throw SlipwayError.chmod(destination) }
        var times = [st.st_atim, st.st_mtim]
        utimensat(AT_FDCWD, destination, &times, AT_SYMLINK_NOFOLLOW)
    }
}
