import Foundation
import SlipwayCore
import SlipwayTestSupport

/// OCI image layouts written by the tests, to push with skopeo or serve from a hostile
/// registry: layers are `tar` of a tree made from a file list, compressed with the gzip or
/// zstd command; `.wh.` names are whiteouts as any layer tool writes them.
struct TestImage {
    enum Compression: String { case gzip, zstd, none }

    struct Layer {
        var data: Data
        var diffID: String
        var mediaType: String
        var digest: String { "sha256:" + SHA256Stream.hex(of: data) }
    }

    /// A descriptor as an index or a manifest holds it.
    struct Descriptor {
        var mediaType: String
        var digest: String
        var size: Int
        var platform: (os: String, architecture: String)?

        var json: [String: Any] {
            var d: [String: Any] = ["mediaType": mediaType, "digest": digest, "size": size]
            if let platform { d["platform"] = ["os": platform.os, "architecture": platform.architecture] }
            return d
        }
    }

    let layout: String

    init(layout: String) throws {
        self.layout = layout
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
    }

    /// A layer holding `files` (path → content; content `->target` makes a symlink, a path
    /// ending in `/` a directory).
    static func layer(_ files: [(String, String)], compression: Compression = .gzip, scratch: String) throws -> Layer {
        let tree = scratch + "/tree-" + UUID().uuidString
        for (path, content) in files {
            let full = tree + "/" + path
            if path.hasSuffix("/") {
                try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
                continue
            }
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if content.hasPrefix("->") {
                try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: String(content.dropFirst(2)))
            } else {
                try Data(content.utf8).write(to: URL(fileURLWithPath: full))
            }
        }
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        defer { removeTree(tree) }
        let tar = scratch + "/layer-" + UUID().uuidString + ".tar"
        try Program.output("/bin/tar", ["--format=posix", "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "--sort=name",
                                        "--owner=0", "--group=0", "--numeric-owner",
                                        "--mtime=@0", "-cf", tar, "-C", tree, "."])
        return try layer(tarFile: tar, compression: compression)
    }

    /// A layer from a tar file as written (removed afterwards).
    static func layer(tarFile tar: String, compression: Compression) throws -> Layer {
        defer { unlink(tar) }
        let raw = try Data(contentsOf: URL(fileURLWithPath: tar))
        let diffID = "sha256:" + SHA256Stream.hex(of: raw)
        switch compression {
        case .none:
            return Layer(data: raw, diffID: diffID, mediaType: "application/vnd.oci.image.layer.v1.tar")
        case .gzip:
            try Program.output("/bin/gzip", ["-n", "-1", tar])
            defer { unlink(tar + ".gz") }
            return Layer(data: try Data(contentsOf: URL(fileURLWithPath: tar + ".gz")), diffID: diffID,
                         mediaType: "application/vnd.oci.image.layer.v1.tar+gzip")
        case .zstd:
            try Program.output("/usr/bin/zstd", ["-q", "-1", "--rm", tar])
            defer { unlink(tar + ".zst") }
            return Layer(data: try Data(contentsOf: URL(fileURLWithPath: tar + ".zst")), diffID: diffID,
                         mediaType: "application/vnd.oci.image.layer.v1.tar+zstd")
        }
    }

    @discardableResult
    func blob(_ data: Data) throws -> (digest: String, size: Int) {
        let hex = SHA256Stream.hex(of: data)
        try data.write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(hex)"))
        return ("sha256:" + hex, data.count)
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// An image manifest for `layers` (bottom first); returns its descriptor. The config's
    /// digest is the image's digest in Slipway's store.
    func manifest(_ layers: [Layer], os: String = "linux", architecture: String = "amd64",
                  diffIDs: [String]? = nil, env: [String] = ["PATH=/usr/bin:/bin"]) throws -> (descriptor: Descriptor, config: String) {
        let descriptors = try layers.map { layer -> [String: Any] in
            let (digest, size) = try blob(layer.data)
            return ["mediaType": layer.mediaType, "digest": digest, "size": size]
        }
        let config = try blob(try Self.json([
            "architecture": architecture, "os": os, "config": ["Env": env],
            "rootfs": ["type": "layers", "diff_ids": diffIDs ?? layers.map(\.diffID)],
        ]))
        let manifest = try blob(try Self.json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size],
            "layers": descriptors,
        ]))
        return (Descriptor(mediaType: "application/vnd.oci.image.manifest.v1+json", digest: manifest.digest, size: manifest.size,
                           platform: (os, architecture)), config.digest)
    }

    /// An image index over platform manifests; returns its descriptor.
    func index(_ manifests: [Descriptor]) throws -> Descriptor {
        let index = try blob(try Self.json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests.map(\.json),
        ]))
        return Descriptor(mediaType: "application/vnd.oci.image.index.v1+json", digest: index.digest, size: index.size)
    }

    /// Names `descriptor` `tag` in `index.json` (one entry per tag).
    func tag(_ descriptor: Descriptor, _ tag: String) throws {
        var entries: [[String: Any]] = []
        if let data = FileManager.default.contents(atPath: layout + "/index.json"),
           let existing = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
            entries = (existing["manifests"] as? [[String: Any]] ?? []).filter {
                ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] != tag
            }
        }
        var entry = descriptor.json
        entry.removeValue(forKey: "platform")
        entry["annotations"] = ["org.opencontainers.image.ref.name": tag]
        entries.append(entry)
        try Self.json(["schemaVersion": 2, "manifests": entries]).write(to: URL(fileURLWithPath: layout + "/index.json"))
    }

    /// A blob of the layout by digest.
    func read(_ digest: String) -> Data? {
        FileManager.default.contents(atPath: "\(layout)/blobs/sha256/\(digest.dropFirst(7))")
    }
}
