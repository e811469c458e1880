/// The `Cache-Control` a file is served with. The default, for a site served straight from
/// a bucket (or a CDN in front of it):
///
/// - a *hashed asset*, whose name carries a content hash (`app.3f2a9c1e.js`,
///   `index-BxP3k9Qa.css`: a dot- or dash-separated part of 8 or more letters, digits or `_`
///   with at least one digit and one letter), never changes under that name:
///   `public, max-age=31536000, immutable`;
/// - everything else (pages, and assets changed in place such as `robots.txt` or `logo.png`)
///   is revalidated on every use, cheap with the ETag S3 sends:
///   `public, max-age=0, must-revalidate`.
public enum CachePolicy {
    public static let immutable = "public, max-age=31536000, immutable"
    public static let revalidate = "public, max-age=0, must-revalidate"

    public static func header(for path: String) -> String {
        isHashed(path) ? immutable : revalidate
    }

    /// Whether the file name carries a content hash (pages never count as hashed).
    public static func isHashed(_ path: String) -> Bool {
        guard !SiteFile.isPage(path) else { return false }
        let name = path.split(separator: "/").last ?? Substring(path)
        let parts = name.split(whereSeparator: { $0 == "." || $0 == "-" }).dropLast()  // not the extension
        return parts.contains { part in
            part.count >= 8 && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                && part.contains(where: \.isNumber) && part.contains(where: \.isLetter)
        }
    }
}
