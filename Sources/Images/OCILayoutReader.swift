import Foundation
import SlipwayCore

/// Reads an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) into a plan.
/// A multi-platform index is narrowed to the host's platform.
enum OCILayoutReader {
    static let indexTypes: Set<String> = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    static func plan(_ bundle: ImageBundle) throws -> ImagePlan {
        let marker = try bundle.decode(OCILayoutMarker.self, "oci-layout")
        guard marker.imageLayoutVersion.hasPrefix("1.") else {
            throw SlipwayError.badInput("\(bundle.source): 'oci-layout': imageLayoutVersion \(marker.imageLayoutVersion) is not supported (1.x is)")
        }
        let index = try bundle.decode(OCIIndex.self, "index.json")
        let manifest = try pickManifest(index, in: bundle, what: "index.json", depth: 0)
        return try plan(manifest: manifest, in: bundle, format: .ociLayout)
    }

    /// The plan for one image manifest blob; shared with newer `docker save` archives.
    static func plan(manifest descriptor: OCIDescriptor, in bundle: ImageBundle, format: ImageFormat) throws -> ImagePlan {
        let manifestDigest = try bundle.digest(descriptor.digest, what: "manifest")
        let manifestPath = ImageBundle.blobPath(manifestDigest)
        let manifest = try bundle.decode(OCIManifest.self, manifestPath, expectedDigest: manifestDigest)
        let configDigest = try bundle.digest(manifest.config.digest, what: "\(manifestPath): config")
        let configPath = ImageBundle.blobPath(configDigest)
        let config = try bundle.decode(OCIImageConfig.self, configPath, expectedDigest: configDigest)
        try checkLayerCount(manifest.layers.count, config, bundle: bundle, configPath: configPath)
        let layers = try manifest.layers.enumerated().map { i, layer in
            let digest = try bundle.digest(layer.digest, what: "\(manifestPath): layers[\(i)]")
            return ImagePlan.Layer(path: ImageBundle.blobPath(digest), digest: digest,
                                   diffID: try bundle.digest(config.rootfs.diffIDs[i], what: "\(configPath): rootfs.diff_ids[\(i)]"))
        }
        return ImagePlan(format: format, digest: configDigest, layers: layers,
                         environment: config.config?.Env)
    }

    static func checkLayerCount(_ count: Int, _ config: OCIImageConfig, bundle: ImageBundle, configPath: String) throws {
        guard config.rootfs.diffIDs.count == count else {
            throw SlipwayError.badInput("\(bundle.source): '\(configPath)': rootfs.diff_ids lists \(config.rootfs.diffIDs.count) layers but the manifest has \(count)")
        }
    }

    private static func pickManifest(_ index: OCIIndex, in bundle: ImageBundle, what: String, depth: Int) throws -> OCIDescriptor {
        guard depth < 4 else { throw SlipwayError.badInput("\(bundle.source): image indexes nested too deeply") }
        let candidates = index.manifests.filter { m in
            guard let p = m.platform else { return true }
            return p.os == "linux" && p.architecture == hostArchitecture
        }
        guard candidates.count == 1, let chosen = candidates.first else {
            let listed = index.manifests.map { m in m.platform.map { "\($0.os)/\($0.architecture)" } ?? m.digest.prefix(19) + "…" }
            throw SlipwayError.badInput(candidates.isEmpty
                ? "\(bundle.source): \(what) has no image for linux/\(hostArchitecture) (it has: \(listed.joined(separator: ", ")))"
                : "\(bundle.source): \(what) holds \(candidates.count) images for linux/\(hostArchitecture); import a layout with one image")
        }
        guard let type = chosen.mediaType, indexTypes.contains(type) else { return chosen }
        let digest = try bundle.digest(chosen.digest, what: "\(what): manifests")
        let path = ImageBundle.blobPath(digest)
        let nested = try bundle.decode(OCIIndex.self, path, expectedDigest: digest)
        return try pickManifest(nested, in: bundle, what: path, depth: depth + 1)
    }

    /// The host's architecture in OCI's spelling.
    static var hostArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #else
        return "unknown"
        #endif
    }
}
