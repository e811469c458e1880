/// What takes the live site from what it holds to a release, in the order that never serves
/// a page whose assets are missing: every asset first, then the pages, and removals last
/// (the objects the release no longer has are retired, deleted only after a grace period,
/// so pages already loaded somewhere keep finding their assets). Content-addressed: a key
/// whose content and headers are what the release wants is left alone.
public struct SitePlan: Sendable, Equatable {
    public struct Write: Sendable, Equatable {
        public var file: SiteFile
        /// What the key holds now (nil: a new key).
        public var replacing: SiteFile?
    }

    public var assets: [Write] = []
    public var pages: [Write] = []
    public var retire: [SiteFile] = []
    public var unchanged = 0

    public init(live: [String: SiteFile], release: [SiteFile]) {
        for file in release.sorted(by: { $0.path < $1.path }) {
            let old = live[file.path]
            if let old, Self.same(old, file) {
                unchanged += 1
                continue
            }
            let write = Write(file: file, replacing: old)
            if file.isPage { pages.append(write) } else { assets.append(write) }
        }
        let wanted = Set(release.map(\.path))
        retire = live.values.filter { !wanted.contains($0.path) }.sorted { $0.path < $1.path }
    }

    /// The same object as far as a visitor can tell: content and headers (not the size,
    /// which a key learnt from its metadata does not carry).
    static func same(_ a: SiteFile, _ b: SiteFile) -> Bool {
        a.sha256 == b.sha256 && a.serving == b.serving
    }

    public var writes: [Write] { assets + pages }
    public var isEmpty: Bool { assets.isEmpty && pages.isEmpty && retire.isEmpty }
}
