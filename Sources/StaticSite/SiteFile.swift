import Foundation

/// One file of a site release: where it is served (its key under the target's prefix), what
/// it holds (SHA-256, the content address that decides whether it uploads) and how it is served.
public struct SiteFile: Codable, Sendable, Equatable {
    /// The path under the site root, `/`-separated (`index.html`, `assets/app.3f2a9c1e.js`).
    public var path: String
    /// Hex SHA-256 of the content.
    public var sha256: String
    public var size: Int64
    /// How it is served, decided by its path; a change here rewrites the object.
    public var serving: Serving

    /// The headers a path is served with.
    public struct Serving: Codable, Sendable, Equatable {
        public var contentType: String
        public var cacheControl: String

        public init(path: String) {
            contentType = ContentType.of(path)
            cacheControl = CachePolicy.header(for: path)
        }
    }

    public init(path: String, sha256: String, size: Int64) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        serving = Serving(path: path)
    }

    /// The hash of an object whose content is not known (written by something else).
    static let unknownContent = "unknown"

    /// Pages (HTML) go up after every asset and come down before any: a page is never served
    /// before the assets it names are there.
    public var isPage: Bool { Self.isPage(path) }

    static func isPage(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".html") || lower.hasSuffix(".htm")
    }

    /// The headers the object is written with; `x-amz-meta-sha256` lets a later deploy learn
    /// what an object holds with one HEAD (after an interrupted deploy).
    var headers: [(name: String, value: String)] {
        [("Content-Type", serving.contentType), ("Cache-Control", serving.cacheControl), ("x-amz-meta-sha256", sha256)]
    }
}

/// A release as the bucket records it (`PREFIX/.slipway/releases/<id>.json`): every file of
/// the site, so `releases` can list it and `rollback` can re-point the site to it.
public struct SiteManifest: Codable, Sendable, Equatable {
    public var release: String
    public var artifact: String?
    public var commit: String?
    public var created: Date
    public var files: [SiteFile]

    public init(release: String, artifact: String?, commit: String?, created: Date = Date(), files: [SiteFile]) {
        self.release = release
        self.artifact = artifact
        self.commit = commit
        self.created = created
        self.files = files
    }

    public var byPath: [String: SiteFile] { Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { $1 }) }
}
