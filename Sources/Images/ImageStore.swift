import Foundation
import SlipwayCore

/// Imported toolchain images under `<home>/images`:
///
///     rootfs/<hex>/        the unpacked tree, once per image digest; the read-only lower
///                          layer of every sandbox's overlay (directory mode 0700: an image's
///                          setuid files must not be reachable by other host users)
///     meta/<hex>.json      its ImageRecord (without a reference)
///     tags/<name>/<tag>    `sha256:<hex>`: a name pointing at a digest (`/` in names is `+`)
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

    func rootfsPath(_ hex: String) -> String { "\(rootfsDir)/\(hex)" }
    func metaPath(_ hex: String) -> String { "\(metaDir)/\(hex).json" }

    // MARK: - Looking up

    /// Every tag, sorted by reference.
    public func list() throws -> [ImageRecord] {
        try allTags().map { reference, hex in try record(hex, reference: reference.description) }
            .sorted { $0.reference < $1.reference }
    }

    /// Finds an image by `name`, `name:tag` (tag `latest` by default), or a digest prefix of
    /// at least 4 hex digits (`sha256:` optional). `rootfs` of the result is the unpacked tree.
    public func resolve(_ reference: String) throws -> ImageRecord {
        let parsed = try? ImageReference(parsing: reference)
        if let parsed, let hex = try tagTarget(parsed) {
            return try record(hex, reference: parsed.description)
        }
        if let hex = try matchDigest(reference) {
            let tag = try allTags().first { $0.1 == hex }?.0.description
            return try record(hex, reference: tag ?? "sha256:" + hex)
        }
        if parsed == nil && !Self.looksLikeDigest(reference) {
            _ = try ImageReference(parsing: reference)  // throws the naming rule that was broken
        }
        throw SlipwayError.notFound("no image '\(reference)'; see 'slipway image ls', or import one with 'slipway image import PATH --name NAME'")
    }

    /// Removes a tag; the unpacked tree and record go with the last tag pointing at them. A
    /// digest removes the image and every tag pointing at it.
    public func remove(_ reference: String) throws {
        let hex: String
        if let parsed = try? ImageReference(parsing: reference), let target = try tagTarget(parsed) {
            try removeTag(parsed)
            hex = target
        } else {
            hex = String(try resolve(reference).digest.dropFirst("sha256:".count))
            for (tag, target) in try allTags() where target == hex { try removeTag(tag) }
        }
        if try allTags().contains(where: { $0.1 == hex }) { return }
        try removeContent(hex)
    }

    // MARK: - Records and tags

    func record(_ hex: String, reference: String) throws -> ImageRecord {
        let path = metaPath(hex)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SlipwayError.corrupt("\(reference) points at sha256:\(hex), which has no record (\(path)); re-import the image")
        }
        let decoder = Timestamp.decoder()
        var record: ImageRecord
        do {
            record = try decoder.decode(ImageRecord.self, from: data)
        } catch {
            throw SlipwayError.corrupt("\(path): unreadable image record (\(error))")
        }
        record.reference = reference
        record.rootfs = rootfsPath(hex)  // where it is now, even if the home moved
        return record
    }

    func writeRecord(_ record: ImageRecord, hex: String) throws {
        let encoder = Timestamp.encoder()
        var stored = record
        stored.reference = ""
        try makeDirectories(metaDir)
        try writeFileAtomically(try encoder.encode(stored), to: metaPath(hex))
    }

    func setTag(_ reference: ImageReference, hex: String) throws {
        let path = tagsDir + "/" + reference.tagFile
        try makeDirectories((path as NSString).deletingLastPathComponent)
        try writeFileAtomically(Data("sha256:\(hex)\n".utf8), to: path)
    }

    private func removeTag(_ reference: ImageReference) throws {
        let path = tagsDir + "/" + reference.tagFile
        guard unlink(path) == 0 || errno == ENOENT else { throw SlipwayError.system("remove \(path)") }
        rmdir((path as NSString).deletingLastPathComponent)  // fails harmlessly while other tags remain
    }

    private func tagTarget(_ reference: ImageReference) throws -> String? {
        let path = tagsDir + "/" + reference.tagFile
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try ImageBundle.hex(of: text, what: "tag file \(path)")
    }

    private func allTags() throws -> [(ImageReference, String)] {
        let fm = FileManager.default
        var found: [(ImageReference, String)] = []
        for name in (try? fm.contentsOfDirectory(atPath: tagsDir)) ?? [] {
            for tag in (try? fm.contentsOfDirectory(atPath: tagsDir + "/" + name)) ?? [] where !tag.contains(".tmp-") {
                let text = name.replacingOccurrences(of: "+", with: "/") + ":" + tag
                guard let reference = try? ImageReference(parsing: text), let hex = try tagTarget(reference) else { continue }
                found.append((reference, hex))
            }
        }
        return found
    }

    private static func looksLikeDigest(_ text: String) -> Bool {
        let hex = text.hasPrefix("sha256:") ? text.dropFirst(7) : Substring(text)
        return !hex.isEmpty && hex.allSatisfy(\.isHexDigit)
    }

    /// The full hex of the one stored image whose digest starts with `text`, if any.
    private func matchDigest(_ text: String) throws -> String? {
        guard Self.looksLikeDigest(text) else { return nil }
        let prefix = (text.hasPrefix("sha256:") ? String(text.dropFirst(7)) : text).lowercased()
        guard prefix.count >= 4 else { return nil }
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: metaDir)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        let matches = all.filter { $0.hasPrefix(prefix) }
        guard matches.count <= 1 else {
            throw SlipwayError.badInput("digest prefix '\(text)' is ambiguous: it matches \(matches.count) images; give more digits")
        }
        return matches.first
    }

    /// Moves the tree aside first, so a half-deleted tree never sits under its digest.
    private func removeContent(_ hex: String) throws {
        unlink(metaPath(hex))
        try makeDirectories(tmpDir, mode: 0o700)
        let doomed = "\(tmpDir)/removing-\(hex)-\(UInt64.random(in: 0...UInt64.max))"
        if rename(rootfsPath(hex), doomed) == 0 { removeWritableTree(doomed) }
    }
}
