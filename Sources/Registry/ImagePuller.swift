import AsyncHTTPClient
import Foundation
import Images
import NIOCore
import SlipwayCore

/// Pulls images from OCI registries into the image store.
///
/// A pull asks for the reference's manifest; when the store's image for that tag came from
/// the same manifest digest it is done (one request). Otherwise it picks the platform's
/// manifest from an index, reads the config, and fetches the layers the store lacks, a few at
/// a time: each layer goes from the socket through the hash and the decompressor straight
/// into its own unpacked tree (no blob file), is checked against the manifest's digest and
/// the config's diff_id, and only then kept. The image is the layers stacked.
public struct ImagePuller: Sendable {
    public let store: ImageStore
    public let options: RegistryOptions

    /// Manifests and indexes above this are refused.
    public static let maxManifestBytes = 4 << 20
    public static let maxConfigBytes = 16 << 20

    static let manifestTypes = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
    static let indexTypes: Set<String> = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    public init(store: ImageStore, options: RegistryOptions) {
        self.store = store
        self.options = options
    }

    /// Pulls `text` (`debian:12`, `host:5000/team/node:20`, `name@sha256:…`); a tag is
    /// stored under its familiar name (`debian:12`).
    public func pull(_ text: String, events: @escaping @Sendable (PullEvent) -> Void = { _ in }) async throws -> PullResult {
        let reference = try RegistryReference(parsing: text)
        let client = try RegistryClient(reference: reference, options: options)
        return try await withCleanup { try await pull(reference, client: client, events: events) } cleanup: { await client.shutdown() }
    }

    /// Checks `username` and `password` against `registry` (`host[:port]`, `docker.io`) and
    /// stores them for later pulls (`$SLIPWAY_HOME/registries/auth.json`, mode 0600).
    public func login(registry: String, username: String, password: String) async throws {
        let host = RegistryCredentials.normalize(registry)
        guard !host.isEmpty, host.split(separator: "/").count == 1,
              ImageReference.isRegistryHost(Substring(host)) || host == RegistryReference.dockerHub else {
            throw SlipwayError.badInput("'\(registry)' is not a registry host: give HOST or HOST:PORT (for example ghcr.io or 127.0.0.1:5000)")
        }
        var options = self.options
        options.credentials.environment = [RegistryCredentials.variable(for: host): "\(username):\(password)"]
        let probe = try RegistryReference(parsing: host == RegistryReference.dockerHub ? "library/hello-world" : host + "/login")
        let client = try RegistryClient(reference: probe, options: options)
        try await withCleanup { try await client.ping() } cleanup: { await client.shutdown() }
        try options.credentials.save(host, username: username, password: password)
    }

    /// The image `text` names: from the store when it has it, else pulled when `text` names a
    /// registry (a host, a tag or a digest); a bare name is looked up in the store only.
    public func resolve(_ text: String, events: @escaping @Sendable (PullEvent) -> Void = { _ in }) async throws -> ImageRecord {
        do {
            return try store.resolve(text)
        } catch let error as SlipwayError where error.kind == .notFound && RegistryReference.namesRegistry(text) {
            // `docker.io/library/debian:12` is stored as `debian:12`.
            if let local = try? RegistryReference(parsing: text).localTag, let found = try? store.resolve(local.description) {
                return found
            }
            return try await pull(text, events: events).image
        }
    }

    /// `resolve` for callers that are not async (the CLI's build, the sandbox command).
    public func resolveBlocking(_ text: String, events: @escaping @Sendable (PullEvent) -> Void = { _ in }) throws -> ImageRecord {
        try Self.blocking { try await resolve(text, events: events) }
    }

    /// Runs `body` on the concurrency pool and waits for it (for synchronous callers only).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<T, any Error>?
        Task.detached {
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            done.signal()
        }
        done.wait()
        return try outcome!.get()
    }

    // MARK: - The pull

    private func pull(_ reference: RegistryReference, client: RegistryClient,
                      events: @escaping @Sendable (PullEvent) -> Void) async throws -> PullResult {
        let top = try await client.manifest(reference.manifestReference, accept: Self.manifestTypes, limit: Self.maxManifestBytes)
        if let pinned = reference.digest, pinned != top.digest {
            throw SlipwayError.badInput("\(reference): the registry sent a manifest whose digest is \(top.digest); refused")
        }
        if let current = try upToDate(reference, manifest: top.digest) {
            return PullResult(image: current, upToDate: true, downloadedLayers: 0, presentLayers: current.layers.count,
                              downloadedBytes: 0, requests: client.requests.load(ordering: .relaxed))
        }
        let what = reference.description
        var manifestData = top.data
        var manifestDigest = top.digest
        let kind = try OCIDocument.decode(MediaTypeProbe.self, top.data, what: "\(what): manifest")
        let mediaType = kind.mediaType ?? top.mediaType
        if mediaType.map({ Self.indexTypes.contains($0) }) ?? (kind.manifests != nil) {
            let index = try OCIDocument.decode(OCIIndex.self, top.data, what: "\(what): image index")
            let chosen = try choose(from: index, reference: reference)
            let digest = try Self.digest(chosen.digest, what: "\(what): image index: manifests")
            let platform = try await client.manifest(digest.description, accept: Self.manifestTypes, limit: Self.maxManifestBytes)
            guard platform.digest == digest else {
                throw SlipwayError.badInput("\(what): the manifest for \(options.platform) does not match its digest in the index (\(digest), got \(platform.digest))")
            }
            manifestData = platform.data
            manifestDigest = digest
        } else if let type = mediaType, type.hasPrefix("application/vnd.docker.distribution.manifest.v1") {
            throw SlipwayError.badInput("\(what) is a Docker schema 1 manifest (\(type)), which Slipway does not read; push the image again with a current Docker or skopeo")
        }
        let manifest = try OCIDocument.decode(OCIManifest.self, manifestData, what: "\(what): manifest \(manifestDigest)")
        let configDigest = try Self.digest(manifest.config.digest, what: "\(what): manifest: config")
        let configData = try await client.smallBlob(configDigest, limit: Self.maxConfigBytes, what: "\(what): image config")
        let config = try OCIDocument.decode(OCIImageConfig.self, configData, what: "\(what): image config \(configDigest)")
        let platform = try checkPlatform(config, reference: reference)
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw SlipwayError.badInput("\(what): the config lists \(config.rootfs.diffIDs.count) diff_ids but the manifest has \(manifest.layers.count) layers")
        }
        let layers = try manifest.layers.enumerated().map { i, layer in
            PlannedLayer(index: i, blob: try Self.digest(layer.digest, what: "\(what): manifest: layers[\(i)]"),
                         diffID: try Self.digest(config.rootfs.diffIDs[i], what: "\(what): config: rootfs.diff_ids[\(i)]"),
                         size: layer.size, mediaType: layer.mediaType)
        }
        for layer in layers { try Self.checkMediaType(layer, what: what) }
        events(.resolved(manifest: manifestDigest, platform: platform, layers: layers.count))

        let before = store.storedLayers()
        let missing = store.hasImage(configDigest) ? [] : layers.filter { !store.hasLayer($0.diffID) }
        for layer in layers where !missing.contains(where: { $0.index == layer.index }) {
            events(.layerPresent(index: layer.index, digest: layer.blob))
        }
        let downloaded: Int64
        do {
            downloaded = try await fetch(missing, client: client, what: what, events: events)
        } catch let error as SlipwayError where error.kind == .badInput || error.kind == .corrupt {
            // Content that fails its checks leaves nothing behind, not even this pull's good layers.
            store.removeUnusedLayers(keeping: before)
            throw error
        }
        let origin = ImageOrigin(reference: reference.description, manifestDigest: top.digest,
                                 platformManifest: manifestDigest, platform: platform)
        let previous = reference.localTag.flatMap { try? store.resolve($0.description) }
        let record = try store.assemble(digest: configDigest, diffIDs: layers.map(\.diffID), blobs: layers.map(\.blob),
                                        environment: config.config?.Env, origin: origin, tag: reference.localTag)
        if let previous, previous.digest != record.digest {
            try? store.removeIfUnnamed(previous.digest)  // the tag moved on; what it named goes unless named otherwise
        }
        return PullResult(image: record, upToDate: false, downloadedLayers: missing.count,
                          presentLayers: layers.count - missing.count, downloadedBytes: downloaded,
                          requests: client.requests.load(ordering: .relaxed))
    }

    /// The stored image when the reference still names the manifest it was pulled from.
    private func upToDate(_ reference: RegistryReference, manifest: Digest) throws -> ImageRecord? {
        let found: ImageRecord?
        if let tag = reference.localTag {
            found = try? store.resolve(tag.description)
        } else {
            found = try store.pinned(reference.familiarName + "@" + manifest.description)
        }
        guard let found, let origin = found.origin, origin.manifestDigest == manifest,
              origin.reference == reference.description, store.hasImage(found.digest) else { return nil }
        return found
    }

    /// The index entry for the wanted platform, or an error listing what the index has.
    private func choose(from index: OCIIndex, reference: RegistryReference) throws -> OCIDescriptor {
        let wanted = options.platform
        let images = index.manifests.filter { $0.platform.map { $0.os != "unknown" } ?? true }
        let matching = images.filter { d in
            guard let p = d.platform else { return false }
            return wanted.accepts(os: p.os, architecture: p.architecture, variant: p.variant)
        }
        if let exact = matching.first(where: { $0.platform?.variant == wanted.variant }) ?? matching.first { return exact }
        let offered = images.compactMap { d in d.platform.map { "\($0.os)/\($0.architecture)" + ($0.variant.map { "/" + $0 } ?? "") } }
        if !offered.isEmpty && images.allSatisfy({ $0.platform?.os == "windows" }) && wanted.os == "linux" {
            throw SlipwayError.badInput("\(reference) is a Windows image (\(offered.joined(separator: ", "))); Slipway builds run Linux images")
        }
        throw SlipwayError.badInput("\(reference) has \(offered.isEmpty ? "no platform-specific images" : offered.joined(separator: ", ")); no \(wanted)")
    }

    /// The config's platform, which must be the one asked for.
    private func checkPlatform(_ config: OCIImageConfig, reference: RegistryReference) throws -> String {
        let os = config.os ?? "linux", architecture = config.architecture ?? options.platform.architecture
        if os == "windows" && options.platform.os == "linux" {
            throw SlipwayError.badInput("\(reference) is a Windows image (windows/\(architecture)); Slipway builds run Linux images")
        }
        guard os == options.platform.os, architecture == options.platform.architecture else {
            throw SlipwayError.badInput("\(reference) has \(os)/\(architecture); no \(options.platform)")
        }
        return "\(os)/\(architecture)"
    }

    static func checkMediaType(_ layer: PlannedLayer, what: String) throws {
        guard let type = layer.mediaType else { return }
        if type.contains("foreign") || type.contains("nondistributable") {
            throw SlipwayError.badInput("\(what): layer \(layer.index + 1) is a foreign layer (\(type)) that registries do not serve; Windows base layers are, and Slipway runs Linux images")
        }
        let known = ["tar", "tar+gzip", "tar+zstd", "rootfs.diff.tar.gzip", "rootfs.diff.tar.zstd"]
        guard type.hasPrefix("application/vnd.oci.image.layer.") || type.hasPrefix("application/vnd.docker.image.rootfs.diff."),
              known.contains(where: { type.hasSuffix($0) }) else {
            throw SlipwayError.badInput("\(what): layer \(layer.index + 1) has media type \(type), which is not an image layer (tar, gzip or zstd)")
        }
    }

    static func digest(_ text: String, what: String) throws -> Digest {
        do {
            return try Digest(parsing: text)
        } catch {
            throw SlipwayError.badInput(what, cause: error)
        }
    }
}

/// A layer to fetch: where it sits in the image, its blob and uncompressed digests.
struct PlannedLayer: Sendable {
    var index: Int
    var blob: Digest
    var diffID: Digest
    var size: Int64?
    var mediaType: String?
}

/// Enough of a manifest to tell an index from an image manifest.
struct MediaTypeProbe: Decodable {
    var mediaType: String?
    var manifests: [OCIDescriptor]?
}
