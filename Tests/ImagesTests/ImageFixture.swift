import Archive
import Foundation
import SlipwayCore
import SlipwayTestSupport

/// A layer tarball written for a test, with the digests a manifest and config record for it.
struct FixtureLayer {
    var file: String
    var digest: String
    var diffID: String
    var size: Int64
    var compression: Compression

    var mediaType: String {
        switch compression {
        case .gzip: return "application/vnd.oci.image.layer.v1.tar+gzip"
        case .zstd: return "application/vnd.oci.image.layer.v1.tar+zstd"
        default: return "application/vnd.oci.image.layer.v1.tar"
        }
    }

    /// Packs a directory with the archive layer's deterministic tar writer (libarchive).
    static func pack(_ directory: String, to file: String, compression: Compression = .none) throws -> FixtureLayer {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SlipwayError.system("create \(file)") }
        defer { close(fd) }
        let sink = FileSink(fd: fd, path: file)
        let result = try TarPacker.pack(directory: directory, into: try makeCompressor(compression, into: sink))
        return FixtureLayer(file: file, digest: "sha256:" + sink.digest.finalizeHex(), diffID: result.tarDigest.description,
                            size: sink.bytesWritten, compression: compression)
    }

    /// A tar of exactly `paths` (no parent directory entries) by GNU tar, as layers built by
    /// hand often are; `owner` sets every entry's uid and gid.
    static func gnuTar(_ directory: String, paths: [String], to file: String, owner: Int? = nil) throws -> FixtureLayer {
        var arguments = ["--no-recursion", "--format=posix", "-cf", file, "-C", directory]
        if let owner { arguments += ["--owner=\(owner)", "--group=\(owner)", "--numeric-owner"] }
        try Program.output("/bin/tar", arguments + paths)
        let digest = "sha256:" + (try SHA256Stream.hex(ofFile: file))
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? Int64) ?? 0
        return FixtureLayer(file: file, digest: digest, diffID: digest, size: size, compression: .none)
    }
}

/// Writes images in the formats Slipway imports, from layers made in the test.
enum ImageFixture {
    /// Writes `data` into `blobs/sha256/` of a layout; returns its descriptor fields.
    @discardableResult
    static func putBlob(_ data: Data, in layout: String) throws -> (digest: String, size: Int) {
        let hex = SHA256Stream.hex(of: data)
        try FileManager.default.createDirectory(atPath: layout + "/blobs/sha256", withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(hex)"))
        return ("sha256:" + hex, data.count)
    }

    static func json(_ object: Any) throws -> Data {
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    static func config(_ layers: [FixtureLayer], diffIDs: [String]? = nil) throws -> Data {
        try json([
            "architecture": "amd64", "os": "linux",
            "config": ["Env": ["PATH=/usr/bin:/bin"]],
            "rootfs": ["type": "layers", "diff_ids": diffIDs ?? layers.map(\.diffID)],
        ])
    }

    /// An OCI image layout directory; returns the config digest (the image's digest).
    @discardableResult
    static func ociLayout(_ layers: [FixtureLayer], at layout: String, diffIDs: [String]? = nil) throws -> String {
        try FileManager.default.createDirectory(atPath: layout, withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: layout + "/oci-layout"))
        var layerDescriptors: [[String: Any]] = []
        for layer in layers {
            let (digest, size) = try putBlob(try Data(contentsOf: URL(fileURLWithPath: layer.file)), in: layout)
            layerDescriptors.append(["mediaType": layer.mediaType, "digest": digest, "size": size])
        }
        let config = try putBlob(try config(layers, diffIDs: diffIDs), in: layout)
        let manifest = try putBlob(try json([
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": ["mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.digest, "size": config.size],
            "layers": layerDescriptors,
        ]), in: layout)
        try json([
            "schemaVersion": 2,
            "manifests": [[
                "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest.digest, "size": manifest.size,
                "annotations": ["org.opencontainers.image.ref.name": "latest"],
            ]],
        ]).write(to: URL(fileURLWithPath: layout + "/index.json"))
        return config.digest
    }

    /// A legacy `docker save` directory: `<id>/layer.tar`, `<config hex>.json`, `manifest.json`.
    @discardableResult
    static func dockerLegacy(_ layers: [FixtureLayer], at directory: String) throws -> String {
        let fm = FileManager.default
        var paths: [String] = []
        for (i, layer) in layers.enumerated() {
            let id = SHA256Stream.hex(of: Data("v1 layer \(i) \(layer.diffID)".utf8))
            try fm.createDirectory(atPath: "\(directory)/\(id)", withIntermediateDirectories: true)
            try fm.copyItem(atPath: layer.file, toPath: "\(directory)/\(id)/layer.tar")
            try Data("1.0".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(id)/VERSION"))
            try Data("{}".utf8).write(to: URL(fileURLWithPath: "\(directory)/\(id)/json"))
            paths.append("\(id)/layer.tar")
        }
        let config = try config(layers)
        let hex = SHA256Stream.hex(of: config)
        try config.write(to: URL(fileURLWithPath: "\(directory)/\(hex).json"))
        try json([["Config": "\(hex).json", "RepoTags": ["fixture:latest"], "Layers": paths]])
            .write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        return "sha256:" + hex
    }

    /// What Docker 25+ saves: an OCI layout with uncompressed layers plus `manifest.json`.
    @discardableResult
    static func dockerOCI(_ layers: [FixtureLayer], at directory: String) throws -> String {
        let digest = try ociLayout(layers, at: directory)
        try json([[
            "Config": "blobs/sha256/" + digest.dropFirst(7), "RepoTags": ["fixture:latest"],
            "Layers": layers.map { "blobs/sha256/" + $0.digest.dropFirst(7) },
        ]]).write(to: URL(fileURLWithPath: directory + "/manifest.json"))
        return digest
    }

    /// A tar of a directory's contents, as `docker save` or `tar -C layout -cf x.tar .` writes.
    static func tarball(of directory: String, to file: String) throws {
        try Program.output("/bin/tar", ["--format=posix", "-cf", file, "-C", directory, "."])
    }
}
