import Foundation
import SlipwayCore

/// Imported toolchain images under `<home>/images`:
///
///     rootfs/<hex>/        the unpacked tree, once per image digest; the read-only lower
///                          layer of every sandbox's overlay (directory mode 0700: an image's
///                          setuid files must not be reachable by other host users)
///     meta/<hex>.json      its ImageRecord (without a reference)
///     tags/<name>/<tag>    `sha256:<hex>`: a name pointing at a digest (`/` in names is `+`)
///     recipes/<hex>        the image digest a recipe digest was built into (`build(recipe:)`)
///     layers/<hex>/        a pulled image's layers, unpacked one by one (ImageStore+Layers)
///     tmp/                 staging; a crash leaves debris only here
///
/// A tree is unpacked into tmp and renamed into place only when every layer was applied and
/// verified, so `rootfs/<hex>` is always complete; importers racing on one digest are harmless.
public struct ImageStore: Sendable {
    public let root: String

    public init(home: SlipwayHome) {
        root = home.images
    }

    var rootfsDir: String { root + "/rootfs" }
    var metaDir: String { root + "/meta" }
    var tagsDir: String { root + "/tags" }
    var tmpDir: String { root + "/tmp" }

    func rootfsPath(_ digest: Digest) -> String { "\(rootfsDir)/\(digest.hex)" }
    func metaPath(_ digest: Digest) -> String { "\(metaDir)/\(digest.hex).json" }

    // MARK: - Looking up

    /// Every tag, and every image pulled by digest (`name@sha256:…`) that no tag names, sorted
    /// by reference.
    public func list() throws -> [ImageRecord] {
        let tags = try allTags()
        let tagged = Set(tags.map(\.1))
        let pinned = storedDigests().filter { !tagged.contains($0) }.compactMap { digest -> ImageRecord? in
            guard let found = try? record(digest, reference: ""), let origin = found.origin, origin.reference.contains("@") else { return nil }
            var pinned = found
            pinned.reference = origin.reference
            return pinned
        }
        return (try tags.map { reference, digest in try record(digest, reference: reference.description) } + pinned)
            .sorted { $0.reference < $1.reference }
    }

    /// Finds an image by `name`, `name:tag` (tag `latest` by default), or a digest prefix of
    /// at least 4 hex digits (`sha256:` optional). `rootfs` of the result is the unpacked tree.
    public func resolve(_ reference: String) throws -> ImageRecord {
        if let pinned = try pinned(reference) { return pinned }
        if reference.contains("@") {
            throw SlipwayError.notFound("no image '\(reference)'; pull it with 'slipway image pull \(reference)'")
        }
        let parsed = try? ImageReference(parsing: reference)
        if let parsed, let digest = try tagTarget(parsed) {
            return try record(digest, reference: parsed.description)
        }
        let prefix = try? DigestPrefix(parsing: reference)
        if let prefix, let digest = try prefix.unique(in: storedDigests(), noun: "images") {
            let tag = try allTags().first { $0.1 == digest }?.0.description
            return try record(digest, reference: tag ?? digest.description)
        }
        if parsed == nil && prefix == nil {
            _ = try ImageReference(parsing: reference)  // throws the naming rule that was broken
        }
        throw SlipwayError.notFound("no image '\(reference)'; see 'slipway image ls', pull one with 'slipway image pull REF' or import one with 'slipway image import PATH --name NAME'")
    }

    /// A pulled image named `name@sha256:<hex>`: the digest is the manifest (or index) it was
    /// pulled by, the name the end of its origin's repository (`debian` finds
    /// `docker.io/library/debian`). Nil when `reference` has no digest or nothing matches.
    public func pinned(_ reference: String) throws -> ImageRecord? {
        guard let at = reference.range(of: "@") else { return nil }
        let name = String(reference[..<at.lowerBound])
        guard let digest = try? Digest(parsing: String(reference[at.upperBound...])) else {
            throw SlipwayError.badInput("'\(reference)': the part after '@' must be sha256: and 64 hex digits")
        }
        for found in try records() {
            guard let origin = found.origin, origin.manifestDigest == digest || origin.platformManifest == digest else { continue }
            let repository = Self.repository(of: origin.reference)
            if repository == name || repository.hasSuffix("/" + name) {
                var pinned = found
                pinned.reference = reference
                return pinned
            }
        }
        return nil
    }

    /// `host/path` of `host/path:tag` or `host/path@sha256:…`.
    static func repository(of reference: String) -> String {
        let named = reference.split(separator: "@", maxSplits: 1).first.map(String.init) ?? reference
        if let colon = named.lastIndex(of: ":"), !named[colon...].contains("/") { return String(named[..<colon]) }
        return named
    }

    /// Removes a tag; the unpacked tree and record go with the last tag pointing at them. A
    /// digest removes the image and every tag pointing at it.
    public func remove(_ reference: String) throws {
        let digest: Digest
        if let parsed = try? ImageReference(parsing: reference), let target = try tagTarget(parsed) {
            try removeTag(parsed)
            digest = target
        } else {
            digest = try resolve(reference).digest
            for (tag, target) in try allTags() where target == digest { try removeTag(tag) }
        }
        if try allTags().contains(where: { $0.1 == digest }) { return }
        try removeContent(digest)
        removeUnusedLayers()
    }

    // MARK: - Records and tags

    func record(_ digest: Digest, reference: String) throws -> ImageRecord {
        let path = metaPath(digest)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SlipwayError.corrupt("\(reference) points at \(digest), which has no record (\(path)); re-import the image")
        }
        let decoder = Timestamp.decoder()
        var record: ImageRecord
        do {
            record = try decoder.decode(ImageRecord.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(path): unreadable image record", cause: error)
        }
        record.reference = reference
        record.rootfs = rootfsPath(digest)  // where it is now, even if the home moved
        return record
    }

    func writeRecord(_ record: ImageRecord) throws {
        let encoder = Timestamp.encoder()
        var stored = record
        stored.reference = ""
        try makeDirectories(metaDir)
        try writeFileAtomically(try encoder.encode(stored), to: metaPath(record.digest))
    }

    func setTag(_ reference: ImageReference, digest: Digest) throws {
        let path = tagsDir + "/" + reference.tagFile
        try makeDirectories((path as NSString).deletingLastPathComponent)
        try writeFileAtomically(Data("\(digest)\n".utf8), to: path)
    }

    private func removeTag(_ reference: ImageReference) throws {
        let path = tagsDir + "/" + reference.tagFile
        guard unlink(path) == 0 || errno == ENOENT else { throw SlipwayError.system(call: "unlink", path) }
        rmdir((path as NSString).deletingLastPathComponent)  // fails harmlessly while other tags remain
    }

    private func tagTarget(_ reference: ImageReference) throws -> Digest? {
        let path = tagsDir + "/" + reference.tagFile
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            return try Digest(parsing: text)
        } catch {
            throw SlipwayError.corrupt("tag file \(path)", cause: error)
        }
    }

    func allTags() throws -> [(ImageReference, Digest)] {
        let fm = FileManager.default
        var found: [(ImageReference, Digest)] = []
        for name in (try? fm.contentsOfDirectory(atPath: tagsDir)) ?? [] {
            for tag in (try? fm.contentsOfDirectory(atPath: tagsDir + "/" + name)) ?? [] where !tag.contains(".tmp-") {
                let text = name.replacingOccurrences(of: "+", with: "/") + ":" + tag
                guard let reference = try? ImageReference(parsing: text), let digest = try tagTarget(reference) else { continue }
                found.append((reference, digest))
            }
        }
        return found
    }

    /// Digests of the images with a record, from the record files' names.
    func storedDigests() -> [Digest] {
        ((try? FileManager.default.contentsOfDirectory(atPath: metaDir)) ?? [])
            .filter { $0.hasSuffix(".json") }.compactMap { try? Digest(hex: $0.dropLast(5)) }
    }

    /// Moves the tree aside first, so a half-deleted tree never sits under its digest.
    private func removeContent(_ digest: Digest) throws {
        unlink(metaPath(digest))
        try makeDirectories(tmpDir, mode: 0o700)
        let doomed = "\(tmpDir)/removing-\(digest.hex)-\(UInt64.random(in: 0...UInt64.max))"
        if rename(rootfsPath(digest), doomed) == 0 { removeWritableTree(doomed) }
    }
}
