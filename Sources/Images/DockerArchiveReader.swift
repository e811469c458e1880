import Foundation
import SlipwayCore

/// Reads what `docker save` writes: `manifest.json` naming a config and layer tars. Legacy
/// archives keep layers at `<id>/layer.tar` (the id is not a digest, so only the config's
/// `diff_ids` can verify them); Docker 25+ writes an OCI layout whose blob names are digests.
enum DockerArchiveReader {
    static func plan(_ bundle: ImageBundle) throws -> ImagePlan {
        let entries = try bundle.decode([DockerArchiveEntry].self, "manifest.json")
        guard entries.count == 1, let entry = entries.first else {
            let tags = entries.flatMap { $0.RepoTags ?? [] }
            throw SlipwayError.badInput(entries.isEmpty
                ? "\(bundle.source): 'manifest.json' lists no image"
                : "\(bundle.source): 'manifest.json' lists \(entries.count) images (\(tags.joined(separator: ", "))); save and import one image at a time")
        }
        let configPath = try relative(entry.Config, bundle, field: "Config")
        let configDigest = try self.configDigest(configPath, bundle)
        let config = try bundle.decode(OCIImageConfig.self, configPath, expectedDigest: configDigest)
        try OCILayoutReader.checkLayerCount(entry.Layers.count, config, bundle: bundle, configPath: configPath)
        let layers = try entry.Layers.enumerated().map { i, path in
            let path = try relative(path, bundle, field: "Layers[\(i)]")
            return ImagePlan.Layer(path: path, digest: blobDigest(path),
                                   diffID: try bundle.digest(config.rootfs.diffIDs[i], what: "\(configPath): rootfs.diff_ids[\(i)]"))
        }
        return ImagePlan(format: .dockerSave, digest: configDigest, layers: layers,
                         environment: config.config?.Env)
    }

    /// Legacy archives name the config `<hex>.json`, newer ones `blobs/sha256/<hex>`; either way
    /// the name is the config's digest. Anything else is hashed as found.
    private static func configDigest(_ path: String, _ bundle: ImageBundle) throws -> Digest {
        let name = (path as NSString).lastPathComponent
        let stem = name.hasSuffix(".json") ? name.dropLast(5) : Substring(name)
        if let digest = try? Digest(hex: stem) { return digest }
        return Digest.of(try bundle.read(path))
    }

    private static func blobDigest(_ path: String) -> Digest? {
        guard path.hasPrefix("blobs/sha256/") else { return nil }
        return try? Digest(hex: path.dropFirst("blobs/sha256/".count))
    }

    private static func relative(_ path: String, _ bundle: ImageBundle, field: String) throws -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        guard !path.hasPrefix("/"), !parts.isEmpty, !parts.contains("..") else {
            throw SlipwayError.badInput("\(bundle.source): 'manifest.json': \(field) '\(path)' must be a relative path inside the archive")
        }
        return parts.joined(separator: "/")
    }
}
