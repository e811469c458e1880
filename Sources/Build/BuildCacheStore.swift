import Foundation
import SlipwayCore

/// Caches kept between builds of one project (`cache.paths`), under
/// `<home>/cache/<project>/<sha256(key)>/` as `key` (the text) and `tree/` (the saved paths,
/// mirrored from `/`). An entry is replaced whole by rename, so readers never see half.
public struct BuildCacheStore: Sendable {
    public let root: String

    public init(home: SlipwayHome, project: String) {
        root = home.path + "/cache/" + project
    }

    /// One saved cache: its key, its tree, when it was saved.
    public struct Entry: Sendable, Equatable {
        public var key: String
        /// The saved tree, mirrored from `/`.
        public var tree: String
        public var saved: Date
    }

    /// The entry for `key` exactly; else the newest entry whose key starts with the first
    /// fallback key that has one, trying fallbacks in order.
    public func lookup(key: String?, fallbackKeys: [String]) -> Entry? {
        let entries = all()
        if let key, let exact = entries.first(where: { $0.key == key }) { return exact }
        for prefix in fallbackKeys {
            if let match = entries.filter({ $0.key.hasPrefix(prefix) }).max(by: { $0.saved < $1.saved }) { return match }
        }
        return nil
    }

    func all() -> [Entry] {
        let fm = FileManager.default
        return ((try? fm.contentsOfDirectory(atPath: root)) ?? []).compactMap { name in
            let dir = root + "/" + name
            guard !name.hasPrefix("."), let key = try? String(contentsOfFile: dir + "/key", encoding: .utf8),
                  let saved = (try? fm.attributesOfItem(atPath: dir + "/key"))?[.modificationDate] as? Date else { return nil }
            return Entry(key: key, tree: dir + "/tree", saved: saved)
        }
    }

    /// Publishes `tree` (a directory that is moved, not copied) as the entry for `key`.
    public func save(tree: String, key: String) throws {
        try makeDirectories(root)
        let name = SHA256Stream.hex(of: Data(key.utf8))
        let staging = root + "/.staging-" + name + "-" + UUID().uuidString
        removeTree(staging)
        try makeDirectories(staging)
        try Data(key.utf8).write(to: URL(fileURLWithPath: staging + "/key"))
        guard rename(tree, staging + "/tree") == 0 else { throw SlipwayError.system("rename \(tree)") }
        let final = root + "/" + name
        let old = root + "/.old-" + name + "-" + UUID().uuidString
        _ = rename(final, old)
        guard rename(staging, final) == 0 else { throw SlipwayError.rename(staging, to: final) }
        removeTree(old)
    }
}
